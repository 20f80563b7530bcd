"""The Ed-Fi `id` -> sourcedId map (derived data: it can be dropped and rebuilt; see
`gateway/edfi/ids.py`), and the log of natural-key changes `/keyChanges` reads."""

from sqlalchemy import BigInteger, Column, Index, Integer, LargeBinary, String, Table, Text

from gateway.model.base import metadata

EDFI_IDS = Table(
    "edfi_ids", metadata,
    Column("edfi_id", String(32), primary_key=True),
    Column("resource", String(64), nullable=False),
    Column("sourced_id", String(255), nullable=False),
    Index("ix_edfi_ids_resource_sourced_id", "resource", "sourced_id"),
)
EDFI_ID_MARKS = Table(
    "edfi_id_marks", metadata,
    Column("resource", String(64), primary_key=True),
    Column("change_version", BigInteger, nullable=False),
)

# One row per PUT that changed an item's natural key (the row keeps its sourcedId, so its
# Ed-Fi id and every reference to it stay; only the key values move). Written in the same
# transaction as the change, at its change_version.
EDFI_KEY_CHANGES = Table(
    "edfi_key_changes", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("resource", String(64), nullable=False),
    Column("sourced_id", String(255), nullable=False),
    Column("change_version", BigInteger, nullable=False),
    Column("old_key", Text, nullable=False),
    Column("new_key", Text, nullable=False),
    Index("ix_edfi_key_changes_resource_version", "resource", "change_version"),
)

# Ed-Fi documents rendered when their rows change (gateway/sync/edfi_documents.py), in the same
# transaction, for the large student-bearing resources: the object as every app sees it but
# with each person key a placeholder (`persons` lists, in order, the person each one names
# and the district's unique id for it), so a read substitutes the app's own keys (pseudonyms
# unless it is granted identifiers) instead of rendering. A row without one is rendered live.
EDFI_DOCUMENTS = Table(
    "edfi_documents", metadata,
    Column("resource", String(64), primary_key=True),
    Column("sourced_id", String(255), primary_key=True),
    Column("doc", LargeBinary, nullable=False),
    Column("persons", Text, nullable=False),
)

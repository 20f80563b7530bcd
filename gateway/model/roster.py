"""One table per canonical family, built from `adapters.canonical` so the declaration stays the
single source of truth.

Every row keeps the common bookkeeping columns (sourced_id, status, date_last_modified,
change_version, source, content_hash) and the canonical fields as one JSON document (`data`).
Fields that scoping, nested endpoints and filters need to find quickly (references, type and role
enums) are repeated in indexed columns; list references that are looked up backwards (a class's
terms, a user's agents) get a link table.

Each row also carries its wire documents, rendered by the sync engine in the transaction that
changed the row (or a row they embed): `doc_v1p1` and `doc_v1p2`, the OneRoster objects as
UTF-8 JSON bytes (sent as they are, never decoded) with root-relative hrefs, without the fields
only a sensitive category grants, which are kept apart in `doc_extra`; and `doc_refs`, what a
document embeds about other rows that the policy layer may have to prune for one app (a user's
roles and agents, an org's children). A read then costs one range scan and a concatenation,
not a render per row per request.
"""

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from adapters.canonical import FAMILIES, Family
from gateway.model.base import metadata
from gateway.model.columns import indexed_column, link_table_name


def _bookkeeping_columns() -> list[Column]:
    return [
        Column("sourced_id", String(255), primary_key=True),
        Column("status", String(16), nullable=False),
        Column("date_last_modified", DateTime(timezone=True), nullable=False),
        Column("change_version", BigInteger, nullable=False),
        Column("source", String(64), nullable=False),
        Column("content_hash", String(32), nullable=False),
        Column("data", Text, nullable=False),
        Column("doc_v1p1", LargeBinary),
        Column("doc_v1p2", LargeBinary),
        Column("doc_refs", Text),
        Column("doc_extra", Text),
        # The digest of the source row this row was made from (see adapters.records.RowDigests):
        # a re-sync that finds the same digest skips the row unparsed.
        Column("row_digest", String(32)),
    ]


def _build(family: Family) -> tuple[Table, dict[str, Table]]:
    columns = _bookkeeping_columns()
    indexed = [indexed_column(f.name, f.kind) for f in family.indexed]
    columns += [Column(name, String(255)) for name in indexed]
    # Every read filters on status and pages in sourced_id order; with both in the index, a
    # count or a deep offset walks the index alone, never the rows and their JSON.
    indexes = [
        Index(f"ix_{family.table}_{name}_status", name, "status", "sourced_id")
        for name in indexed
    ]
    table = Table(
        family.table,
        metadata,
        *columns,
        Index(f"ix_{family.table}_change_version", "change_version"),
        Index(f"ix_{family.table}_source_status", "source", "status"),
        Index(f"ix_{family.table}_status_sourced_id", "status", "sourced_id"),
        *indexes,
    )
    links = {}
    for f in family.linked:
        name = link_table_name(family.table, f.name)
        links[f.name] = Table(
            name,
            metadata,
            Column("owner_id", String(255), primary_key=True),
            Column("position", Integer, primary_key=True),
            Column("target_id", String(255), nullable=False, index=True),
        )
    return table, links


ROSTER_TABLES: dict[str, Table] = {}
LINK_TABLES: dict[str, dict[str, Table]] = {}
for _family in FAMILIES.values():
    ROSTER_TABLES[_family.name], LINK_TABLES[_family.name] = _build(_family)


def roster_table(family_name: str) -> Table:
    return ROSTER_TABLES[family_name]

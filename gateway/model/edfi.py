"""The Ed-Fi `id` -> sourcedId map (derived data: it can be dropped and rebuilt; see
`gateway/edfi/ids.py`)."""

from sqlalchemy import BigInteger, Column, Index, String, Table

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

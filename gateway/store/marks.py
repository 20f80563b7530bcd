"""Named marks the store keeps about itself (gateway.model.StoreMark): read, set, bumped."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update

from gateway.model import StoreMark

MARKS = StoreMark.__table__
POLICY_VERSION = "policy_version"
DOCUMENTS_FORMAT = "documents_format"
EDFI_DOCUMENTS_FORMAT = "edfi_documents_format"
DISCLOSURES_INDEXED = "disclosures_indexed"


def read_mark(conn: Connection, name: str) -> int | None:
    return conn.execute(select(MARKS.c.value).where(MARKS.c.name == name)).scalar()


def set_mark(conn: Connection, name: str, value: int) -> None:
    if not conn.execute(update(MARKS).where(MARKS.c.name == name).values(value=value)).rowcount:
        conn.execute(insert(MARKS).values(name=name, value=value))


def bump_mark(conn: Connection, name: str) -> None:
    bumped = conn.execute(update(MARKS).where(MARKS.c.name == name)
                          .values(value=MARKS.c.value + 1))
    if not bumped.rowcount:
        conn.execute(insert(MARKS).values(name=name, value=1))

"""The disclosure log: every response that carried student data, appended as it is sent.

One row per response (app, time, request id, endpoint, fields) plus one row per student it
carried, written in a single short transaction. Rows are hash-chained: each row's `chain` is
SHA-256 over the previous chain and the row itself, so a deleted or edited row breaks every
later link, and `verify_chain` says where.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, insert, select, update

from gateway.model import DisclosedStudent, Disclosure, DisclosureHead

DISCLOSURES = Disclosure.__table__
STUDENTS = DisclosedStudent.__table__
HEAD = DisclosureHead.__table__


@dataclass(frozen=True)
class DisclosureEntry:
    app_id: int
    request_id: str
    endpoint: str
    fields: tuple[str, ...]
    students: tuple[str, ...]


def _link(previous: str, row: dict) -> str:
    payload = json.dumps(row, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256((previous + payload).encode()).hexdigest()


def _row(entry: DisclosureEntry, at: datetime) -> dict:
    return {
        "app_id": entry.app_id, "at": at.isoformat(), "request_id": entry.request_id,
        "endpoint": entry.endpoint[:500], "fields": ",".join(entry.fields),
        "student_count": len(entry.students),
    }


def record(engine: Engine, entry: DisclosureEntry) -> None:
    """Append one disclosure. A response without students leaves nothing."""
    if not entry.students:
        return
    at = datetime.now(UTC)
    row = _row(entry, at)
    with engine.begin() as conn:
        # Touch the head first: from here on this transaction is the only appender.
        conn.execute(update(HEAD).where(HEAD.c.id == 1).values(count=HEAD.c.count + 1))
        previous = conn.execute(select(HEAD.c.chain).where(HEAD.c.id == 1)).scalar_one()
        chain = _link(previous, row)
        disclosure_id = conn.execute(
            insert(DISCLOSURES).values(**{**row, "at": at}, chain=chain)
            .returning(DISCLOSURES.c.id)
        ).scalar_one()
        conn.execute(update(HEAD).where(HEAD.c.id == 1).values(chain=chain))
        conn.execute(insert(STUDENTS), [
            {"disclosure_id": disclosure_id, "student_id": sid}
            for sid in sorted(set(entry.students))
        ])


def history(conn: Connection, student_id: str) -> list[dict]:
    """Every disclosure of one student, oldest first, for a parent's report."""
    from gateway.model import App

    apps = App.__table__
    rows = conn.execute(
        select(DISCLOSURES.c.at, apps.c.name, apps.c.client_id, DISCLOSURES.c.endpoint,
               DISCLOSURES.c.fields, DISCLOSURES.c.request_id)
        .join(STUDENTS, STUDENTS.c.disclosure_id == DISCLOSURES.c.id)
        .join(apps, apps.c.id == DISCLOSURES.c.app_id, isouter=True)
        .where(STUDENTS.c.student_id == student_id)
        .order_by(DISCLOSURES.c.id)
    ).all()
    return [r._asdict() for r in rows]


def verify_chain(conn: Connection) -> int | None:
    """The id of the first disclosure whose link does not match, or None if the chain holds."""
    previous = "0" * 64
    for row in conn.execute(select(DISCLOSURES).order_by(DISCLOSURES.c.id)):
        at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
        expected = _link(previous, {
            "app_id": row.app_id, "at": at.isoformat(), "request_id": row.request_id,
            "endpoint": row.endpoint, "fields": row.fields, "student_count": row.student_count,
        })
        if expected != row.chain:
            return row.id
        previous = row.chain
    head = conn.execute(select(HEAD.c.chain).where(HEAD.c.id == 1)).scalar_one()
    return None if head == previous else -1


def students_in(ids: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(ids)))

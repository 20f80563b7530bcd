"""The disclosure log: every response that carried student data, kept for parents' reports.

One row per response (app, time, request id, endpoint, fields, and the students it carried,
packed), appended in batches: a response never waits for the store's write lock (see
`disclosure_spool`). Rows are hash-chained: each row's `chain` is SHA-256 over the previous
chain and the row itself (students included), so a deleted or edited row breaks every later
link, and `verify_chain` says where. The per-student index a report reads
(`disclosed_students`) is built from the packed lists when a report asks (`index_students`),
not on the hot path.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update

from gateway.model import DisclosedStudent, Disclosure, DisclosureHead
from gateway.store.marks import DISCLOSURES_INDEXED, read_mark, set_mark

DISCLOSURES = Disclosure.__table__
STUDENTS = DisclosedStudent.__table__
HEAD = DisclosureHead.__table__
ITEM = "\x1f"  # control characters never occur in ids (refused at import)


@dataclass(frozen=True)
class DisclosureEntry:
    app_id: int
    request_id: str
    endpoint: str
    fields: tuple[str, ...]
    students: tuple[str, ...]
    at: datetime | None = None  # when the response was sent (set by the spool)
    entry_id: str = ""  # unique per entry, so a batch appended twice is appended once

    def document(self) -> dict[str, Any]:
        return {"app_id": self.app_id, "request_id": self.request_id,
                "endpoint": self.endpoint, "fields": list(self.fields),
                "students": list(self.students),
                "at": (self.at or datetime.now(UTC)).isoformat(), "entry_id": self.entry_id}

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> DisclosureEntry:
        return cls(app_id=doc["app_id"], request_id=doc["request_id"],
                   endpoint=doc["endpoint"], fields=tuple(doc["fields"]),
                   students=tuple(doc["students"]), at=datetime.fromisoformat(doc["at"]),
                   entry_id=doc["entry_id"])


def _link(previous: str, row: dict) -> str:
    payload = json.dumps(row, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256((previous + payload).encode()).hexdigest()


def _linked(row: Any) -> dict[str, Any]:
    """What a row's link covers, the same whether read back or about to be written."""
    at = row["at"]
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    return {"app_id": row["app_id"], "at": at.isoformat(), "request_id": row["request_id"],
            "endpoint": row["endpoint"], "fields": row["fields"],
            "student_count": row["student_count"], "students": row["students"]}


def _row(entry: DisclosureEntry) -> dict[str, Any]:
    students = sorted(set(entry.students))
    return {"app_id": entry.app_id, "at": entry.at or datetime.now(UTC),
            "request_id": entry.request_id[:64], "endpoint": entry.endpoint[:500],
            "fields": ",".join(entry.fields), "student_count": len(students),
            "students": ITEM.join(students), "entry_id": entry.entry_id or None}


def append(conn: Connection, entries: Sequence[DisclosureEntry]) -> int:
    """Append a batch in order, inside the caller's transaction; entries already appended
    (by entry id) are skipped. The head row is touched once per batch, so appenders take
    turns per batch, not per response. The count appended."""
    rows = [_row(e) for e in entries if e.students]
    ids = [r["entry_id"] for r in rows if r["entry_id"]]
    if ids:
        seen = set(conn.execute(select(DISCLOSURES.c.entry_id)
                                .where(DISCLOSURES.c.entry_id.in_(ids))).scalars())
        rows = [r for r in rows if r["entry_id"] not in seen]
    if not rows:
        return 0
    # Touch the head first: from here on this transaction is the only appender.
    conn.execute(update(HEAD).where(HEAD.c.id == 1).values(count=HEAD.c.count + len(rows)))
    chain = conn.execute(select(HEAD.c.chain).where(HEAD.c.id == 1)).scalar_one()
    for row in rows:
        chain = row["chain"] = _link(chain, _linked(row))
    conn.execute(insert(DISCLOSURES), rows)
    conn.execute(update(HEAD).where(HEAD.c.id == 1).values(chain=chain))
    return len(rows)


def record(engine: Engine, entry: DisclosureEntry) -> None:
    """Append one disclosure now, in its own transaction (commands and tests; the API's
    responses go through the spool)."""
    with engine.begin() as conn:
        append(conn, [entry])


def index_students(conn: Connection) -> int:
    """Index by student every disclosure appended since the last call; the count indexed."""
    done = read_mark(conn, DISCLOSURES_INDEXED) or 0
    last = done
    pairs = []
    for row in conn.execute(select(DISCLOSURES.c.id, DISCLOSURES.c.students)
                            .where(DISCLOSURES.c.id > done).order_by(DISCLOSURES.c.id)):
        last = row.id
        pairs += [{"disclosure_id": row.id, "student_id": s}
                  for s in (row.students.split(ITEM) if row.students else ())]
    if last == done:
        return 0
    if pairs:
        conn.execute(insert(STUDENTS), pairs)
    set_mark(conn, DISCLOSURES_INDEXED, last)
    return len(pairs)


def history(engine: Engine, student_id: str) -> list[dict]:
    """Every disclosure of one student, oldest first, for a parent's report (the index is
    brought up to date first)."""
    from gateway.model import App

    with engine.begin() as conn:
        index_students(conn)
    apps = App.__table__
    with engine.connect() as conn:
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
    """The id of the first disclosure whose link does not match, or None if the chain holds
    (-1: every row holds but the head does not match the last)."""
    previous = "0" * 64
    for row in conn.execute(select(DISCLOSURES).order_by(DISCLOSURES.c.id)):
        if _link(previous, _linked(row._mapping)) != row.chain:
            return row.id
        previous = row.chain
    head = conn.execute(select(HEAD.c.chain).where(HEAD.c.id == 1)).scalar_one()
    return None if head == previous else -1


def count(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(DISCLOSURES)).scalar_one()


def students_in(ids: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(ids)))

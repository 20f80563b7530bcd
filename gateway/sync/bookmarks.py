"""Bookmarks: where each stream of an incremental source ended in the last run that applied.

The engine owns them (Singer's rule: a tap never reads or writes its own state). An adapter asks
for a stream's bookmark with `BookmarkRequest` and gets the text back through generator.send;
after reading the stream it proposes the new one with `Bookmark`. A proposal is kept only if the
run applies (saved in the run's own transaction) or finds the store already matching, and only
if none of the stream's families had a rejected row, so a rejected row is read again next time.
A failed, refused, dry or interrupted run therefore leaves every bookmark where it was, and the
next run resumes from there.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, delete, insert, select

from adapters.records import Bookmark, BookmarkRequest
from gateway.model import SourceBookmark
from gateway.sync.report import RunReport

TABLE = SourceBookmark.__table__


class Bookmarks:
    """The stored bookmarks of one source for one run, and the run's proposals."""

    def __init__(self, conn: Connection, source: str, *, enabled: bool) -> None:
        self.stored: dict[str, str] = {}
        if enabled:  # `--full`: answer nothing, so every stream is read whole
            self.stored = dict(conn.execute(
                select(TABLE.c.stream, TABLE.c.value).where(TABLE.c.source == source)).all())
        self.proposed: dict[str, Bookmark] = {}

    def answer(self, request: BookmarkRequest) -> str | None:
        return self.stored.get(request.stream)

    def propose(self, bookmark: Bookmark) -> None:
        self.proposed[bookmark.stream] = bookmark

    def keep(self, report: RunReport) -> None:
        """The proposals the run may keep, into the report (saved with it, shown by `runs show`)."""
        for stream, mark in self.proposed.items():
            if any(report.family(f).errors for f in mark.families if f in report.counts):
                report.bookmarks_held.append(stream)
                continue
            report.bookmarks[stream] = mark.value


def save(conn: Connection, source: str, report: RunReport) -> None:
    """Store the report's bookmarks; call inside the transaction that applies the run."""
    if not report.bookmarks:
        return
    now = datetime.now(UTC)
    streams = sorted(report.bookmarks)
    conn.execute(delete(TABLE).where(TABLE.c.source == source, TABLE.c.stream.in_(streams)))
    conn.execute(insert(TABLE), [
        {"source": source, "stream": s, "value": report.bookmarks[s], "run_id": report.run_id,
         "updated_at": now} for s in streams])


def stored(conn: Connection, source: str) -> dict[str, str]:
    return dict(conn.execute(
        select(TABLE.c.stream, TABLE.c.value).where(TABLE.c.source == source)).all())


def forget(conn: Connection, source: str) -> int:
    """Drop a source's bookmarks: its next run reads every stream whole."""
    return conn.execute(delete(TABLE).where(TABLE.c.source == source)).rowcount

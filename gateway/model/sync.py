"""Run history: every sync (applied, refused, failed or dry) leaves a row and its issues."""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.model.base import Base


class SyncRun(Base):
    __tablename__ = "sync_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(64), index=True)
    adapter: Mapped[str] = mapped_column(String(64))
    # running | applied | unchanged | refused | failed | dry-run | interrupted
    state: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    change_version: Mapped[int | None] = mapped_column(BigInteger)
    pid: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(255))  # where `pid` runs
    message: Mapped[str | None] = mapped_column(Text)
    # Per-family counts, durations, dropped columns, issue totals.
    stats: Mapped[dict] = mapped_column(JSON, default=dict)


class RunIssue(Base):
    __tablename__ = "run_issues"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("sync_runs.id", ondelete="CASCADE"), index=True)
    level: Mapped[str] = mapped_column(String(8))
    family: Mapped[str | None] = mapped_column(String(64))
    file: Mapped[str | None] = mapped_column(String(255))
    line: Mapped[int | None] = mapped_column(Integer)
    sourced_id: Mapped[str | None] = mapped_column(String(255))
    field: Mapped[str | None] = mapped_column(String(128))
    value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)


class ChangeCounter(Base):
    """The one global change_version counter: Ed-Fi change queries and OneRoster deltas read it."""

    __tablename__ = "change_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class SourceBookmark(Base):
    """Where each stream of an incremental source (a REST API) ended in the last run that
    applied: the next run asks only for what changed after it. Written in the applying run's
    transaction, so a failed or interrupted run leaves the previous bookmark in place."""

    __tablename__ = "source_bookmarks"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    stream: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    run_id: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StoreMark(Base):
    """Named marks the store keeps about itself, beside the change counter: the policy version
    (bumped when opt-outs change; readers key their caches by it), the format the wire
    documents were rendered in, how far the disclosure log is indexed by student."""

    __tablename__ = "store_marks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)

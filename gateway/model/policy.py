"""Apps, their data-sharing agreements, parents' opt-outs and the disclosure log."""

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.model.base import Base


class App(Base):
    """A learning app: an OAuth2 client working under exactly one agreement."""

    __tablename__ = "apps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # scrypt hash "scrypt$n$r$p$salt$hash"; the secret itself is shown once and never stored
    secret_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))


class AgreementRow(Base):
    """The stored agreement; `document` is the validated agreement as written by district IT."""

    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(64))
    expires: Mapped[date] = mapped_column(Date)
    document: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # set when the district ends the agreement early: from then on it is over, as if expired
    terminated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                           nullable=True)


class OptOut(Base):
    """A parent's opt-out for one student: from every app (app_id NULL) or from one."""

    __tablename__ = "optouts"
    __table_args__ = (Index("ix_optouts_student_app", "student_id", "app_id", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    student_id: Mapped[str] = mapped_column(String(255), index=True)
    app_id: Mapped[int | None] = mapped_column(ForeignKey("apps.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)


class Disclosure(Base):
    """One response that carried student data: who, when, what request, which fields.

    Append-only; each row's `chain` is a hash over the previous row's chain and this row, so a
    removed or altered row is detectable.
    """

    __tablename__ = "disclosures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[int] = mapped_column(Integer, index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    request_id: Mapped[str] = mapped_column(String(64))
    endpoint: Mapped[str] = mapped_column(String(500))
    fields: Mapped[str] = mapped_column(Text)
    student_count: Mapped[int] = mapped_column(Integer)
    chain: Mapped[str] = mapped_column(String(64))
    # the students carried, sorted, joined by U+001F; indexed by student on demand
    students: Mapped[str | None] = mapped_column(Text, nullable=True)
    # the spooled entry's id: an entry moved into the log twice is appended once
    entry_id: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True,
                                                 index=True)


class DisclosedStudent(Base):
    """Which students one disclosure carried; indexed by student for a parent's report."""

    __tablename__ = "disclosed_students"

    disclosure_id: Mapped[int] = mapped_column(
        ForeignKey("disclosures.id", ondelete="CASCADE"), primary_key=True
    )
    student_id: Mapped[str] = mapped_column(String(255), primary_key=True, index=True)


class DisclosureHead(Base):
    """The last link of the disclosure hash chain; updating it first serialises appends on
    every database (a row lock on PostgreSQL, the write lock on SQLite)."""

    __tablename__ = "disclosure_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chain: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(Integer, default=0)

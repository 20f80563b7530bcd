"""The district console's state: staff accounts and their sessions, the audit log of every
change, parents' opt-out codes and requests, and deletion certifications at agreement end."""

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.model.base import Base


class StaffAccount(Base):
    """A district staff member who signs in to the console: an administrator changes things,
    an auditor only reads and produces reports."""

    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    # argon2id, parameters and salt in the string; the password itself is never stored
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StaffSession(Base):
    """A signed-in browser. The cookie carries a random id; only its SHA-256 is kept, so a
    copy of this table cannot be replayed as a cookie."""

    __tablename__ = "staff_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="CASCADE"), nullable=True, index=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class AuditEvent(Base):
    """One change made through the console or the CLI: who, when, what, to what."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(255))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class ParentCode(Base):
    """The code a district prints in a letter to a student's parents: with it they may ask, on
    the public page, that the student be opted out. Kept as a hash, like a password."""

    __tablename__ = "parent_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    student_id: Mapped[str] = mapped_column(String(255), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OptOutRequest(Base):
    """A parent's opt-out request: applied at once or queued for a staff member's approval,
    as the district configures (`parent_optouts`)."""

    __tablename__ = "optout_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    student_id: Mapped[str] = mapped_column(String(255), index=True)
    app_id: Mapped[int | None] = mapped_column(ForeignKey("apps.id"), nullable=True)
    state: Mapped[str] = mapped_column(String(16))  # pending | applied | declined
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(128))


class DeletionCertification(Base):
    """At an agreement's end the vendor must delete what it received and certify it: the
    request is recorded when the agreement ends, the certificate when it arrives."""

    __tablename__ = "deletion_certifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id"), unique=True)
    requested_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    certified_on: Mapped[date | None] = mapped_column(Date)
    signer: Mapped[str | None] = mapped_column(String(200))
    method: Mapped[str | None] = mapped_column(String(200))
    recorded_by: Mapped[str | None] = mapped_column(String(128))
    closed: Mapped[bool] = mapped_column(Boolean, default=False)

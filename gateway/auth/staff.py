"""Staff accounts for the district console: administrators change things, auditors only read
and produce reports. Passwords are hashed with argon2id (argon2-cffi: the password-hashing
competition's winner and OWASP's first choice, with parameters and salt in the hash so they
can be raised later); an unknown user name costs the same hash as a wrong password, so the
sign-in form does not tell which names exist."""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, func, insert, select, update

from gateway.auth.audit import record
from gateway.auth.rate_limit import WINDOW, add_to_window, window_count
from gateway.model import StaffAccount
from gateway.store.engine import for_writes

ROLES = ("administrator", "auditor")
ACCOUNTS = StaffAccount.__table__
MIN_PASSWORD = 12
_USERNAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the username is unknown, so that an unknown name costs
    what a wrong password does. Made on first use rather than at import: argon2 takes a third
    of a CPU-second and 64 MiB, which every `gateway` command and every server worker paid
    on start-up though most never sign anyone in."""
    return _hasher.hash("not a password anyone has")


class StaffError(ValueError):
    """An account request cannot be done; the message says why."""


@dataclass(frozen=True)
class Staff:
    id: int
    username: str
    role: str
    created_at: datetime | None = None

    @property
    def may_change(self) -> bool:
        return self.role == "administrator"


def _check(username: str, password: str, role: str) -> None:
    if not _USERNAME.match(username):
        raise StaffError("a user name is 1 to 64 letters, digits or . _ @ -")
    if role not in ROLES:
        raise StaffError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise StaffError(f"a password needs at least {MIN_PASSWORD} characters")


def add_staff(engine: Engine, username: str, password: str, role: str, *, actor: str) -> Staff:
    _check(username, password, role)
    with for_writes(engine).begin() as conn:
        if conn.execute(select(ACCOUNTS.c.id).where(ACCOUNTS.c.username == username)).first():
            raise StaffError(f"an account {username!r} exists already")
        now = datetime.now(UTC)
        staff_id = conn.execute(insert(ACCOUNTS).values(
            username=username, password_hash=_hasher.hash(password), role=role,
            created_at=now).returning(ACCOUNTS.c.id)).scalar_one()
        record(conn, actor, "staff.add", username, role=role)
    return Staff(staff_id, username, role, now)


def list_staff(engine: Engine) -> list[Staff]:
    with engine.connect() as conn:
        rows = conn.execute(select(ACCOUNTS).order_by(ACCOUNTS.c.username)).all()
    return [Staff(r.id, r.username, r.role, r.created_at) for r in rows]


def remove_staff(engine: Engine, username: str, *, actor: str) -> None:
    """Remove the account and, with it (ON DELETE CASCADE), every session it holds. The last
    administrator cannot be removed: the console would have nobody left to run it."""
    with for_writes(engine).begin() as conn:
        row = conn.execute(select(ACCOUNTS).where(ACCOUNTS.c.username == username)).first()
        if row is None:
            raise StaffError(f"no account {username!r}")
        if row.role == "administrator":
            admins = conn.execute(select(func.count()).select_from(ACCOUNTS)
                                  .where(ACCOUNTS.c.role == "administrator")).scalar_one()
            if admins == 1:
                raise StaffError("the last administrator cannot be removed")
        from gateway.model import StaffSession
        conn.execute(delete(StaffSession.__table__)
                     .where(StaffSession.__table__.c.staff_id == row.id))
        conn.execute(delete(ACCOUNTS).where(ACCOUNTS.c.id == row.id))
        record(conn, actor, "staff.remove", username)


def authenticate(engine: Engine, username: str, password: str) -> Staff | None:
    """The account whose password this is, or None (same cost either way)."""
    dummy = _dummy_hash()  # made (once) whether or not the name exists: same cost either way
    with engine.connect() as conn:
        row = conn.execute(select(ACCOUNTS).where(ACCOUNTS.c.username == username)).first()
    try:
        _hasher.verify(row.password_hash if row else dummy, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None:
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        with for_writes(engine).begin() as conn:
            conn.execute(update(ACCOUNTS).where(ACCOUNTS.c.id == row.id)
                         .values(password_hash=_hasher.hash(password)))
    return Staff(row.id, row.username, row.role, row.created_at)


def staff_by_id(engine: Engine, staff_id: int) -> Staff | None:
    with engine.connect() as conn:
        row = conn.execute(select(ACCOUNTS).where(ACCOUNTS.c.id == staff_id)).first()
    return None if row is None else Staff(row.id, row.username, row.role, row.created_at)


# Wrong passwords one address may try for one name within a minute or two.
SIGN_IN_FAILURES_PER_MINUTE = 10


def _sign_in_key(address: str, username: str) -> str:
    digest = hashlib.sha256(f"{address}\0{username.casefold()}".encode()).hexdigest()[:40]
    return f"signin:{digest}"


def sign_in_throttled(engine: Engine, address: str, username: str) -> int | None:
    """Seconds to wait when this address has guessed this user's password wrong too often in
    this minute and the one before (counted in the store, so every worker and node agrees),
    else None. Keyed by address and name together: a guesser locks out only itself, not the
    staff member signing in from elsewhere."""
    moment = int(time.time())
    minute = moment - moment % WINDOW
    key = _sign_in_key(address, username)
    now_count = window_count(engine, key, minute)
    if now_count + window_count(engine, key, minute - WINDOW) < SIGN_IN_FAILURES_PER_MINUTE:
        return None
    # until the windows holding enough failures have both passed
    until = minute + (2 * WINDOW if now_count >= SIGN_IN_FAILURES_PER_MINUTE else WINDOW)
    return max(1, until - moment)


def sign_in_failed(engine: Engine, address: str, username: str) -> None:
    moment = int(time.time())
    add_to_window(for_writes(engine), _sign_in_key(address, username),
                  moment - moment % WINDOW)

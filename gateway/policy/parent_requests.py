"""Parents' own opt-out requests: the district prints a per-student code in a letter; with it a
parent asks, on the public page, that the student be hidden from one app or from all. The
district chooses whether such a request applies at once or waits for a staff member's
approval (`parent_optouts`); once applied it is an ordinary opt-out, so it takes effect on
every path at once (the policy version moves, see `optouts`)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select, update

from gateway.auth.audit import CLI_ACTOR, record
from gateway.model import App, OptOutRequest, ParentCode
from gateway.policy.optouts import add_optout_in
from gateway.store.engine import for_writes

CODES = ParentCode.__table__
REQUESTS = OptOutRequest.__table__
APPS = App.__table__
# Letters and digits a parent cannot misread (no 0/O, 1/I/L).
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
PARENT = "parent (code)"


class RequestError(ValueError):
    pass


def _hash(code: str) -> str:
    canonical = "".join(c for c in code.upper() if c.isalnum())
    return hashlib.sha256(canonical.encode()).hexdigest()


def issue_code(engine: Engine, student_id: str, *, actor: str = CLI_ACTOR) -> str:
    """A new code for the student's letter (16 characters, about 79 bits); shown once, kept
    hashed. Earlier codes of the student stay valid (a second letter, a second parent)."""
    code = "-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(4))
    with for_writes(engine).begin() as conn:
        conn.execute(insert(CODES).values(code_hash=_hash(code), student_id=student_id,
                                          created_at=datetime.now(UTC)))
        record(conn, actor, "parent_code.issue", student_id)
    return code


def student_of(engine: Engine, code: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(CODES.c.student_id)
                            .where(CODES.c.code_hash == _hash(code))).scalar()


@dataclass(frozen=True)
class Outcome:
    request_id: int
    state: str  # applied | pending


def request_optout(engine: Engine, code: str, client_id: str | None, mode: str,
                   note: str | None = None) -> Outcome:
    """A parent's request under `mode` ("apply" or "approve"); RequestError for an unknown
    code or app (the same message for any wrong code)."""
    with for_writes(engine).begin() as conn:
        student_id = conn.execute(select(CODES.c.student_id)
                                  .where(CODES.c.code_hash == _hash(code))).scalar()
        if student_id is None:
            raise RequestError("that code is not one the district issued; check the letter")
        app_id = None
        if client_id:
            app_id = conn.execute(select(APPS.c.id).where(APPS.c.client_id == client_id)).scalar()
            if app_id is None:
                raise RequestError("no such app")
        state = "applied" if mode == "apply" else "pending"
        now = datetime.now(UTC)
        request_id = conn.execute(insert(REQUESTS).values(
            student_id=student_id, app_id=app_id, state=state, note=note, created_at=now,
            decided_at=now if state == "applied" else None,
            decided_by=PARENT if state == "applied" else None,
        ).returning(REQUESTS.c.id)).scalar_one()
        record(conn, PARENT, "optout_request." + state, student_id,
               app=client_id or "every app", request=request_id)
        if state == "applied":
            add_optout_in(conn, student_id, client_id, f"parent request {request_id}",
                          actor=PARENT)
    return Outcome(request_id, state)


def pending_requests(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        return [r._asdict() for r in conn.execute(
            select(REQUESTS.c.id, REQUESTS.c.student_id, APPS.c.client_id, APPS.c.name,
                   REQUESTS.c.note, REQUESTS.c.created_at)
            .join(APPS, APPS.c.id == REQUESTS.c.app_id, isouter=True)
            .where(REQUESTS.c.state == "pending").order_by(REQUESTS.c.id))]


def decide(engine: Engine, request_id: int, approve: bool, *, actor: str) -> None:
    with for_writes(engine).begin() as conn:
        row = conn.execute(select(REQUESTS.c.student_id, APPS.c.client_id)
                           .join(APPS, APPS.c.id == REQUESTS.c.app_id, isouter=True)
                           .where(REQUESTS.c.id == request_id,
                                  REQUESTS.c.state == "pending")).first()
        if row is None:
            raise RequestError(f"no pending request {request_id}")
        state = "applied" if approve else "declined"
        conn.execute(update(REQUESTS).where(REQUESTS.c.id == request_id).values(
            state=state, decided_at=datetime.now(UTC), decided_by=actor))
        record(conn, actor, "optout_request." + state, row.student_id,
               app=row.client_id or "every app", request=request_id)
        if approve:
            add_optout_in(conn, row.student_id, row.client_id,
                          f"parent request {request_id}", actor=actor)

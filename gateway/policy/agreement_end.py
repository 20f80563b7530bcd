"""Agreement end: when an agreement expires or the district terminates it, the app is cut off
on every path at once (tokens, LTI launches and services all ask `AppClient.refusal`), and the
vendor owes a certificate that it deleted what it received (the NDPA's disposition: within 60
days of the request by default, `deletion_certification_days`). Requests are opened here,
certificates recorded, and late ones flagged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, insert, select, update

from gateway.auth.audit import CLI_ACTOR, record
from gateway.model import AgreementRow, App, DeletionCertification
from gateway.store.engine import for_writes

CERTS = DeletionCertification.__table__
APPS = App.__table__
AGREEMENTS = AgreementRow.__table__


class AgreementEndError(ValueError):
    pass


@dataclass(frozen=True)
class Certification:
    client_id: str
    app_name: str
    requested_on: date
    due_on: date
    certified_on: date | None
    signer: str | None
    method: str | None

    def overdue(self, today: date) -> bool:
        return self.certified_on is None and today > self.due_on


def terminate(engine: Engine, client_id: str, days: int, *, actor: str = CLI_ACTOR,
              reason: str | None = None) -> None:
    """End the app's agreement now and request its deletion certificate."""
    now = datetime.now(UTC)
    with for_writes(engine).begin() as conn:
        row = conn.execute(select(APPS.c.id, APPS.c.agreement_id, AGREEMENTS.c.terminated_at)
                           .join(AGREEMENTS, AGREEMENTS.c.id == APPS.c.agreement_id)
                           .where(APPS.c.client_id == client_id)).first()
        if row is None:
            raise AgreementEndError(f"no app with client id {client_id!r}")
        if row.terminated_at is not None:
            raise AgreementEndError(f"app {client_id!r}: its agreement already ended")
        conn.execute(update(AGREEMENTS).where(AGREEMENTS.c.id == row.agreement_id)
                     .values(terminated_at=now))
        _request(conn, row.id, now.date(), days)
        record(conn, actor, "agreement.terminate", client_id, reason=reason)


def _request(conn, app_id: int, on: date, days: int) -> None:  # noqa: ANN001
    if conn.execute(select(CERTS.c.id).where(CERTS.c.app_id == app_id)).first() is None:
        conn.execute(insert(CERTS).values(app_id=app_id, requested_on=on,
                                          due_on=on + timedelta(days=days), closed=False))


def request_for_expired(engine: Engine, days: int, today: date | None = None) -> int:
    """Open a certification request for every agreement that has expired without one (an
    expiry ends an agreement as surely as a termination). The count opened."""
    today = today or datetime.now(UTC).date()
    with for_writes(engine).begin() as conn:
        expired = conn.execute(select(APPS.c.id, AGREEMENTS.c.expires)
                               .join(AGREEMENTS, AGREEMENTS.c.id == APPS.c.agreement_id)
                               .where(AGREEMENTS.c.expires < today)
                               .where(APPS.c.id.not_in(select(CERTS.c.app_id)))).all()
        for app_id, expires in expired:
            _request(conn, app_id, expires + timedelta(days=1), days)
    return len(expired)


def certify(engine: Engine, client_id: str, certified_on: date, signer: str, method: str, *,
            actor: str = CLI_ACTOR) -> None:
    if not signer.strip() or not method.strip():
        raise AgreementEndError("a certificate names its signer and the deletion method")
    with for_writes(engine).begin() as conn:
        cert = conn.execute(select(CERTS.c.id).join(APPS, APPS.c.id == CERTS.c.app_id)
                            .where(APPS.c.client_id == client_id)).scalar()
        if cert is None:
            raise AgreementEndError(f"no deletion certificate was requested of {client_id!r}")
        conn.execute(update(CERTS).where(CERTS.c.id == cert).values(
            certified_on=certified_on, signer=signer.strip()[:200],
            method=method.strip()[:200], recorded_by=actor, closed=True))
        record(conn, actor, "deletion.certified", client_id, signer=signer, method=method,
               certified_on=certified_on.isoformat())


def certifications(engine: Engine) -> list[Certification]:
    with engine.connect() as conn:
        return [Certification(r.client_id, r.name, r.requested_on, r.due_on, r.certified_on,
                              r.signer, r.method) for r in conn.execute(
            select(APPS.c.client_id, APPS.c.name, CERTS.c.requested_on, CERTS.c.due_on,
                   CERTS.c.certified_on, CERTS.c.signer, CERTS.c.method)
            .join(APPS, APPS.c.id == CERTS.c.app_id).order_by(CERTS.c.due_on))]

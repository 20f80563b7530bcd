"""The app registry: district IT registers an app under an agreement, rotates its secret or
switches it off. The secret is returned once, to be handed to the vendor, and never stored."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import NamedTuple

from sqlalchemy import Engine, insert, select, update

from gateway.auth.audit import CLI_ACTOR, record
from gateway.auth.oauth1_vault import OAuth1Vault
from gateway.auth.secret_hash import hash_secret, new_secret
from gateway.model import AgreementRow, App, OAuth1Secret
from gateway.policy import pseudonym_order
from gateway.policy.agreement import (
    FORBIDDEN_PURPOSES,
    Agreement,
    AgreementError,
    from_document,
)
from gateway.policy.scoping import check_rules
from gateway.store.engine import for_writes


class RegistryError(ValueError):
    """A registry request cannot be done; the message says which app and why."""


class Credentials(NamedTuple):
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class AppSummary:
    client_id: str
    name: str
    disabled: bool
    created_at: datetime
    agreement: str
    purpose: str
    expires: date
    oauth1: bool


def _now() -> datetime:
    return datetime.now(UTC)


def new_client_id() -> str:
    """80 random bits in lower-case base32: a client id district IT types and passes to the CLI,
    so it never starts with '-' (read as an option) and has no look-alike case."""
    return base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()


def register_app(engine: Engine, name: str, agreement: Agreement, *,
                 oauth1: OAuth1Vault | None = None, actor: str = CLI_ACTOR) -> Credentials:
    """Store the app and its agreement; with `oauth1`, also keep the secret encrypted so the
    app can sign OneRoster 1.1 requests with OAuth 1.0a (see `oauth1_vault`)."""
    check_rules()
    if agreement.purpose in FORBIDDEN_PURPOSES:
        raise AgreementError(
            f"agreement {agreement.name!r}: purpose {agreement.purpose!r} cannot be registered: "
            "student data may not be used for marketing, advertising, profiling or sale"
        )
    if not name.strip():
        raise RegistryError("an app needs a name")
    client_id = new_client_id()
    client_secret = new_secret()
    now = _now()
    with for_writes(engine).begin() as conn:
        agreement_id = conn.execute(insert(AgreementRow).values(
            name=agreement.name, purpose=agreement.purpose, expires=agreement.expires,
            document=agreement.document(), created_at=now,
        ).returning(AgreementRow.id)).scalar_one()
        app_id = conn.execute(insert(App).values(
            client_id=client_id, name=name.strip(), secret_hash=hash_secret(client_secret),
            disabled=False, created_at=now, agreement_id=agreement_id,
        ).returning(App.id)).scalar_one()
        if oauth1 is not None:
            conn.execute(insert(OAuth1Secret).values(
                app_id=app_id, ciphertext=oauth1.encrypt(client_id, client_secret),
                created_at=now,
            ))
        record(conn, actor, "app.register", client_id, name=name.strip(),
               agreement=agreement.document())
        pseudonym_order.catch_up(conn, [app_id])  # its order keys, if it is shown pseudonyms
    return Credentials(client_id, client_secret)


def list_apps(engine: Engine) -> list[AppSummary]:
    query = (
        select(App.client_id, App.name, App.disabled, App.created_at, AgreementRow.name,
               AgreementRow.purpose, AgreementRow.expires, OAuth1Secret.app_id)
        .join(AgreementRow, AgreementRow.id == App.agreement_id)
        .outerjoin(OAuth1Secret, OAuth1Secret.app_id == App.id)
        .order_by(App.id)
    )
    with engine.connect() as conn:
        return [
            AppSummary(client_id=r[0], name=r[1], disabled=bool(r[2]), created_at=r[3],
                       agreement=r[4], purpose=r[5], expires=r[6], oauth1=r[7] is not None)
            for r in conn.execute(query)
        ]


def _app_id(conn, client_id: str) -> int:  # noqa: ANN001
    app_id = conn.execute(select(App.id).where(App.client_id == client_id)).scalar()
    if app_id is None:
        raise RegistryError(f"no app with client id {client_id!r}")
    return app_id


def rotate_secret(engine: Engine, client_id: str, *,
                  oauth1: OAuth1Vault | None = None, actor: str = CLI_ACTOR) -> str:
    """A new secret replaces the old one at once (tokens already issued stay valid until they
    expire; revoke them to cut the app off). An app that signs with OAuth 1.0a gets the new
    secret there too, which needs the vault."""
    client_secret = new_secret()
    with for_writes(engine).begin() as conn:
        app_id = _app_id(conn, client_id)
        conn.execute(update(App).where(App.id == app_id)
                     .values(secret_hash=hash_secret(client_secret)))
        has_oauth1 = conn.execute(
            select(OAuth1Secret.app_id).where(OAuth1Secret.app_id == app_id)).first()
        if has_oauth1 is not None:
            if oauth1 is None:
                raise RegistryError(
                    f"app {client_id!r} signs with OAuth 1.0a: its new secret must be encrypted "
                    "too, so pass the OAuth 1.0a vault")
            conn.execute(update(OAuth1Secret).where(OAuth1Secret.app_id == app_id).values(
                ciphertext=oauth1.encrypt(client_id, client_secret), created_at=_now()))
        record(conn, actor, "app.rotate_secret", client_id)
    return client_secret


def disable_app(engine: Engine, client_id: str, *, actor: str = CLI_ACTOR) -> None:
    """The app gets no new token, and its current tokens stop working within seconds."""
    with for_writes(engine).begin() as conn:
        app_id = _app_id(conn, client_id)
        conn.execute(update(App).where(App.id == app_id).values(disabled=True))
        record(conn, actor, "app.disable", client_id)


@dataclass(frozen=True)
class AppDetail:
    app_id: int
    client_id: str
    name: str
    disabled: bool
    created_at: datetime
    agreement: Agreement
    terminated_at: datetime | None

    def ended(self, today: date) -> bool:
        return self.terminated_at is not None or self.agreement.expired(today)


def app_detail(engine: Engine, client_id: str) -> AppDetail:
    query = (select(App.id, App.client_id, App.name, App.disabled, App.created_at,
                    AgreementRow.document, AgreementRow.terminated_at)
             .join(AgreementRow, AgreementRow.id == App.agreement_id)
             .where(App.client_id == client_id))
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        raise RegistryError(f"no app with client id {client_id!r}")
    return AppDetail(row.id, row.client_id, row.name, bool(row.disabled), row.created_at,
                     from_document(row.document), row.terminated_at)


def all_app_details(engine: Engine) -> list[AppDetail]:
    query = (select(App.id, App.client_id, App.name, App.disabled, App.created_at,
                    AgreementRow.document, AgreementRow.terminated_at)
             .join(AgreementRow, AgreementRow.id == App.agreement_id).order_by(App.id))
    with engine.connect() as conn:
        return [AppDetail(r.id, r.client_id, r.name, bool(r.disabled), r.created_at,
                          from_document(r.document), r.terminated_at)
                for r in conn.execute(query)]


def update_agreement(engine: Engine, client_id: str, agreement: Agreement, *,
                     actor: str = CLI_ACTOR) -> None:
    """Replace the app's agreement terms; tokens already issued are read under the new terms
    from the next request on (every read consults the agreement). An ended agreement cannot
    be revived by editing it: register the app anew under a new agreement."""
    with for_writes(engine).begin() as conn:
        row = conn.execute(select(App.agreement_id, AgreementRow.terminated_at,
                                  AgreementRow.document)
                           .join(AgreementRow, AgreementRow.id == App.agreement_id)
                           .where(App.client_id == client_id)).first()
        if row is None:
            raise RegistryError(f"no app with client id {client_id!r}")
        if row.terminated_at is not None:
            raise RegistryError(f"app {client_id!r}: its agreement was terminated")
        conn.execute(update(AgreementRow).where(AgreementRow.id == row.agreement_id).values(
            name=agreement.name, purpose=agreement.purpose, expires=agreement.expires,
            document=agreement.document()))
        record(conn, actor, "agreement.update", client_id, before=row.document,
               after=agreement.document())
        app_id = _app_id(conn, client_id)
        pseudonym_order.forget(conn, app_id, agreement)  # keys of families no longer hidden
        pseudonym_order.catch_up(conn, [app_id])  # keys of a family it is newly shown


def oauth1_secret(engine: Engine, vault: OAuth1Vault, client_id: str) -> str | None:
    """The consumer secret of an app registered for OAuth 1.0a, or None."""
    query = (select(OAuth1Secret.ciphertext).join(App, App.id == OAuth1Secret.app_id)
             .where(App.client_id == client_id))
    with engine.connect() as conn:
        blob = conn.execute(query).scalar()
    return None if blob is None else vault.decrypt(client_id, blob)

"""Apps as authlib OAuth2 clients: what authlib asks of a client, answered from the app row and
its data-sharing agreement."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime

from authlib.oauth2.rfc6749 import ClientMixin
from sqlalchemy import Engine, select

from gateway.auth.scopes import narrow
from gateway.auth.secret_hash import verify_secret
from gateway.model import AgreementRow, App
from gateway.policy.agreement import Agreement, from_document

AUTH_METHODS = ("client_secret_basic", "client_secret_post")


def today() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class AppClient(ClientMixin):
    app_id: int
    client_id: str
    name: str
    secret_hash: str
    disabled: bool
    agreement: Agreement
    terminated: bool = False

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in AUTH_METHODS

    def check_client_secret(self, client_secret: str) -> bool:
        return verify_secret(client_secret, self.secret_hash)

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """The requested scopes narrowed to the agreement's; None (authlib: invalid_scope) when
        nothing is left."""
        granted = narrow(scope, self.agreement.scopes)
        return " ".join(sorted(granted)) if granted else None

    def refusal(self, on: date | None = None) -> str | None:
        """Why this app may not act now, or None when it may."""
        if self.disabled:
            return "the app is disabled"
        if self.terminated:
            return "the app's data-sharing agreement was terminated"
        if self.agreement.expired(on or today()):
            return (f"the app's data-sharing agreement expired on "
                    f"{self.agreement.expires.isoformat()}")
        return None


def load_client(engine: Engine, client_id: str) -> AppClient | None:
    if not client_id or len(client_id) > 64:
        return None
    query = (
        select(App.id, App.client_id, App.name, App.secret_hash, App.disabled,
               AgreementRow.document, AgreementRow.terminated_at)
        .join(AgreementRow, AgreementRow.id == App.agreement_id)
        .where(App.client_id == client_id)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    return AppClient(app_id=row.id, client_id=row.client_id, name=row.name,
                     secret_hash=row.secret_hash, disabled=bool(row.disabled),
                     agreement=from_document(row.document),
                     terminated=row.terminated_at is not None)


class ClientCache:
    """App and agreement per client id, kept a few seconds so a bearer request costs no query;
    a disabled app or an agreement change takes effect within `ttl` seconds on every node."""

    def __init__(self, ttl: float = 5.0) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, AppClient | None]] = {}
        self._lock = threading.Lock()

    def get(self, engine: Engine, client_id: str) -> AppClient | None:
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(client_id)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        client = load_client(engine, client_id)
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[client_id] = (now, client)
        return client

    def forget(self, client_id: str) -> None:
        with self._lock:
            self._entries.pop(client_id, None)

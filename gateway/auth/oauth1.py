"""OAuth 1.0a request signing for OneRoster 1.1 consumers (RFC 5849, two-legged: consumer key
and secret, no token). authlib parses the request and builds the signature base string; this
module adds HMAC-SHA256 (what OneRoster 1.1 specifies; HMAC-SHA1 stays accepted for older
clients), the app lookup, a timestamp window in both directions and replay protection through
nonces kept in the store, so a request replayed to another node is refused too."""

from __future__ import annotations

import binascii
import hashlib
import hmac
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from authlib.common.encoding import to_bytes, to_unicode
from authlib.oauth1.rfc5849.base_server import BaseServer
from authlib.oauth1.rfc5849.errors import InvalidClientError, InvalidRequestError, OAuth1Error
from authlib.oauth1.rfc5849.signature import (
    SIGNATURE_HMAC_SHA1,
    generate_signature_base_string,
    verify_hmac_sha1,
)
from authlib.oauth1.rfc5849.util import escape
from authlib.oauth1.rfc5849.wrapper import OAuth1Request
from sqlalchemy import Engine, delete, insert
from sqlalchemy.exc import IntegrityError

from gateway.auth.clients import AppClient, ClientCache
from gateway.auth.oauth1_vault import OAuth1Vault, VaultError
from gateway.auth.registry import oauth1_secret
from gateway.model import OAuth1Nonce

SIGNATURE_HMAC_SHA256 = "HMAC-SHA256"
WINDOW = 300  # seconds a signed request stays acceptable, either side of our clock


_EXPLAINED = {
    "invalid_nonce": "this nonce was already used: the request is a replay",
    "invalid_signature": "the OAuth 1.0a signature does not match the request",
    "unsupported_signature_method": "sign with HMAC-SHA256 (or HMAC-SHA1)",
}


class OAuth1Refused(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def hmac_sha256_signature(base_string: str, client_secret: str, token_secret: str = "") -> str:
    """RFC 5849 section 3.4.2 with SHA-256 in place of SHA-1, as OneRoster 1.1 requires."""
    key = f"{escape(client_secret or '')}&{escape(token_secret or '')}"
    digest = hmac.new(to_bytes(key), to_bytes(base_string), hashlib.sha256).digest()
    return to_unicode(binascii.b2a_base64(digest)[:-1])


def verify_hmac_sha256(request: OAuth1Request) -> bool:
    if not request.client_secret:
        return False
    expected = hmac_sha256_signature(generate_signature_base_string(request),
                                     request.client_secret, request.token_secret)
    return hmac.compare_digest(expected, request.signature or "")


@dataclass(frozen=True)
class Consumer:
    """What authlib's OAuth1Request asks of a client."""

    app: AppClient
    secret: str

    def get_client_secret(self) -> str:
        return self.secret


class TwoLeggedVerifier(BaseServer):
    SIGNATURE_METHODS = {
        SIGNATURE_HMAC_SHA1: verify_hmac_sha1,
        SIGNATURE_HMAC_SHA256: verify_hmac_sha256,
    }
    SUPPORTED_SIGNATURE_METHODS = [SIGNATURE_HMAC_SHA256, SIGNATURE_HMAC_SHA1]
    EXPIRY_TIME = WINDOW

    def __init__(self, engine: Engine, vault: OAuth1Vault, clients: ClientCache,
                 secret_ttl: float = 5.0) -> None:
        self.engine = engine
        self.vault = vault
        self.clients = clients
        self.secret_ttl = secret_ttl
        self._secrets: dict[str, tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    def _secret(self, client_id: str) -> str | None:
        now = time.monotonic()
        with self._lock:
            hit = self._secrets.get(client_id)
        if hit is not None and now - hit[0] < self.secret_ttl:
            return hit[1]
        secret = oauth1_secret(self.engine, self.vault, client_id)
        with self._lock:
            self._secrets[client_id] = (now, secret)
        return secret

    def get_client_by_id(self, client_id: str) -> Consumer | None:
        app = self.clients.get(self.engine, client_id)
        if app is None:
            return None
        secret = self._secret(client_id)
        return None if secret is None else Consumer(app, secret)

    def exists_nonce(self, nonce: str, request: OAuth1Request) -> bool:
        """Record the nonce; True when it was already recorded (a replay)."""
        if len(nonce) > 255:
            raise InvalidRequestError('"oauth_nonce" is too long')
        now = datetime.now(UTC)
        try:
            with self.engine.begin() as conn:
                conn.execute(delete(OAuth1Nonce).where(OAuth1Nonce.expires_at < now))
                conn.execute(insert(OAuth1Nonce).values(
                    client_id=request.client_id, nonce=nonce,
                    timestamp=int(request.timestamp),
                    expires_at=now + timedelta(seconds=2 * WINDOW)))
        except IntegrityError:
            return True
        return False

    def verify(self, method: str, uri: str, body: Any, headers: Any) -> AppClient:
        """The app that signed this request, or OAuth1Refused. The signature is checked before
        the nonce is recorded, so nobody without the secret can use up a consumer's nonces."""
        try:
            request = OAuth1Request(method, uri, body, headers)
            if request.token:
                raise InvalidRequestError(
                    '"oauth_token" is not used: OneRoster requests are signed two-legged')
            if not request.client_id:
                raise InvalidRequestError('missing "oauth_consumer_key"')
            consumer = self.get_client_by_id(request.client_id)
            if consumer is None:
                raise InvalidClientError(description="unknown consumer key, or the app is not "
                                                     "registered for OAuth 1.0a")
            request.client = consumer
            self.validate_oauth_signature(request)
            self._check_not_future(request)
            self.validate_timestamp_and_nonce(request)
        except OAuth1Error as exc:
            error = exc.error or "invalid_request"
            raise OAuth1Refused(error, exc.description or _EXPLAINED.get(error, error)) from None
        except VaultError as exc:
            raise OAuth1Refused("invalid_client", str(exc)) from None
        except ValueError as exc:
            raise OAuth1Refused("invalid_request", f"bad OAuth 1.0a parameters: {exc}") from None
        return consumer.app

    @staticmethod
    def _check_not_future(request: OAuth1Request) -> None:
        try:
            stamp = int(request.timestamp or 0)
        except ValueError:
            raise InvalidRequestError('Invalid "oauth_timestamp" value') from None
        if stamp > time.time() + WINDOW:
            raise InvalidRequestError('"oauth_timestamp" is in the future')

"""The one check every protected view makes: who is calling, under which agreement, with which
scopes. Bearer JWTs are verified in-process (keys, denylist and app cached briefly); OAuth 1.0a
signatures are accepted where a view allows them (OneRoster 1.1)."""

from __future__ import annotations

from dataclasses import dataclass

import flask

from gateway.auth.clients import AppClient
from gateway.auth.oauth1 import OAuth1Refused
from gateway.auth.tokens import TokenInvalid
from gateway.auth.wiring import auth_state
from gateway.extensions import request_reads, store_engine
from gateway.policy.agreement import Agreement

FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Caller:
    app_id: int
    client_id: str
    scopes: frozenset[str]
    agreement: Agreement
    token_id: str | None  # the access token's jti; None for OAuth 1.0a


class AuthError(Exception):
    """The request is not authenticated. `www_authenticate` is the header to send with the
    401 (RFC 6750 section 3); no error code is given when no credentials were sent at all."""

    def __init__(self, description: str, *, error: str = "invalid_token", status: int = 401,
                 credentials_sent: bool = True, oauth1: bool = False) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.credentials_sent = credentials_sent
        self.oauth1 = oauth1

    @property
    def www_authenticate(self) -> str:
        safe = self.description.replace('"', "'")
        bearer = 'Bearer realm="gateway"'
        if self.credentials_sent:
            bearer += f', error="{self.error}", error_description="{safe}"'
        return f'{bearer}, OAuth realm="gateway"' if self.oauth1 else bearer


def authenticate(request: flask.Request, *, allow_oauth1: bool = False) -> Caller:
    """The caller of `request`, or AuthError. Call inside the app (it reads the store)."""
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() == "bearer":
        return _bearer(credentials.strip(), allow_oauth1)
    if allow_oauth1 and (scheme.lower() == "oauth" or "oauth_signature" in request.args):
        return _oauth1(request)
    if header:
        expected = "Bearer or OAuth" if allow_oauth1 else "Bearer"
        raise AuthError(f"unsupported authorization scheme {scheme!r}: use {expected}",
                        error="invalid_request", oauth1=allow_oauth1)
    raise AuthError("no credentials: send Authorization: Bearer <access token>",
                    error="invalid_request", credentials_sent=False, oauth1=allow_oauth1)


def _active(client: AppClient | None, oauth1: bool) -> AppClient:
    if client is None:
        raise AuthError("the app is no longer registered", oauth1=oauth1)
    refusal = client.refusal()
    if refusal:
        raise AuthError(refusal, oauth1=oauth1)
    return client


def _bearer(token: str, oauth1: bool) -> Caller:
    state = auth_state()
    engine = store_engine()
    try:
        claims = state.verify(token)
    except TokenInvalid as exc:
        raise AuthError(exc.description, oauth1=oauth1) from None
    if state.denylist.is_revoked_on(request_reads(claims["jti"]), claims["jti"]):
        raise AuthError("the token has been revoked", oauth1=oauth1)
    client = _active(state.clients.get(engine, claims["client_id"]), oauth1)
    granted = frozenset(claims.get("scope", "").split()) & client.agreement.scopes
    return Caller(app_id=client.app_id, client_id=client.client_id, scopes=granted,
                  agreement=client.agreement, token_id=claims["jti"])


def _signed_uri(request: flask.Request) -> str:
    """The URI as the client sent it: Werkzeug's `request.url` re-quotes the query string (it
    turns %27 back into '), which would change the signature base string."""
    query = request.query_string.decode("latin-1")
    return request.base_url + (f"?{query}" if query else "")


def _oauth1(request: flask.Request) -> Caller:
    """OAuth 1.0a carries no scopes: the app may use everything its agreement grants."""
    body = request.get_data(as_text=True) if request.mimetype == FORM else None
    try:
        app = auth_state().oauth1().verify(request.method, _signed_uri(request), body,
                                           request.headers)
    except OAuth1Refused as exc:
        error = "invalid_request" if exc.error == "invalid_request" else "invalid_token"
        raise AuthError(exc.description, error=error, oauth1=True) from None
    client = _active(app, oauth1=True)
    return Caller(app_id=client.app_id, client_id=client.client_id,
                  scopes=client.agreement.scopes, agreement=client.agreement, token_id=None)

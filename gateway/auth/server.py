"""The authorization server: authlib's Flask server with the one grant the gateway offers
(client credentials), RFC 7662 introspection and RFC 7009 revocation. Only the policy lives
here (agreements narrow scopes; disabled apps and expired agreements get nothing); the protocol
is authlib's."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import (
    InvalidClientError,
    InvalidRequestError,
    InvalidScopeError,
    TokenMixin,
    UnauthorizedClientError,
)
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from sqlalchemy import Engine

from gateway.auth.clients import AUTH_METHODS, AppClient, load_client
from gateway.auth.denylist import Denylist
from gateway.auth.secret_guard import SecretGuard, claimed_client_id
from gateway.auth.tokens import TokenInvalid

SINGLE_VALUED = ("grant_type", "scope", "client_id", "client_secret")


class AgreementClientCredentialsGrant(ClientCredentialsGrant):
    """RFC 6749 section 4.4, for apps working under a data-sharing agreement."""

    TOKEN_ENDPOINT_AUTH_METHODS = list(AUTH_METHODS)

    def validate_token_request(self) -> None:
        client: AppClient = self.authenticate_token_endpoint_client()
        self.request.client = client
        if client.disabled:
            basic = self.request.auth_method == "client_secret_basic"
            raise InvalidClientError(description="the app is disabled",
                                     status_code=401 if basic else 400)
        refusal = client.refusal()
        if refusal:
            raise UnauthorizedClientError(description=refusal)
        self.validate_requested_scope()

    def validate_requested_scope(self) -> None:
        if self.request.client.get_allowed_scope(self.request.payload.scope) is None:
            raise InvalidScopeError(
                description="none of the requested scopes is granted by the app's agreement")


def check_token_request(form: Any, headers: Any) -> None:
    """RFC 6749 section 5.2 invalid_request cases authlib leaves to the server."""
    if not form.get("grant_type"):
        raise InvalidRequestError(description="grant_type is required")
    for name in SINGLE_VALUED:
        if len(form.getlist(name)) > 1:
            raise InvalidRequestError(description=f"{name} must be sent once")
    basic_id, _secret = extract_basic_authorization(headers)
    if basic_id and form.get("client_secret"):
        raise InvalidRequestError(
            description="authenticate one way: HTTP Basic or client_secret in the body")


class GatewayAuthorizationServer(AuthorizationServer):
    secret_guard: SecretGuard | None = None  # set when wired into an app

    def _authenticate(self, request: Any, methods: list[str], endpoint: str) -> AppClient:
        """authlib's failure message lists methods; the caller needs to know what was wrong."""
        try:
            return super().authenticate_client(request, methods, endpoint)
        except InvalidClientError as exc:
            raise InvalidClientError(
                status_code=exc.status_code,
                description="client authentication failed: unknown client_id or wrong secret",
            ) from None

    def authenticate_client(self, request: Any, methods: list[str],
                            endpoint: str = "token") -> AppClient:
        """Every endpoint's secret check goes through the guard's budgets (secret_guard)."""
        guard = self.secret_guard
        if guard is None:
            return self._authenticate(request, methods, endpoint)
        client_id = claimed_client_id()
        known = bool(client_id) and self.query_client(client_id) is not None
        return guard.authenticate(client_id, known,
                                  lambda: self._authenticate(request, methods, endpoint),
                                  endpoint)

    def create_token_response(self, request: Any = None) -> Any:
        try:
            oauth_request = self.create_oauth2_request(request)
            check_token_request(oauth_request.form, oauth_request.headers)
        except OAuth2Error as error:
            return self.handle_response(*error())
        return super().create_token_response(request)


@dataclass(frozen=True)
class IssuedToken(TokenMixin):
    """A verified access token, as introspection and revocation see it."""

    claims: dict[str, Any]
    revoked: bool

    @property
    def client_id(self) -> str:
        return self.claims["client_id"]

    @property
    def jti(self) -> str:
        return self.claims["jti"]

    def check_client(self, client: AppClient) -> bool:
        return client.client_id == self.client_id

    def get_scope(self) -> str:
        return self.claims.get("scope", "")

    def get_expires_in(self) -> int:
        return int(self.claims["exp"]) - int(self.claims["iat"])

    def is_expired(self) -> bool:
        return int(self.claims["exp"]) <= time.time()

    def is_revoked(self) -> bool:
        return self.revoked


@dataclass(frozen=True)
class TokenStore:
    """How the endpoints reach the store and the verifier (both bound to the current app)."""

    engine: Callable[[], Engine]
    verify: Callable[[str], dict[str, Any]]
    denylist: Denylist

    def find(self, token_string: str) -> IssuedToken | None:
        """A token this server issued (expired or not), or None for anything else."""
        try:
            claims = self.verify(token_string)
        except TokenInvalid:
            return None
        return IssuedToken(claims, self.denylist.is_revoked(self.engine(), claims["jti"]))


def _active_client(endpoint: Any, request: Any) -> AppClient:
    client: AppClient = endpoint.server.authenticate_client(
        request, endpoint.CLIENT_AUTH_METHODS, endpoint.ENDPOINT_NAME)
    if client.disabled:
        raise InvalidClientError(description="the app is disabled", status_code=401)
    request.client = client
    return client


class TokenIntrospection(IntrospectionEndpoint):
    """RFC 7662. An app authenticates as itself and may look only at its own tokens; any other
    token (someone else's, revoked, expired, forged) is simply `{"active": false}`."""

    CLIENT_AUTH_METHODS = list(AUTH_METHODS)

    def __init__(self, tokens: TokenStore, issuer: str) -> None:
        super().__init__()
        self.tokens = tokens
        self.issuer = issuer

    def authenticate_endpoint_client(self, request: Any) -> AppClient:
        return _active_client(self, request)

    def query_token(self, token_string: str, token_type_hint: str | None) -> IssuedToken | None:
        return self.tokens.find(token_string)

    def check_permission(self, token: IssuedToken, client: AppClient, request: Any) -> bool:
        return token.check_client(client)

    def introspect_token(self, token: IssuedToken) -> dict[str, Any]:
        owner = load_client(self.tokens.engine(), token.client_id)
        if owner is None or owner.refusal() is not None:
            return {"active": False}
        claims = token.claims
        return {
            "active": True, "token_type": "Bearer", "client_id": claims["client_id"],
            "scope": claims.get("scope", ""), "sub": claims["sub"], "aud": claims["aud"],
            "iss": claims["iss"], "exp": claims["exp"], "iat": claims["iat"],
            "jti": claims["jti"],
        }


class TokenRevocation(RevocationEndpoint):
    """RFC 7009. Revoking an unknown or malformed token succeeds quietly (section 2.2); revoking
    another app's token is refused and leaves that token working."""

    CLIENT_AUTH_METHODS = list(AUTH_METHODS)

    def __init__(self, tokens: TokenStore) -> None:
        super().__init__()
        self.tokens = tokens

    def authenticate_endpoint_client(self, request: Any) -> AppClient:
        return _active_client(self, request)

    def query_token(self, token_string: str, token_type_hint: str | None) -> IssuedToken | None:
        return self.tokens.find(token_string)

    def revoke_token(self, token: IssuedToken, request: Any) -> None:
        expires = datetime.fromtimestamp(int(token.claims["exp"]), UTC)
        self.tokens.denylist.revoke(self.tokens.engine(), token.jti, token.client_id, expires)

"""Wiring the authorization server into a Flask app. Everything with in-process state (key
ring, denylist copy, app cache) belongs to one app object, so two apps in one process (tests,
or two stores) never share caches."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

from gateway.auth.clients import ClientCache, load_client
from gateway.auth.denylist import Denylist
from gateway.auth.keys import KeyRing, Signer
from gateway.auth.oauth1 import TwoLeggedVerifier
from gateway.auth.oauth1_vault import OAuth1Vault, vault_path
from gateway.auth.secret_guard import SecretGuard
from gateway.auth.server import (
    AgreementClientCredentialsGrant,
    GatewayAuthorizationServer,
    TokenIntrospection,
    TokenRevocation,
    TokenStore,
)
from gateway.auth.tokens import LEEWAY, AccessTokenGenerator, unverified_header, verify_token
from gateway.config import Settings
from gateway.extensions import store_engine


class VerifiedTokens:
    """Tokens whose signature and claims this process has verified, by their exact text: a
    client sends the same token on every request until it expires, and an RS256 check costs
    more than the rest of a cached read. A hit is re-checked for expiry and for its signing
    key still being accepted (a retired key ends its tokens here too); revocation is checked
    on every request anyway, by the caller."""

    SIZE = 4096

    def __init__(self) -> None:
        self._claims: dict[str, tuple[dict[str, Any], str]] = {}
        self._lock = threading.Lock()

    def get(self, token: str, key_for: Any) -> dict[str, Any] | None:
        found = self._claims.get(token)
        if found is None:
            return None
        claims, kid = found
        if claims["exp"] + LEEWAY < time.time() or key_for(kid) is None:
            with self._lock:
                self._claims.pop(token, None)
            return None
        return claims

    def put(self, token: str, claims: dict[str, Any]) -> None:
        kid = unverified_header(token)["kid"]
        with self._lock:
            if len(self._claims) >= self.SIZE:
                self._claims.clear()
            self._claims[token] = (claims, kid)


@dataclass
class AuthState:
    settings: Settings
    signer: Signer = field(default_factory=Signer)
    keyring: KeyRing = field(default_factory=KeyRing)
    denylist: Denylist = field(default_factory=Denylist)
    clients: ClientCache = field(default_factory=ClientCache)
    server: GatewayAuthorizationServer = field(default_factory=GatewayAuthorizationServer)
    _oauth1: TwoLeggedVerifier | None = None
    verified: VerifiedTokens = field(default_factory=lambda: VerifiedTokens())

    def signing_keys(self) -> Any:
        keys = self.signer.current(store_engine())
        for key in keys:
            self.keyring.expect(key.kid)
        return keys

    def verify(self, token: str, *, check_expiry: bool = True) -> dict[str, Any]:
        engine = store_engine()

        def key_for(kid: str) -> Any:
            return self.keyring.key_for(engine, kid)

        if check_expiry:
            claims = self.verified.get(token, key_for)
            if claims is not None:
                return claims
        claims = verify_token(token, key_for, issuer=self.settings.issuer,
                              audience=self.settings.audience, check_expiry=check_expiry)
        if check_expiry:
            self.verified.put(token, claims)
        return claims

    def oauth1(self) -> TwoLeggedVerifier:
        if self._oauth1 is None:
            self._oauth1 = TwoLeggedVerifier(store_engine(), OAuth1Vault(vault_path(self.settings)),
                                             self.clients)
        return self._oauth1


def _build_server(state: AuthState, app: Flask) -> None:
    settings = state.settings
    server = state.server
    server.init_app(app, query_client=lambda client_id: load_client(store_engine(), client_id),
                    save_token=lambda token, request: None)
    server.register_token_generator("default", AccessTokenGenerator(
        issuer=settings.issuer, audience=settings.audience, lifetime=settings.token_lifetime,
        signing_keys=state.signing_keys))
    server.register_grant(AgreementClientCredentialsGrant)
    server.secret_guard = SecretGuard(
        engine=store_engine, failure_limit=settings.secret_failure_limit,
        checks_per_second=settings.secret_checks_per_second,
        token_limit=settings.token_rate_limit)
    tokens = TokenStore(engine=store_engine,
                        verify=lambda token: state.verify(token, check_expiry=False),
                        denylist=state.denylist)
    server.register_endpoint(TokenIntrospection(tokens, settings.issuer))
    server.register_endpoint(TokenRevocation(tokens))


def init_auth(app: Flask) -> None:
    from gateway.auth.json_requests import JsonAsForm
    from gateway.auth.routes import TOKEN_INFO_PATH, TOKEN_PATH, oauth

    state = AuthState(settings=app.config["GATEWAY_SETTINGS"])
    _build_server(state, app)
    app.extensions["gateway.auth"] = state
    app.register_blueprint(oauth)
    app.wsgi_app = JsonAsForm(app.wsgi_app, frozenset({TOKEN_PATH, TOKEN_INFO_PATH}))


def auth_state() -> AuthState:
    return current_app.extensions["gateway.auth"]

"""Service tokens for LTI Advantage (Security Framework 4.1; RFC 7523 private_key_jwt):
`POST /lti/token` with grant_type=client_credentials and a client assertion the tool signed
with its own key, checked against the key it registered (or its JWK Set URL).

Checked, in this order, each refusal an RFC 6749 error body: the grant and assertion types;
the assertion's header (RS256 only, no embedded keys); `iss` = `sub` = a registered tool; the
signature with the tool's key; `aud` names this token endpoint; `exp` in the future and not
too far; `iat` not in the future; `jti` present and never seen before (kept until the
assertion expires, in the store, so every node agrees); then the scopes: the requested ones
the registration allows (none left: invalid_scope).

The access token is a JWT signed like every gateway token, but for the LTI services only
(audience `{issuer}/lti`): it opens no OneRoster or Ed-Fi door, and theirs open no LTI one."""

from __future__ import annotations

import base64
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from flask import Blueprint, Response, jsonify, request
from joserfc import jwt
from joserfc.errors import JoseError

from gateway.auth.lti_registry import load_tool
from gateway.auth.lti_state import AlreadyUsed, use_once
from gateway.auth.request_limits import bound_oauth_requests
from gateway.auth.tokens import TokenInvalid, unverified_header
from gateway.auth.wiring import auth_state
from gateway.extensions import store_engine, write_engine
from gateway.lti.state import LEEWAY, SERVICE_TOKEN_LIFETIME, lti_state
from gateway.lti.tool_keys import KeysUnavailable
from gateway.public_url import public_root

tokens = Blueprint("lti_token", __name__)
bound_oauth_requests(tokens)

TOKEN_PATH = "/lti/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_ASSERTION_LIFETIME = 600  # seconds between now and an assertion's exp
MAX_ASSERTION_BYTES = 8192


def lti_audience(issuer: str) -> str:
    return issuer.rstrip("/") + "/lti"


class TokenRefused(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


def _refuse(exc: TokenRefused) -> Response:
    response = jsonify(error=exc.error, error_description=exc.description)
    response.status_code = exc.status
    response.headers["Cache-Control"] = "no-store"
    return response


def _claims_unverified(assertion: str) -> dict[str, Any]:
    try:
        part = assertion.split(".")[1]
        claims = orjson.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (IndexError, ValueError):
        raise TokenRefused("invalid_client", "client_assertion is not a JWT") from None
    if not isinstance(claims, dict):
        raise TokenRefused("invalid_client", "client_assertion is not a JWT")
    return claims


def _audiences(claims: dict[str, Any]) -> list[str]:
    aud = claims.get("aud")
    values = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    return [v.rstrip("/") for v in values if isinstance(v, str)]


def _verify(assertion: str) -> tuple[Any, dict[str, Any]]:
    """The tool and the verified claims of its assertion, or TokenRefused."""
    if not assertion or len(assertion) > MAX_ASSERTION_BYTES or assertion.count(".") != 2:
        raise TokenRefused("invalid_request", "client_assertion must be a signed JWT")
    try:
        header = unverified_header(assertion)
    except TokenInvalid:
        raise TokenRefused("invalid_client", "client_assertion is not a JWT") from None
    if header.get("alg") != "RS256":
        raise TokenRefused("invalid_client", "client_assertion must be signed RS256")
    if any(k in header for k in ("jwk", "jku", "x5u", "x5c", "crit")):
        raise TokenRefused("invalid_client", "client_assertion must not carry or point at "
                                             "keys; the registered key is used")
    unverified = _claims_unverified(assertion)
    client_id = unverified.get("iss")
    tool = load_tool(store_engine(), client_id if isinstance(client_id, str) else "")
    if tool is None:
        raise TokenRefused("invalid_client", "client_assertion iss is not a registered tool",
                           401)
    if unverified.get("sub") != tool.client_id:
        raise TokenRefused("invalid_client", "client_assertion sub must equal iss (the "
                                             "tool's client_id)", 401)
    kid = header.get("kid") if isinstance(header.get("kid"), str) else None
    try:
        keys = lti_state().tool_keys.candidates(tool.jwks_url, tool.public_jwk, kid)
    except KeysUnavailable as exc:
        raise TokenRefused("invalid_client", str(exc), 401) from None
    claims = None
    for key in keys:
        try:
            claims = jwt.decode(assertion, key, algorithms=["RS256"]).claims
            break
        except (JoseError, ValueError):
            continue
    if claims is None:
        raise TokenRefused("invalid_client", "client_assertion signature does not verify "
                                             "with the tool's registered keys", 401)
    return tool, claims


def _check_claims(claims: dict[str, Any]) -> None:
    ours = {public_root().rstrip("/") + TOKEN_PATH,
            auth_state().settings.issuer.rstrip("/") + TOKEN_PATH}
    if not ours & set(_audiences(claims)):
        raise TokenRefused("invalid_client", "client_assertion aud must name this token "
                                             "endpoint", 401)
    now = time.time()
    exp, iat, jti = claims.get("exp"), claims.get("iat"), claims.get("jti")
    if not isinstance(exp, int | float) or exp + LEEWAY <= now:
        raise TokenRefused("invalid_client", "client_assertion has expired (exp)", 401)
    if exp > now + MAX_ASSERTION_LIFETIME + LEEWAY:
        raise TokenRefused("invalid_client", f"client_assertion exp is more than "
                                             f"{MAX_ASSERTION_LIFETIME} s ahead", 401)
    if not isinstance(iat, int | float) or iat > now + LEEWAY:
        raise TokenRefused("invalid_client", "client_assertion iat is missing or in the "
                                             "future", 401)
    if not isinstance(jti, str) or not jti or len(jti) > 255:
        raise TokenRefused("invalid_client", "client_assertion needs a jti (1 to 255 "
                                             "characters)", 401)


@tokens.post(TOKEN_PATH)
def token() -> Response:
    form = request.form
    try:
        if form.get("grant_type") != "client_credentials":
            raise TokenRefused("unsupported_grant_type", "grant_type must be "
                                                         "client_credentials")
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            raise TokenRefused("invalid_request", f"client_assertion_type must be "
                                                  f"{ASSERTION_TYPE}")
        tool, claims = _verify(form.get("client_assertion", ""))
        _check_claims(claims)
        app = auth_state().clients.get(store_engine(), tool.app_client_id)
        if app is None or app.refusal():
            raise TokenRefused("invalid_client", "the tool's data-sharing agreement is not "
                                                 "active", 401)
        requested = (form.get("scope") or "").split()
        granted = sorted(set(requested) & tool.scopes)
        if not granted:
            raise TokenRefused("invalid_scope", "none of the requested scopes is granted to "
                                                "this tool")
        expires = datetime.fromtimestamp(claims["exp"] + LEEWAY, UTC) + timedelta(seconds=1)
        with write_engine().begin() as conn:
            use_once(conn, f"jti:{tool.client_id}", claims["jti"], expires)
    except TokenRefused as exc:
        return _refuse(exc)
    except AlreadyUsed:
        return _refuse(TokenRefused("invalid_client", "client_assertion jti has been used "
                                                      "already (replay)", 401))
    scope = " ".join(granted)
    response = jsonify(access_token=_access_token(tool.client_id, scope),
                       token_type="Bearer", expires_in=SERVICE_TOKEN_LIFETIME, scope=scope)
    response.headers["Cache-Control"] = "no-store"
    return response


def _access_token(client_id: str, scope: str) -> str:
    settings = auth_state().settings
    keys = auth_state().signing_keys()
    kid = next(iter(keys)).kid
    now = int(time.time())
    claims = {"iss": settings.issuer, "aud": lti_audience(settings.issuer), "sub": client_id,
              "client_id": client_id, "scope": scope, "iat": now,
              "exp": now + SERVICE_TOKEN_LIFETIME, "jti": secrets.token_urlsafe(18)}
    return jwt.encode({"alg": "RS256", "typ": "at+jwt", "kid": kid}, claims, keys,
                      algorithms=["RS256"])

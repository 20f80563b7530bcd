"""Access tokens: RFC 9068 JWTs signed RS256, minted by authlib's generator and verified here
with an explicit algorithm allowlist, so a token cannot choose how it is checked."""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Callable
from typing import Any

from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey
from joserfc.jwt import JWTClaimsRegistry

ALGORITHM = "RS256"
TOKEN_TYPE = "at+jwt"
MAX_TOKEN_LENGTH = 8192
LEEWAY = 30  # seconds of clock skew tolerated between nodes


class TokenInvalid(Exception):
    """The token must not be honoured; `description` says why (safe to show the caller)."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class AccessTokenGenerator(JWTBearerTokenGenerator):
    """authlib's RFC 9068 generator with the gateway's audience, a longer jti and the signing
    key found in the store at each issue."""

    def __init__(self, issuer: str, audience: str, lifetime: int,
                 signing_keys: Callable[[], KeySet]) -> None:
        super().__init__(issuer=issuer, alg=ALGORITHM, expires_generator=lifetime)
        self.audience = audience
        self._signing_keys = signing_keys

    def get_jwks(self) -> KeySet:
        return self._signing_keys()

    def get_audiences(self, client: Any, user: Any, scope: str) -> str:
        return self.audience

    def get_jti(self, client: Any, grant_type: str, user: Any, scope: str) -> str:
        return secrets.token_urlsafe(18)


def unverified_header(token: str) -> dict[str, Any]:
    """The JOSE header, read only to pick the key; nothing in it is trusted beyond that."""
    try:
        segment = token.split(".", 1)[0]
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, UnicodeDecodeError):
        raise TokenInvalid("the token is not a JWT") from None
    if not isinstance(header, dict):
        raise TokenInvalid("the token is not a JWT")
    return header


def _check_header(header: dict[str, Any]) -> str:
    if header.get("alg") != ALGORITHM:
        raise TokenInvalid(f"tokens must be signed {ALGORITHM}")
    if str(header.get("typ", "")).lower() not in (TOKEN_TYPE, "application/" + TOKEN_TYPE):
        raise TokenInvalid("the token is not an access token (typ must be at+jwt)")
    if header.get("crit"):
        raise TokenInvalid("the token carries critical header parameters we do not support")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid or len(kid) > 128:
        raise TokenInvalid("the token names no usable signing key (kid)")
    return kid


def verify_token(token: str, key_for: Callable[[str], RSAKey | None], *, issuer: str,
                 audience: str, check_expiry: bool = True) -> dict[str, Any]:
    """The claims of a token this server issued, or TokenInvalid. `check_expiry=False` serves
    introspection and revocation, which must recognise a token that has since expired."""
    if not token or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 2:
        raise TokenInvalid("the token is not a JWT")
    kid = _check_header(unverified_header(token))
    key = key_for(kid)
    if key is None:
        raise TokenInvalid("the token's signing key is unknown or retired")
    try:
        decoded = jwt.decode(token, key, algorithms=[ALGORITHM])
    except (JoseError, ValueError):
        raise TokenInvalid("the token's signature does not verify") from None
    claims = decoded.claims
    registry = JWTClaimsRegistry(
        leeway=LEEWAY,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": audience},
        exp={"essential": True}, iat={"essential": True}, jti={"essential": True},
        sub={"essential": True}, client_id={"essential": True},
    )
    try:
        registry.validate(claims if check_expiry else {**claims, "exp": int(time.time()) + 60})
    except JoseError as exc:
        claim = getattr(exc, "claim", None) or str(exc)
        raise TokenInvalid(_claim_problem(claim, exc)) from None
    if claims["sub"] != claims["client_id"] or not isinstance(claims.get("scope", ""), str):
        raise TokenInvalid("the token's subject or scope is malformed")
    return claims


def _claim_problem(claim: str, exc: JoseError) -> str:
    return {
        "exp": "the token has expired",
        "iss": "the token was not issued by this gateway",
        "aud": "the token was not issued for this gateway's APIs",
        "iat": "the token's issue time is in the future",
    }.get(claim, f"the token's claims are invalid ({exc.error})")

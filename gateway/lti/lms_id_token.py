"""The LMS's id_token, checked as the Security Framework (1.0, section 5.1.3) asks a tool to,
all nine points, then the LTI Core claims the relay relies on. Each refusal names the claim
and the reason, for the page district IT and the LMS admin read.

1. the JWS signature, with the LMS key its `kid` names in the LMS's JWK Set (fetched again
   when the kid is unknown, so a rotation is followed);
2. `iss` exactly the registered issuer;
3. `aud` holds our client_id, and no audience we do not trust;
4-5. `azp`, when present (and it must be when `aud` is a list of several), is our client_id;
6. `alg` RS256 (never `none`, never a MAC keyed with a public key);
7. now before `exp` (with a small leeway for clocks);
8. `iat` not in the future (same leeway) and not older than LMS_TOKEN_MAX_AGE;
9. a `nonce`, the one this login sent (its single use is the caller's transaction).
"""

from __future__ import annotations

import time
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError

from gateway.auth.lti_registry import LtiRegistryError, PlatformRegistration, check_url
from gateway.auth.lti_state import DEEP_LINKING, RESOURCE_LINK
from gateway.auth.tokens import TokenInvalid, unverified_header
from gateway.lti.claims import DL_SETTINGS, LTI
from gateway.lti.state import LEEWAY, LMS_TOKEN_MAX_AGE
from gateway.lti.tool_keys import KeysUnavailable, ToolKeys

MAX_TOKEN_BYTES = 64 * 1024
MESSAGE_TYPES = (RESOURCE_LINK, DEEP_LINKING)


class LmsTokenRefused(ValueError):
    """The id_token cannot be accepted; the message says which check failed and why."""


def _signed_claims(token: str, platform: PlatformRegistration, keys: ToolKeys) -> dict[str, Any]:
    """Points 1 and 6: the claims, once the signature verifies with the LMS's RS256 key."""
    if not token or len(token) > MAX_TOKEN_BYTES or token.count(".") != 2:
        raise LmsTokenRefused("id_token: not a signed JWT (three dot-separated parts)")
    try:
        header = unverified_header(token)
    except TokenInvalid:
        raise LmsTokenRefused("id_token: the JOSE header is not JSON") from None
    alg = header.get("alg")
    if alg != "RS256":
        raise LmsTokenRefused(f"id_token: alg {alg!r} is refused; an LMS id_token must be "
                              "signed RS256 with the key in its JWK Set")
    if any(k in header for k in ("jwk", "jku", "x5u", "x5c", "crit")):
        raise LmsTokenRefused("id_token: the header must not carry or point at keys; the "
                              "LMS's registered JWK Set is used")
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise LmsTokenRefused("id_token: kid must be a string")
    try:
        candidates = keys.candidates(platform.jwks_url, None, kid)
    except KeysUnavailable as exc:
        raise LmsTokenRefused(f"id_token: {exc}") from None
    if not candidates:
        raise LmsTokenRefused(f"id_token: no key with kid {kid!r} in the LMS's JWK Set "
                              f"({platform.jwks_url}), even fetched again")
    for key in candidates:
        try:
            return dict(jwt.decode(token, key, algorithms=["RS256"]).claims)
        except (JoseError, ValueError):
            continue
    raise LmsTokenRefused("id_token: the signature does not verify with the LMS's key"
                          + (f" {kid!r}" if kid else "s"))


def _audience(claims: dict[str, Any], client_id: str) -> None:
    """Points 3 to 5."""
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else None
    if not audiences or not all(isinstance(a, str) for a in audiences):
        raise LmsTokenRefused("aud: missing or not a string or list of strings")
    if client_id not in audiences:
        raise LmsTokenRefused(f"aud: {aud!r} does not name the gateway's client_id "
                              f"{client_id!r} at this LMS")
    untrusted = sorted(set(audiences) - {client_id})
    if untrusted:
        raise LmsTokenRefused(f"aud: also names {', '.join(map(repr, untrusted))}, which the "
                              "gateway does not trust")
    azp = claims.get("azp")
    if len(audiences) > 1 and azp is None:
        raise LmsTokenRefused("azp: required when aud lists several audiences")
    if azp is not None and azp != client_id:
        raise LmsTokenRefused(f"azp: {azp!r} is not the gateway's client_id {client_id!r}")


def _times(claims: dict[str, Any], now: float) -> None:
    """Points 7 and 8."""
    exp, iat = claims.get("exp"), claims.get("iat")
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        raise LmsTokenRefused("exp: missing or not a number")
    if now >= exp + LEEWAY:
        raise LmsTokenRefused(f"exp: the id_token expired {int(now - exp)} s ago (leeway "
                              f"{LEEWAY} s)")
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        raise LmsTokenRefused("iat: missing or not a number")
    if iat > now + LEEWAY:
        raise LmsTokenRefused(f"iat: issued {int(iat - now)} s in the future (leeway "
                              f"{LEEWAY} s); check the LMS's clock")
    if iat < now - LMS_TOKEN_MAX_AGE:
        raise LmsTokenRefused(f"iat: issued {int(now - iat)} s ago; the gateway accepts "
                              f"id_tokens at most {LMS_TOKEN_MAX_AGE} s old")


def _lti_claims(claims: dict[str, Any], platform: PlatformRegistration,
                target_link_uri: str) -> None:
    version = claims.get(LTI + "version")
    if version != "1.3.0":
        raise LmsTokenRefused(f"version: {version!r}; only LTI 1.3.0 is accepted")
    message_type = claims.get(LTI + "message_type")
    if message_type not in MESSAGE_TYPES:
        raise LmsTokenRefused(f"message_type: {message_type!r} is not one the gateway "
                              f"accepts ({', '.join(MESSAGE_TYPES)})")
    deployment = claims.get(LTI + "deployment_id")
    if not isinstance(deployment, str) or not deployment:
        raise LmsTokenRefused("deployment_id: missing")
    if deployment not in platform.deployment_ids:
        raise LmsTokenRefused(f"deployment_id: {deployment!r} is not registered for this LMS "
                              f"(registered: {', '.join(platform.deployment_ids)})")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub or len(sub) > 255:
        raise LmsTokenRefused("sub: the launch names no user (anonymous launches cannot be "
                              "matched to the district's roster)")
    if claims.get(LTI + "target_link_uri") != target_link_uri:
        raise LmsTokenRefused("target_link_uri: differs from the one the login named")
    if not isinstance(claims.get(LTI + "roles"), list):
        raise LmsTokenRefused("roles: missing (it may be an empty list)")
    if message_type == DEEP_LINKING:
        settings = claims.get(DL_SETTINGS)
        if not isinstance(settings, dict) or not isinstance(
                settings.get("deep_link_return_url"), str):
            raise LmsTokenRefused("deep_linking_settings: an LtiDeepLinkingRequest needs "
                                  "deep_link_return_url")
        try:
            check_url(settings["deep_link_return_url"], "deep_link_return_url")
        except LtiRegistryError as exc:
            raise LmsTokenRefused(f"deep_linking_settings: {exc}") from None
        if "ltiResourceLink" not in (settings.get("accept_types") or []):
            raise LmsTokenRefused("deep_linking_settings: accept_types must include "
                                  "ltiResourceLink (the only kind the gateway returns)")
    if message_type == RESOURCE_LINK:
        link = claims.get(LTI + "resource_link")
        if not isinstance(link, dict) or not isinstance(link.get("id"), str) \
                or not link["id"]:
            raise LmsTokenRefused("resource_link: an LtiResourceLinkRequest needs "
                                  "resource_link.id")


def checked_claims(token: str, platform: PlatformRegistration, keys: ToolKeys, *,
                   nonce: str, target_link_uri: str) -> dict[str, Any]:
    """The id_token's claims when every check passes, else LmsTokenRefused."""
    claims = _signed_claims(token, platform, keys)
    if claims.get("iss") != platform.issuer:
        raise LmsTokenRefused(f"iss: {claims.get('iss')!r} is not the issuer of the LMS this "
                              f"login was sent to ({platform.issuer!r})")
    _audience(claims, platform.client_id)
    _times(claims, time.time())
    given = claims.get("nonce")
    if not isinstance(given, str) or not given:
        raise LmsTokenRefused("nonce: missing")
    if given != nonce:
        raise LmsTokenRefused("nonce: not the nonce this login (state) sent; the id_token "
                              "belongs to another login")
    _lti_claims(claims, platform, target_link_uri)
    return claims

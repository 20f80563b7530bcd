"""LTI Dynamic Registration 1.0, the gateway as the platform: its OpenID configuration
document and the registration endpoint a tool posts its configuration to, with a one-time
registration token district IT minted for one app (`gateway lti tools registration-url`), so
the tool lands under that app's agreement exactly as a tool registered by hand.

`GET /.well-known/openid-configuration`: the platform's endpoints, what it signs with, and
`https://purl.imsglobal.org/spec/lti-platform-configuration` (messages it sends).
`POST /lti/register` (Bearer <registration token>): an OpenID Connect client registration
(RFC 7591) with `https://purl.imsglobal.org/spec/lti-tool-configuration`. Checked before
anything is kept: the token (signed, unexpired, never used), the grant and response types,
`private_key_jwt` with a `jwks_uri`, every URL as a hand registration checks it; the scopes
granted are those asked for that the gateway offers. The answer is the registration with our
`client_id` and the tool's `deployment_id`. Errors are RFC 7591 bodies.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, request

from gateway.auth.lti_registry import (
    LTI_SCOPES,
    LtiRegistryError,
    ToolRegistration,
    add_tool,
    remove_tool,
)
from gateway.auth.lti_state import AlreadyUsed, use_once, was_used
from gateway.auth.request_limits import bound_oauth_requests
from gateway.auth.wiring import auth_state
from gateway.extensions import store_engine, write_engine
from gateway.lti.signing import BadSignature, sign, unsign
from gateway.lti.state import lti_state
from gateway.public_url import public_root

registration = Blueprint("lti_registration", __name__)
bound_oauth_requests(registration)

REGISTRATION_TOKEN = "registration-token"
REGISTER_PATH = "/lti/register"
CONFIG_PATH = "/.well-known/openid-configuration"
PLATFORM_CONFIG = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIG = "https://purl.imsglobal.org/spec/lti-tool-configuration"
# identity claims a tool may ask for -> the claim group the registry shares
CLAIM_GROUPS = {"name": "name", "given_name": "name", "family_name": "name",
                "email": "email"}


def registration_token(key: bytes, app_client_id: str, lifetime: int) -> str:
    return sign(key, REGISTRATION_TOKEN, {"a": app_client_id, "j": secrets.token_hex(12)},
                lifetime)


def registration_query(key: bytes, root: str, app_client_id: str, lifetime: int) -> str:
    """What the tool's registration initiation URL is opened with."""
    return urlencode({"openid_configuration": root.rstrip("/") + CONFIG_PATH,
                      "registration_token": registration_token(key, app_client_id,
                                                               lifetime)})


@registration.get(CONFIG_PATH)
def openid_configuration() -> Response:
    root = public_root()
    response = jsonify({
        "issuer": auth_state().settings.issuer,
        "authorization_endpoint": root + "/lti/authorize",
        "registration_endpoint": root + REGISTER_PATH,
        "jwks_uri": root + "/.well-known/jwks.json",
        "token_endpoint": root + "/lti/token",
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", *LTI_SCOPES],
        "response_types_supported": ["id_token"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "subject_types_supported": ["pairwise"],
        "claims_supported": ["iss", "aud", "sub", "iat", "exp", "nonce", "azp", "name",
                             "given_name", "family_name", "email"],
        PLATFORM_CONFIG: {
            "product_family_code": "school-data-gateway", "version": "0.1.0",
            "messages_supported": [{"type": "LtiResourceLinkRequest"},
                                   {"type": "LtiDeepLinkingRequest"}],
            "variables": [],
        },
    })
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


class RegistrationRefused(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


def _refuse(exc: RegistrationRefused) -> Response:
    response = jsonify(error=exc.error, error_description=exc.description)
    response.status_code = exc.status
    response.headers["Cache-Control"] = "no-store"
    return response


def _token() -> dict[str, Any]:
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise RegistrationRefused("invalid_token", "send Authorization: Bearer <registration "
                                                   "token>", 401)
    try:
        return unsign(lti_state().token_key(), REGISTRATION_TOKEN, token.strip())
    except BadSignature as exc:
        raise RegistrationRefused("invalid_token", f"the registration token is not valid "
                                                   f"({exc})", 401) from None


def _metadata(what: str, description: str) -> RegistrationRefused:
    return RegistrationRefused("invalid_client_metadata", f"{what}: {description}")


def _strings(body: dict[str, Any], name: str) -> list[str]:
    value = body.get(name)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _metadata(name, "a list of strings is required")
    return value


def _requested(body: dict[str, Any]) -> dict[str, Any]:
    """The registration request, checked; the arguments of the tool's registration."""
    if body.get("application_type", "web") != "web":
        raise _metadata("application_type", "must be web")
    if "id_token" not in _strings(body, "response_types"):
        raise _metadata("response_types", "must include id_token")
    grants = _strings(body, "grant_types")
    if not {"implicit", "client_credentials"} <= set(grants):
        raise _metadata("grant_types", "must include implicit and client_credentials")
    if body.get("token_endpoint_auth_method") != "private_key_jwt":
        raise _metadata("token_endpoint_auth_method", "must be private_key_jwt")
    name = body.get("client_name")
    if not isinstance(name, str) or not name.strip():
        raise _metadata("client_name", "required")
    config = body.get(TOOL_CONFIG)
    if not isinstance(config, dict):
        raise _metadata(TOOL_CONFIG, "required (an object)")
    if "messages" in config and not isinstance(config["messages"], list):
        raise _metadata(TOOL_CONFIG + ".messages", "must be a list")
    custom = config.get("custom_parameters") or {}
    if not isinstance(custom, dict):
        raise _metadata(TOOL_CONFIG + ".custom_parameters", "must be an object")
    scope = body.get("scope", "")
    if not isinstance(scope, str):
        raise _metadata("scope", "a space-separated string")
    claims = config.get("claims") or []
    share = sorted({CLAIM_GROUPS[c] for c in claims if isinstance(c, str)
                    and c in CLAIM_GROUPS})
    for url_field in ("initiate_login_uri", "jwks_uri"):
        if not isinstance(body.get(url_field), str):
            raise _metadata(url_field, "required")
    target = config.get("target_link_uri")
    if target is not None and not isinstance(target, str):
        raise _metadata(TOOL_CONFIG + ".target_link_uri", "must be a URL")
    return dict(name=name.strip(), login_url=body["initiate_login_uri"],
                redirect_uris=_strings(body, "redirect_uris"), target_link_uri=target,
                jwks_url=body["jwks_uri"], custom=custom,
                scopes=sorted(set(scope.split()) & set(LTI_SCOPES)), share=share)


def _answer(body: dict[str, Any], tool: ToolRegistration) -> Response:
    config = dict(body[TOOL_CONFIG])
    config["deployment_id"] = tool.deployment_id
    response = jsonify({**{k: v for k, v in body.items() if k != TOOL_CONFIG},
                        "client_id": tool.client_id, "scope": " ".join(sorted(tool.scopes)),
                        "token_endpoint_auth_method": "private_key_jwt", TOOL_CONFIG: config})
    response.headers["Cache-Control"] = "no-store"
    return response


@registration.post(REGISTER_PATH)
def register() -> Response:
    try:
        token = _token()
        body = request.get_json(silent=True, force=True)
        if not isinstance(body, dict):
            raise _metadata("body", "a JSON object is required")
        wanted = _requested(body)
        if was_used(store_engine(), REGISTRATION_TOKEN, str(token["j"])):
            raise RegistrationRefused("invalid_token", "the registration token has been "
                                                       "used already", 401)
        try:
            tool = add_tool(write_engine(), app_client_id=str(token["a"]), **wanted)
        except LtiRegistryError as exc:
            raise _metadata("registration", str(exc).replace("--", "")) from None
        try:
            expires = datetime.fromtimestamp(token["exp"], UTC) + timedelta(seconds=1)
            with write_engine().begin() as conn:
                use_once(conn, REGISTRATION_TOKEN, str(token["j"]), expires)
        except AlreadyUsed:
            remove_tool(write_engine(), tool.client_id)  # two uses raced: only one stands
            raise RegistrationRefused("invalid_token", "the registration token has been "
                                                       "used already", 401) from None
    except RegistrationRefused as exc:
        return _refuse(exc)
    return _answer(body, tool)


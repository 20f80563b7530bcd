"""LTI Dynamic Registration 1.0, the gateway as the tool: it registers itself with an LMS that
supports it, so district IT never copies client ids and URLs by hand.

District IT mints a one-time registration URL (`gateway lti platforms registration-url`) and
pastes it into the LMS as the tool's registration URL. The LMS opens it in the browser with
`openid_configuration` (its OpenID configuration document) and, usually, `registration_token`.
The gateway then, server to server: fetches and checks the document (the issuer on the same
host as the document, every endpoint a URL the registry accepts, `private_key_jwt` and RS256
supported), posts its own registration (RFC 7591 + the LTI tool configuration: our login,
launch and JWK Set URLs, the AGS and NRPS scopes the LMS offers) to the LMS's registration
endpoint, and keeps the LMS registration from the answer (client id, deployment id) exactly as
`gateway lti platforms add` would. The page that ends it tells the LMS to close its dialog
(`org.imsglobal.lti.close`).

The signed, single-use URL is what stops anyone else from adding an LMS whose launches the
gateway would then trust: without it, nothing is fetched and nothing stored. An answer
without a deployment id is kept nowhere; the page gives the command that completes it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from flask import Blueprint, Response, current_app, g, request

from gateway.auth.lti_registry import (
    LtiRegistryError,
    PlatformRegistration,
    add_platform,
    check_url,
    remove_platform,
)
from gateway.auth.lti_state import AlreadyUsed, use_once, was_used
from gateway.extensions import store_engine, write_engine
from gateway.lti.pages import STYLE, STYLE_HASH, refusal
from gateway.lti.signing import BadSignature, sign, unsign
from gateway.lti.state import lti_state
from gateway.public_url import public_root

lms_registration = Blueprint("lti_lms_registration", __name__)

PATH = "/lti/lms-registration"
PURPOSE = "lms-registration"
PLATFORM_CONFIG = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIG = "https://purl.imsglobal.org/spec/lti-tool-configuration"
SCOPES = ("https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
          "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
          "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
          "https://purl.imsglobal.org/spec/lti-ags/scope/score",
          "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly")
TIMEOUT = 10.0
MAX_BYTES = 256 * 1024
CLOSE = ("(window.opener||window.parent).postMessage("
         "{subject:'org.imsglobal.lti.close'},'*');")
CLOSE_HASH = base64.b64encode(hashlib.sha256(CLOSE.encode()).digest()).decode()


class Refused(Exception):
    """The registration cannot go on; the message says why, for district IT."""


def registration_url(key: bytes, root: str, lifetime: int) -> str:
    """The one-time URL district IT gives the LMS as the gateway's registration URL."""
    token = sign(key, PURPOSE, {"j": secrets.token_hex(12)}, lifetime)
    return f"{root.rstrip('/')}{PATH}?{urlencode({'t': token})}"


def _fetch_json(url: str, what: str) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=TIMEOUT, headers={"Accept": "application/json"},
                                stream=True)
        body = response.raw.read(MAX_BYTES + 1, decode_content=True)
    except requests.RequestException as exc:
        raise Refused(f"{what} could not be fetched ({type(exc).__name__})") from None
    if response.status_code != 200:
        raise Refused(f"{what} answered HTTP {response.status_code}")
    if len(body) > MAX_BYTES:
        raise Refused(f"{what} is larger than {MAX_BYTES // 1024} KiB")
    try:
        document = json.loads(body)
    except ValueError:
        raise Refused(f"{what} is not JSON") from None
    if not isinstance(document, dict):
        raise Refused(f"{what} is not a JSON object")
    return document


def _url(value: Any, what: str, **kwargs: bool) -> str:
    if not isinstance(value, str):
        raise Refused(f"{what} is missing from the LMS's OpenID configuration")
    try:
        return check_url(value, what, **kwargs)
    except LtiRegistryError as exc:
        raise Refused(str(exc)) from None


def check_configuration(config_url: str, config: dict[str, Any]) -> dict[str, Any]:
    """What the gateway needs from the LMS's OpenID configuration, checked (DR 3.5)."""
    issuer = _url(config.get("issuer"), "issuer", query=False)
    if urlsplit(issuer).netloc != urlsplit(config_url).netloc:
        raise Refused(f"issuer {issuer!r} is not on the host of the openid_configuration "
                      f"URL {config_url!r}")
    found = {name: _url(config.get(name), name) for name in (
        "authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint")}
    methods = config.get("token_endpoint_auth_methods_supported")
    if not isinstance(methods, list) or "private_key_jwt" not in methods:
        raise Refused("token_endpoint_auth_methods_supported must include private_key_jwt")
    algs = config.get("id_token_signing_alg_values_supported")
    if not isinstance(algs, list) or "RS256" not in algs:
        raise Refused("id_token_signing_alg_values_supported must include RS256")
    if not isinstance(config.get(PLATFORM_CONFIG), dict):
        raise Refused(f"{PLATFORM_CONFIG} is missing: not an LTI platform's configuration")
    offered = config.get("scopes_supported")
    scopes = [s for s in SCOPES if not isinstance(offered, list) or s in offered]
    return {"issuer": issuer, "scopes": scopes, **found}


def registration_request(root: str, scopes: list[str]) -> dict[str, Any]:
    """The gateway's registration, as a tool (RFC 7591 + the LTI tool configuration)."""
    return {
        "application_type": "web", "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": root + "/lti/login", "redirect_uris": [root + "/lti/launch"],
        "client_name": "School Data Gateway", "jwks_uri": root + "/.well-known/jwks.json",
        "token_endpoint_auth_method": "private_key_jwt", "scope": " ".join(scopes),
        TOOL_CONFIG: {
            "domain": urlsplit(root).netloc, "target_link_uri": root + "/lti/launch",
            "claims": ["iss", "sub", "name", "given_name", "family_name", "email"],
            "messages": [{"type": "LtiResourceLinkRequest"},
                         {"type": "LtiDeepLinkingRequest"}],
            "description": "The district's learning tools, launched through its gateway",
        },
    }


def _post_registration(endpoint: str, token: str | None, body: dict[str, Any]
                       ) -> dict[str, Any]:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        response = requests.post(endpoint, data=json.dumps(body), headers=headers,
                                 timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise Refused(f"the LMS's registration endpoint could not be reached "
                      f"({type(exc).__name__})") from None
    if response.status_code not in (200, 201):
        raise Refused(f"the LMS refused the registration: HTTP {response.status_code} "
                      f"{response.text[:300]}")
    try:
        answer = response.json()
    except ValueError:
        raise Refused("the LMS's registration answer is not JSON") from None
    if not isinstance(answer, dict):
        raise Refused("the LMS's registration answer is not a JSON object")
    return answer


def _done(platform: PlatformRegistration) -> Response:
    body = ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Registered</title><style>{STYLE}</style></head><body>"
            "<h1>The gateway is registered with your LMS</h1>"
            f"<p>Issuer <code>{escape(platform.issuer)}</code>, client id "
            f"<code id=\"client-id\">{escape(platform.client_id)}</code>, deployment "
            f"<code>{escape(', '.join(platform.deployment_ids))}</code>.</p>"
            f"<script>{CLOSE}</script></body></html>")
    response = current_app.response_class(body, status=200, mimetype="text/html")
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; script-src 'sha256-{CLOSE_HASH}'; "
        f"style-src 'sha256-{STYLE_HASH}'; base-uri 'none'; form-action 'none'")
    response.headers["Cache-Control"] = "no-store"
    return response


@lms_registration.get(PATH)
def register_with_lms() -> Response:
    title = "The gateway could not register with the LMS"
    try:
        claims = unsign(lti_state().token_key(), PURPOSE, request.args.get("t", ""))
    except BadSignature as exc:
        return refusal(title, f"This registration URL is not valid ({exc}). Ask district IT "
                              "for a new one (gateway lti platforms registration-url).", 403)
    if was_used(store_engine(), PURPOSE, str(claims["j"])):
        return refusal(title, "This registration URL has been used already. Ask district IT "
                              "for a new one.", 403)
    config_url = request.args.get("openid_configuration", "")
    ancestors = _origin_of(config_url) or "'none'"
    try:
        config_url = _url(config_url or None, "openid_configuration")
        lms = check_configuration(config_url, _fetch_json(config_url, "the LMS's OpenID "
                                                                      "configuration"))
        root = public_root()
        answer = _post_registration(lms["registration_endpoint"],
                                    request.args.get("registration_token") or None,
                                    registration_request(root, lms["scopes"]))
        client_id = answer.get("client_id")
        if not isinstance(client_id, str) or not client_id:
            raise Refused("the LMS's registration answer has no client_id")
        tool_config = answer.get(TOOL_CONFIG)
        deployment = tool_config.get("deployment_id") if isinstance(tool_config, dict) else None
        if not isinstance(deployment, str) or not deployment:
            raise Refused(
                f"the LMS registered the gateway as client {client_id!r} but named no "
                "deployment id; nothing was kept. Complete it by hand: gateway lti platforms "
                f"add --issuer {lms['issuer']} --client-id {client_id} --deployment-id "
                f"<the LMS's deployment id> --auth-url {lms['authorization_endpoint']} "
                f"--token-url {lms['token_endpoint']} --jwks-url {lms['jwks_uri']}")
        try:
            platform = add_platform(
                write_engine(), issuer=lms["issuer"], client_id=client_id,
                deployment_ids=[deployment], auth_url=lms["authorization_endpoint"],
                token_url=lms["token_endpoint"], jwks_url=lms["jwks_uri"])
        except LtiRegistryError as exc:
            raise Refused(str(exc).replace("--", "")) from None
        expires = datetime.fromtimestamp(claims["exp"], UTC) + timedelta(seconds=1)
        try:
            with write_engine().begin() as conn:
                use_once(conn, PURPOSE, str(claims["j"]), expires)
        except AlreadyUsed:  # two uses raced: only one registration stands
            remove_platform(write_engine(), platform.issuer, platform.client_id)
            raise Refused("this registration URL has been used already") from None
    except Refused as exc:
        return _framed(refusal(title, str(exc), 400), ancestors)
    return _framed(_done(platform), ancestors)


def _origin_of(url: str) -> str | None:
    """The LMS's origin, from its openid_configuration URL, if that is a URL we accept."""
    try:
        parts = urlsplit(check_url(url, "openid_configuration"))
    except LtiRegistryError:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def _framed(response: Response, ancestors: str) -> Response:
    """The LMS shows the registration in a frame of its own: only its origin may frame it."""
    csp = response.headers["Content-Security-Policy"].replace("; frame-ancestors 'none'", "")
    response.headers["Content-Security-Policy"] = f"{csp}; frame-ancestors {ancestors}"
    g.frame_ancestors = ancestors
    return response

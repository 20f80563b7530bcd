"""The relay: the gateway as the tool of a district's LMS, passing each launch on to the
learning tool it names, as that tool's platform (LTI Core 1.3 section 4; Security Framework
5.1.1 and 5.1.3).

1. `GET|POST /lti/login`: the LMS's third-party initiated login. The LMS registration is found
   by `iss` (and `client_id` when the issuer has several); the target must be one of the
   gateway's launch URLs; a login is kept in the store with a fresh nonce and the browser goes
   to the LMS's authorization endpoint with a signed `state` that names it. No cookie: an LMS
   frames the gateway from another site, where browsers drop third-party cookies.
2. `POST /lti/launch`: the LMS's id_token and state. The state names the login (and so the
   LMS and the nonce); the id_token is checked (gateway.lti.lms_id_token); the nonce and the
   login are used once, together. Then the LMS user and course are matched onto the district's
   roster (gateway.lti.lms_match), the membership is checked as for any gateway launch
   (opt-outs, the tool's agreement), and the browser goes on to the tool's login initiation
   with the gateway's own hints: the tool sees the gateway as its platform, with our resource
   link and context ids and its own pairwise `sub`, never the LMS's ids.

The tool is named by the target link URI (`/lti/launch?tool=<client_id>`) or, for an LMS link
that cannot carry a query, a custom parameter `gateway_tool`; a link the tool created by deep
linking by `&link=` or `gateway_link`. An LMS's deep-linking request is relayed to the tool as
the gateway's own, and the tool's answer goes back to the LMS (gateway.lti.deep_linking).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from flask import Blueprint, Response, current_app, redirect, request

from gateway.auth.lti_grade_state import record_route
from gateway.auth.lti_registry import LtiRegistryError, PlatformRegistration, check_url
from gateway.auth.lti_relay_state import (
    find_lms_login,
    platform_by_id,
    platforms_of,
    start_lms_login,
    take_lms_login,
)
from gateway.auth.lti_state import DEEP_LINKING, AlreadyUsed, use_once
from gateway.auth.rate_limit import hit
from gateway.auth.request_limits import bound_oauth_requests
from gateway.extensions import (
    disclosure_log,
    read_caches,
    request_reads,
    store_engine,
    write_engine,
)
from gateway.lti import pages
from gateway.lti.claims import AGS_CLAIM, DL_SETTINGS, LTI
from gateway.lti.launch import (
    DEEP_LINK_PREFIX,
    Refused,
    inactive_page,
    may_add_content,
    member_in,
    reader_for,
    send_to_tool,
    subject_of,
)
from gateway.lti.lms_id_token import LmsTokenRefused, checked_claims
from gateway.lti.lms_match import Unmatched, match_class, match_user, record_unmatched
from gateway.lti.relay_deep_linking import LINK_CUSTOM, TOOL_CUSTOM
from gateway.lti.signing import BadSignature, sign, unsign
from gateway.lti.state import LEEWAY, LMS_TOKEN_MAX_AGE, LOGIN_LIFETIME, lti_state
from gateway.policy.reads import read_session
from gateway.public_url import public_root

relay = Blueprint("lti_relay", __name__)
bound_oauth_requests(relay)  # an id_token and a few short fields; larger is refused (413)

LMS_STATE = "lms-state"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"


def _param(name: str) -> str | None:
    source = request.form if request.method == "POST" else request.args
    values = source.getlist(name)
    if len(values) > 1:
        return None
    return values[0] if values else None


def _launch_url() -> str:
    return public_root() + "/lti/launch"


def _refused(title: str, reason: str, status: int = 400) -> Response:
    return pages.refusal(title, reason, status)


def _platform(issuer: str | None, client_id: str | None) -> PlatformRegistration | Response:
    if not issuer:
        return _refused("This LMS launch cannot start", "iss is required.")
    found = [p for p in platforms_of(store_engine(), issuer)
             if client_id is None or p.client_id == client_id]
    if not found:
        return _refused("This LMS launch cannot start",
                        f"iss {issuer!r}" + (f" with client_id {client_id!r}" if client_id
                                             else "")
                        + " is not an LMS registered with the district's gateway.")
    if len(found) > 1:
        return _refused("This LMS launch cannot start",
                        f"{issuer!r} has several registrations; the login must name "
                        "client_id.")
    return found[0]


@relay.route("/lti/login", methods=["GET", "POST"])
def login() -> Response:
    """Step 1: the LMS's login initiation; on to its authorization endpoint. Counted per
    source address (each login keeps a pending row): beyond `lti_login_rate_limit` a minute,
    429 with Retry-After, nothing kept."""
    limit = current_app.config["GATEWAY_SETTINGS"].lti_login_rate_limit
    decision = hit(write_engine(), "lti-login:" + (request.remote_addr or "unknown"), limit)
    if not decision.allowed:
        response = _refused("Too many LMS launches from this address",
                            f"more than {limit} launches a minute came from this address; "
                            f"try again in {decision.retry_after} s.", 429)
        response.headers["Retry-After"] = str(decision.retry_after)
        return response
    found = _platform(_param("iss"), _param("client_id"))
    if isinstance(found, Response):
        return found
    platform = found
    login_hint, target = _param("login_hint"), _param("target_link_uri")
    if not login_hint:
        return _refused("This LMS launch cannot start", "login_hint is required.")
    if not target or not (target == _launch_url() or target.startswith(_launch_url() + "?")):
        return _refused("This LMS launch cannot start",
                        f"target_link_uri must be the gateway's launch URL ({_launch_url()}), "
                        "optionally with ?tool=<client id>.")
    deployment = _param("lti_deployment_id") or _param("deployment_id")
    if deployment is not None and deployment not in platform.deployment_ids:
        return _refused("This LMS launch cannot start",
                        f"lti_deployment_id {deployment!r} is not registered for this LMS.")
    pending = start_lms_login(write_engine(), platform.id, target, LOGIN_LIFETIME)
    params = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post",
              "prompt": "none", "client_id": platform.client_id,
              "redirect_uri": _launch_url(), "login_hint": login_hint,
              "state": sign(lti_state().token_key(), LMS_STATE, {"l": pending.id},
                            LOGIN_LIFETIME),
              "nonce": pending.nonce}
    message_hint = _param("lti_message_hint")
    if message_hint is not None:
        params["lti_message_hint"] = message_hint
    glue = "&" if "?" in platform.auth_url else "?"
    response = redirect(platform.auth_url + glue + urlencode(params), code=302)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _tool_client_id(claims: dict[str, Any]) -> str | None:
    target = claims.get(LTI + "target_link_uri", "")
    named = parse_qs(urlsplit(target).query).get("tool")
    if named:
        return named[0]
    custom = claims.get(LTI + "custom")
    value = custom.get(TOOL_CUSTOM) if isinstance(custom, dict) else None
    return value if isinstance(value, str) else None


def _link_name(platform: PlatformRegistration, claims: dict[str, Any]) -> str:
    """The gateway's name for the LMS's resource link: a link the tool created by deep linking
    (named in the target link URI, or in custom parameters), else one derived from the LMS's
    ids (so a copied link, which gets a new LMS id, is a new link for the tool too),
    unreadable to the tool."""
    target = claims.get(LTI + "target_link_uri", "")
    named = parse_qs(urlsplit(target).query).get("link")
    custom = claims.get(LTI + "custom")
    if not named and isinstance(custom, dict) and isinstance(custom.get(LINK_CUSTOM), str):
        named = [custom[LINK_CUSTOM]]
    if named and named[0].startswith(DEEP_LINK_PREFIX) and len(named[0]) <= 64:
        return named[0]
    lms_link = (claims.get(LTI + "resource_link") or {}).get("id", "")
    digest = hashlib.sha256("\x1f".join((platform.issuer, claims[LTI + "deployment_id"],
                                         lms_link)).encode()).hexdigest()
    return "lms-" + digest[:40]


@relay.post("/lti/launch")
def launch() -> Response:
    """Step 2: the LMS's id_token; on to the tool."""
    title = "This LMS launch cannot be completed"
    if _param("error"):
        return _refused(title, f"The LMS answered {_param('error')!r}: "
                               f"{_param('error_description') or 'no description'}.")
    try:
        payload = unsign(lti_state().token_key(), LMS_STATE, _param("state"))
    except BadSignature as exc:
        return _refused(title, f"state is not valid ({exc}); start the launch again from the "
                               "LMS.")
    pending = find_lms_login(store_engine(), str(payload.get("l", "")))
    platform = None if pending is None else platform_by_id(store_engine(), pending.platform_id)
    if pending is None or platform is None:
        return _refused(title, "state names no login of a registered LMS.")
    try:
        claims = checked_claims(_param("id_token") or "", platform, lti_state().lms_keys,
                                nonce=pending.nonce, target_link_uri=pending.target_link_uri)
        with write_engine().begin() as conn:
            expires = datetime.now(UTC) + timedelta(seconds=LMS_TOKEN_MAX_AGE + 2 * LEEWAY)
            use_once(conn, f"lms-nonce:{platform.id}", claims["nonce"], expires)
            take_lms_login(conn, pending.id)
    except LmsTokenRefused as exc:
        return _refused(title, f"The LMS's id_token was refused: {exc}.", 401)
    except AlreadyUsed as exc:
        what = "state" if str(exc) == "state" else "nonce"
        return _refused(title, f"{what}: this launch has been used already (replay).", 401)
    # a launch the LMS vouched for: what the person sees next shows in the LMS's frame
    return pages.framed_by(_relay(platform, claims), platform.frame_ancestors)


def _relay(platform: PlatformRegistration, claims: dict[str, Any]) -> Response:
    tool_client_id = _tool_client_id(claims)
    subject = subject_of(tool_client_id)
    stop = inactive_page(subject)
    if stop is not None:
        return stop
    assert subject is not None
    try:
        with read_session(request_reads(), disclosure_log(), read_caches(),
                          reader_for(subject, log=False)) as session:
            class_id = match_class(session, platform.id, claims)
            user_id = match_user(session, platform.id, claims, class_id)
            member, _klass = member_in(session, subject, class_id, user_id)
        if claims[LTI + "message_type"] == DEEP_LINKING:
            may_add_content(subject, member)
    except Unmatched as problem:
        record_unmatched(platform.id, claims, problem)
        return _refused(
            f"{subject.tool.name} cannot be opened from this course yet",
            f"The gateway could not match your LMS {problem.kind} to the district's roster: "
            f"{problem.reason}. District IT has been told (gateway lti unmatched).", 403)
    except Refused as refused:
        return refused.response
    if claims[LTI + "message_type"] == DEEP_LINKING:
        settings = claims[DL_SETTINGS]
        relay = {"platform_id": platform.id, "deployment_id": claims[LTI + "deployment_id"],
                 "return_url": settings["deep_link_return_url"], "data": settings.get("data")}
        return send_to_tool(subject.tool, user_id, class_id, "deep-linking",
                            message_type=DEEP_LINKING, relay=relay)
    _keep_grade_route(subject.tool.id, class_id, platform, claims)
    return send_to_tool(subject.tool, user_id, class_id, _link_name(platform, claims),
                        relay={"platform_id": platform.id})


def _keep_grade_route(tool_id: int, class_id: str, platform: PlatformRegistration,
                      claims: dict[str, Any]) -> None:
    """Where the tool's grades in this class also go: the LMS's AGS endpoints, when the LMS
    offers them with the score scope (refreshed on every launch)."""
    endpoint = claims.get(AGS_CLAIM)
    if not isinstance(endpoint, dict) or not isinstance(endpoint.get("scope"), list):
        return
    scopes = [s for s in endpoint["scope"] if isinstance(s, str)]
    urls = {}
    for name in ("lineitems", "lineitem"):
        value = endpoint.get(name)
        try:
            urls[name] = check_url(value, name) if isinstance(value, str) else None
        except LtiRegistryError:
            urls[name] = None
    if SCORE_SCOPE in scopes and (urls["lineitems"] or urls["lineitem"]):
        record_route(write_engine(), tool_id, class_id, platform.id, urls["lineitems"],
                     urls["lineitem"], scopes)

"""Launches from the gateway into a tool: the OIDC third-party initiated login (LTI Core 1.3
section 4; Security Framework 5.1.1).

1. `GET /lti/launch?t=...`: a launch link the gateway signed for (tool, class, link, user).
   The user's membership is checked through the policy layer (an opted-out student gets a
   plain page saying so), a pending launch is stored, and the browser goes to the tool's login
   initiation URL with a signed `login_hint` and `lti_message_hint` that name it.
2. `GET|POST /lti/authorize`: the tool's authentication request. Until the client and the
   exact redirect URI are known, an error is a page (never a redirect anywhere); after that,
   errors are posted back to the registered redirect URI (OIDC Core 3.1.2.6). The launch and
   the nonce are used once, in one transaction with the read that builds the claims, so a
   refused launch leaves nothing behind and a replay is refused.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, redirect, request
from joserfc import jwt

from gateway.auth.clients import AppClient
from gateway.auth.lti_registry import ToolRegistration, load_tool
from gateway.auth.lti_relay_state import platform_by_id
from gateway.auth.lti_state import (
    DEEP_LINKING,
    RESOURCE_LINK,
    AlreadyUsed,
    LaunchRefused,
    PendingLaunch,
    deep_link,
    remember_context,
    remember_link,
    start_launch,
    take_launch,
    use_once,
)
from gateway.auth.request_limits import bound_oauth_requests
from gateway.auth.wiring import auth_state
from gateway.extensions import (
    disclosure_log,
    read_caches,
    request_reads,
    store_engine,
    write_engine,
)
from gateway.lti import pages
from gateway.lti.claims import Message, id_token_claims
from gateway.lti.roster import (
    Member,
    class_document,
    enrollments,
    granted_claims,
    lis_ids,
    members,
    mentor,
)
from gateway.lti.signing import BadSignature, pairwise, sign, unsign
from gateway.lti.state import (
    ID_TOKEN_LIFETIME,
    LAUNCH_LINK_LIFETIME,
    LEEWAY,
    LOGIN_LIFETIME,
    lti_state,
)
from gateway.policy.reads import Reader, ReadSession, read_session
from gateway.public_url import public_root

launches = Blueprint("lti_launch", __name__)
bound_oauth_requests(launches)  # a few short parameters; anything larger is refused (413)

LINK = "launch-link"
LOGIN_HINT = "login-hint"
MESSAGE_HINT = "message-hint"
DEEP_LINK_DATA = "deep-link-data"
DEEP_LINK_RETURN = "/lti/deep_links/return"
DEEP_LINK_PREFIX = "dl-"  # the names of links tools created by deep linking
DEEP_LINK_LIFETIME = 3600  # a teacher may browse the tool's catalogue for a while
TEACHING = frozenset({"teacher", "administrator", "aide"})
MAX_NONCE = 255
MAX_STATE = 1024


def launch_link(key: bytes, base_url: str, tool_client_id: str, class_id: str, user_id: str,
                link: str = "default", lifetime: int = LAUNCH_LINK_LIFETIME,
                deep_linking: bool = False) -> str:
    """A link that launches `user_id` into the tool, in the class, for `lifetime` seconds;
    with `deep_linking`, a teacher's request to pick content from the tool for the class."""
    payload = {"t": tool_client_id, "c": class_id, "u": user_id, "l": link,
               **({"m": "dl"} if deep_linking else {})}
    token = sign(key, LINK, payload, lifetime)
    return f"{base_url.rstrip('/')}/lti/launch?{urlencode({'t': token})}"


class Refused(Exception):
    """The launch cannot go on; `response` tells the browser why."""

    def __init__(self, response: Response) -> None:
        super().__init__("refused")
        self.response = response


@dataclass(frozen=True)
class Subject:
    tool: ToolRegistration
    app: AppClient


def subject_of(client_id: str | None) -> Subject | None:
    tool = load_tool(store_engine(), client_id or "")
    if tool is None:
        return None
    app = auth_state().clients.get(store_engine(), tool.app_client_id)
    if app is None:
        return None
    return Subject(tool, app)


def reader_for(subject: Subject, log: bool) -> Reader:
    return Reader(subject.app.app_id, subject.app.agreement, secrets.token_hex(8),
                  endpoint=request.path,
                  log_disclosures=log and current_app.config["DISCLOSURE_LOG"],
                    internal_ids=True)


def member_in(session: ReadSession, subject: Subject, class_id: str,
            user_id: str) -> tuple[Member, dict[str, Any]]:
    """The user as a member of the class, as this tool may see them, or Refused."""
    name = subject.tool.name
    if user_id in session.opted_out():
        raise Refused(pages.refusal(
            f"{name} is not available to you",
            f"Your family has asked the district not to share your information with {name}, "
            "so it cannot be opened for you. Ask your school if you think this is a mistake.",
            403))
    klass = class_document(session, class_id)
    enrolled = enrollments(session, class_id, None, user_id=user_id, limit=5)[0] \
        if klass is not None else []
    claims = granted_claims(subject.app.agreement, subject.tool.share)
    guardian = mentor(session, class_id, user_id, claims) \
        if klass is not None and not enrolled else None
    if klass is None or not (enrolled or guardian):
        raise Refused(pages.refusal(
            f"{name} cannot be opened here",
            f"This class is not shared with {name}, or you are not a member of it.", 403))
    if guardian is not None:
        return guardian, klass
    found = members(session, enrolled[:1], claims)
    if not found:
        raise Refused(pages.refusal(
            f"{name} cannot be opened here",
            f"Your account is not shared with {name}.", 403))
    return found[0], klass


def inactive_page(subject: Subject | None) -> Response | None:
    if subject is None:
        return pages.refusal("This tool cannot be opened",
                             "The tool is not registered with the district's gateway.", 404)
    refusal = subject.app.refusal()
    if refusal:
        return pages.refusal(f"{subject.tool.name} cannot be opened",
                             f"The district's agreement with this tool is not active "
                             f"({refusal}).", 403)
    return None


@launches.get("/lti/launch")
def launch() -> Response:
    """Step 1: check the link and the membership, then send the browser to the tool."""
    try:
        payload = unsign(lti_state().token_key(), LINK, request.args.get("t"))
    except BadSignature as exc:
        reason = ("The link has expired; open the tool again from where you found it."
                  if str(exc) == "expired" else "The link is not valid.")
        return pages.refusal("This launch link cannot be used", reason, 400)
    subject = subject_of(str(payload.get("t", "")))
    stop = inactive_page(subject)
    if stop is not None:
        return stop
    assert subject is not None
    class_id, user_id, link = str(payload["c"]), str(payload["u"]), str(payload["l"])
    message_type = DEEP_LINKING if payload.get("m") == "dl" else RESOURCE_LINK
    try:
        with read_session(request_reads(), disclosure_log(), read_caches(),
                          reader_for(subject, log=False)) as session:
            member, _klass = member_in(session, subject, class_id, user_id)
        if message_type == DEEP_LINKING:
            may_add_content(subject, member)
    except Refused as refused:
        return refused.response
    return send_to_tool(subject.tool, user_id, class_id, link, message_type=message_type)


def may_add_content(subject: Subject, member: Member) -> None:
    """Deep linking adds content to a class: its teachers' (and administrators') call."""
    if member.enrollment_role not in TEACHING:
        raise Refused(pages.refusal(
            f"Content from {subject.tool.name} cannot be added here",
            "Only the class's teachers can add content to it.", 403))


def send_to_tool(tool: ToolRegistration, user_id: str, class_id: str, link: str, *,
                 message_type: str = RESOURCE_LINK,
                 relay: dict[str, Any] | None = None) -> Response:
    """Start the tool's third-party initiated login for a launch the caller has checked: the
    launch waits in the store, named by the signed hints the tool will send back. A link the
    tool created by deep linking launches its own URL, in its own class only."""
    target = tool.target_link_uri
    if message_type == RESOURCE_LINK and link.startswith(DEEP_LINK_PREFIX):
        found = deep_link(store_engine(), tool.id, link)
        if found is None or found.class_id != class_id:
            return pages.refusal(f"{tool.name} cannot be opened here",
                                 "This link is not one of the tool's links in this class.",
                                 404)
        target = found.url
    launch_id = start_launch(write_engine(), tool_id=tool.id, user_id=user_id,
                             class_id=class_id, link=link, target_link_uri=target,
                             lifetime=LOGIN_LIFETIME, message_type=message_type, relay=relay)
    key = lti_state().token_key()
    params = {
        "iss": auth_state().settings.issuer,
        "login_hint": sign(key, LOGIN_HINT, {"l": launch_id, "t": tool.client_id},
                           LOGIN_LIFETIME),
        "target_link_uri": target,
        "lti_message_hint": sign(key, MESSAGE_HINT, {"l": launch_id}, LOGIN_LIFETIME),
        "client_id": tool.client_id,
        "lti_deployment_id": tool.deployment_id,
    }
    glue = "&" if "?" in tool.login_url else "?"
    response = redirect(tool.login_url + glue + urlencode(params), code=302)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _param(name: str) -> str | None:
    source = request.form if request.method == "POST" else request.args
    values = source.getlist(name)
    if len(values) > 1:
        return "\x00"  # a repeated parameter is never valid
    return values[0] if values else None


@launches.route("/lti/authorize", methods=["GET", "POST"])
def authorize() -> Response:
    """Step 2: the tool's authentication request; answers with the id_token (form_post)."""
    subject = subject_of(_param("client_id"))
    if subject is None:
        return pages.refusal("This tool cannot be opened",
                             "The authentication request names an unknown client_id.", 400)
    tool = subject.tool
    redirect_uri = _param("redirect_uri")
    if redirect_uri not in tool.redirect_uris:
        return pages.refusal(f"{tool.name} cannot be opened",
                             "The authentication request's redirect_uri is not registered "
                             "for this tool.", 400)
    state = _param("state")

    def error(code: str, description: str) -> Response:
        fields = {"error": code, "error_description": description}
        if state and state != "\x00" and len(state) <= MAX_STATE:
            fields["state"] = state
        return pages.form_post(redirect_uri, fields, status=400)

    problem = _request_problem(state)
    if problem is not None:
        return error(*problem)
    key = lti_state().token_key()
    try:
        login = unsign(key, LOGIN_HINT, _param("login_hint"))
    except BadSignature as exc:
        return error("invalid_request", f"login_hint is not valid ({exc})")
    try:
        message = unsign(key, MESSAGE_HINT, _param("lti_message_hint"))
    except BadSignature as exc:
        return error("invalid_request", f"lti_message_hint is not valid ({exc})")
    if login.get("t") != tool.client_id:
        return error("invalid_request", "login_hint was issued to another client")
    if message.get("l") != login.get("l"):
        return error("invalid_request", "lti_message_hint does not belong to this login_hint")
    if subject.app.refusal():
        return error("access_denied", "the tool's data-sharing agreement is not active")
    nonce = str(_param("nonce"))
    if subject.app.agreement.pseudonymous_ids:
        read_caches().pseudonyms.ready(request_reads())  # not under the write lock below
    try:
        with write_engine().begin() as conn:
            pending = take_launch(conn, str(login["l"]), tool.id)
            expires = datetime.now(UTC) + timedelta(seconds=ID_TOKEN_LIFETIME + LOGIN_LIFETIME
                                                    + LEEWAY)
            use_once(conn, f"nonce:{tool.client_id}", nonce, expires)
            with read_session(request_reads(), disclosure_log(), read_caches(),
                              reader_for(subject, log=True)) as session:
                member, klass = member_in(session, subject, pending.class_id, pending.user_id)
                lis = lis_ids(session, pending.user_id, pending.class_id)
    except Refused as refused:
        return refused.response
    except LaunchRefused as exc:
        return error("invalid_request", str(exc))
    except AlreadyUsed as exc:
        what = "login_hint" if str(exc) == "launch" else "nonce"
        return error("invalid_request", f"this {what} has been used already (replay)")
    return _id_token_response(subject, pending, member, klass, nonce, redirect_uri,
                              state or "", lis)


def _request_problem(state: str | None) -> tuple[str, str] | None:
    scope = _param("scope") or ""
    if "openid" not in scope.split(" "):
        return "invalid_scope", "scope must be openid"
    if _param("response_type") != "id_token":
        return "unsupported_response_type", "response_type must be id_token"
    if _param("response_mode") != "form_post":
        return "invalid_request", "response_mode must be form_post"
    if _param("prompt") != "none":
        return "invalid_request", "prompt must be none"
    nonce = _param("nonce")
    if not nonce or nonce == "\x00" or len(nonce) > MAX_NONCE:
        return "invalid_request", f"nonce is required (1 to {MAX_NONCE} characters)"
    if not state or state == "\x00" or len(state) > MAX_STATE:
        return "invalid_request", f"state is required (1 to {MAX_STATE} characters)"
    return None


def _message(tool: ToolRegistration, pending: PendingLaunch, link_id: str,
             context_url: str) -> Message:
    if pending.message_type == DEEP_LINKING:
        data = sign(lti_state().token_key(), DEEP_LINK_DATA,
                    {"l": pending.id, "t": tool.client_id}, DEEP_LINK_LIFETIME)
        return Message(DEEP_LINKING, None, pending.target_link_uri, deep_linking={
            "deep_link_return_url": f"{public_root()}{DEEP_LINK_RETURN}",
            "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["iframe", "window"],
            "accept_multiple": True, "accept_lineitem": True, "auto_create": True,
            "data": data})
    found = deep_link(store_engine(), tool.id, pending.link) \
        if pending.link.startswith(DEEP_LINK_PREFIX) else None
    if found is None:
        return Message(RESOURCE_LINK, {"id": link_id, "title": pending.link},
                       pending.target_link_uri)
    return Message(RESOURCE_LINK, {"id": link_id, "title": found.title},
                   pending.target_link_uri, custom=found.custom,
                   lineitem=(f"{context_url}/lineitems/{found.line_item_id}"
                             if found.line_item_id else None))


def _id_token_response(subject: Subject, pending: PendingLaunch, member: Member,
                       klass: dict[str, Any], nonce: str, redirect_uri: str,
                       state: str, lis: dict[str, str]) -> Response:
    tool = subject.tool
    key = lti_state().pairwise_key()
    context_id = pairwise(key, "context", tool.client_id, pending.class_id, size=16)
    link_id = pairwise(key, "link", tool.client_id, pending.class_id, pending.link, size=16)
    remember_context(write_engine(), tool.id, context_id, pending.class_id)
    if pending.message_type == RESOURCE_LINK:
        remember_link(write_engine(), tool.id, link_id, context_id)
    context_url = f"{public_root()}/lti/contexts/{context_id}"
    settings = auth_state().settings
    claims = id_token_claims(
        issuer=settings.issuer, tool=tool, nonce=nonce,
        sub=pairwise(key, "sub", tool.client_id, pending.user_id), member=member, klass=klass,
        mentees=[pairwise(key, "sub", tool.client_id, c) for c in member.mentees],
        context_id=context_id, message=_message(tool, pending, link_id, context_url),
        claims=granted_claims(subject.app.agreement, tool.share),
        context_url=context_url, lifetime=ID_TOKEN_LIFETIME, lis=lis)
    page = pages.form_post(redirect_uri, {"id_token": signed(claims), "state": state})
    if pending.relay is not None:  # relayed from an LMS: shown in the LMS's frame
        platform = platform_by_id(store_engine(), int(pending.relay["platform_id"]))
        if platform is not None:
            page = pages.framed_by(page, platform.frame_ancestors)
    return page


def signed(claims: dict[str, Any]) -> str:
    """A JWT the gateway signs (RS256, the key store's current key, its kid), as the
    platform of its tools and as the tool of an LMS alike."""
    keys = auth_state().signing_keys()
    kid = next(iter(keys)).kid
    return jwt.encode({"alg": "RS256", "typ": "JWT", "kid": kid}, claims, keys,
                      algorithms=["RS256"])

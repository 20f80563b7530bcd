"""Deep Linking 2.0: a tool's answer to the gateway's LtiDeepLinkingRequest, posted (form field
`JWT`) to `/lti/deep_links/return`, checked as the Security Framework (5.2) asks a platform to
check a tool-originated message, then kept as resource links of the class.

Checked, each refusal naming the claim: the tool (`iss`) is registered and the signature
verifies with its key (RS256); `aud` names the gateway's issuer and no one else; `exp`/`iat`
with the usual leeway; a `nonce`, used once; LtiDeepLinkingResponse 1.3.0 of the tool's
deployment; `data` is the signed value the request carried, naming a deep-linking launch of
this tool that has not been answered yet; every content item is an `ltiResourceLink` (what the
request accepted) with a URL on the tool's own origin, text fields of sane size, custom
parameters as the registry allows, and a line item with a positive scoreMaximum.

Nothing is kept unless every item passes. Then each item becomes a link of the class (its id
for the tool derived like every link id) and, when it asked for one, a line item bound to it,
written through the sync engine like any AGS line item. A request the gateway relayed from an
LMS is answered to the LMS in turn (gateway.lti.relay_deep_linking); one the gateway started
itself shows a short page.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, request
from joserfc import jwt
from joserfc.errors import JoseError

from gateway.auth.lti_registry import (
    LtiRegistryError,
    ToolRegistration,
    check_url,
    custom_parameters,
    load_tool,
)
from gateway.auth.lti_state import (
    DEEP_LINKING,
    AlreadyUsed,
    DeepLink,
    PendingLaunch,
    add_deep_links,
    remember_link,
    use_once,
    used_launch,
)
from gateway.auth.request_limits import bound_oauth_requests
from gateway.auth.tokens import TokenInvalid, unverified_header
from gateway.auth.wiring import auth_state
from gateway.extensions import store_engine, write_engine
from gateway.lti import pages
from gateway.lti.ags import NewLineItem, create_line_items
from gateway.lti.claims import LTI
from gateway.lti.launch import (
    DEEP_LINK_DATA,
    DEEP_LINK_LIFETIME,
    DEEP_LINK_PREFIX,
    DEEP_LINK_RETURN,
)
from gateway.lti.relay_deep_linking import answer_lms
from gateway.lti.services import ServiceError
from gateway.lti.signing import BadSignature, pairwise, unsign
from gateway.lti.state import LEEWAY, lti_state
from gateway.lti.tool_keys import KeysUnavailable

deep_links = Blueprint("lti_deep_links", __name__)
bound_oauth_requests(deep_links)

DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
MAX_ITEMS = 50
MAX_TEXT = 255


class DeepLinkRefused(ValueError):
    """The tool's deep-linking response cannot be accepted; the message says why."""


def _tool_and_claims(token: str) -> tuple[ToolRegistration, dict[str, Any]]:
    if not token or len(token) > 64 * 1024 or token.count(".") != 2:
        raise DeepLinkRefused("JWT: not a signed JWT")
    try:
        header = unverified_header(token)
        body = token.split(".")[1]
        unverified = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (TokenInvalid, ValueError):
        raise DeepLinkRefused("JWT: the header or payload is not JSON") from None
    if header.get("alg") != "RS256":
        raise DeepLinkRefused(f"JWT: alg {header.get('alg')!r} is refused; sign RS256")
    if any(k in header for k in ("jwk", "jku", "x5u", "x5c", "crit")):
        raise DeepLinkRefused("JWT: the header must not carry or point at keys")
    client_id = unverified.get("iss") if isinstance(unverified, dict) else None
    tool = load_tool(store_engine(), client_id if isinstance(client_id, str) else "")
    if tool is None:
        raise DeepLinkRefused("iss: not the client_id of a registered tool")
    kid = header.get("kid") if isinstance(header.get("kid"), str) else None
    try:
        keys = lti_state().tool_keys.candidates(tool.jwks_url, tool.public_jwk, kid)
    except KeysUnavailable as exc:
        raise DeepLinkRefused(f"JWT: {exc}") from None
    for key in keys:
        try:
            return tool, dict(jwt.decode(token, key, algorithms=["RS256"]).claims)
        except (JoseError, ValueError):
            continue
    raise DeepLinkRefused("JWT: the signature does not verify with the tool's registered keys")


def _check_envelope(tool: ToolRegistration, claims: dict[str, Any]) -> None:
    issuer = auth_state().settings.issuer
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if issuer not in audiences:
        raise DeepLinkRefused(f"aud: must name the gateway's issuer {issuer!r}")
    if set(audiences) - {issuer}:
        raise DeepLinkRefused("aud: names audiences other than the gateway")
    if claims.get("azp") not in (None, issuer):
        raise DeepLinkRefused("azp: must be the gateway's issuer when present")
    now = time.time()
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or now >= exp + LEEWAY:
        raise DeepLinkRefused("exp: missing or expired")
    if not isinstance(iat, int | float) or iat > now + LEEWAY \
            or iat < now - DEEP_LINK_LIFETIME:
        raise DeepLinkRefused("iat: missing, in the future or too old")
    if not isinstance(claims.get("nonce"), str) or not claims["nonce"] \
            or len(claims["nonce"]) > 255:
        raise DeepLinkRefused("nonce: missing")
    if claims.get(LTI + "message_type") != "LtiDeepLinkingResponse":
        raise DeepLinkRefused("message_type: must be LtiDeepLinkingResponse")
    if claims.get(LTI + "version") != "1.3.0":
        raise DeepLinkRefused("version: must be 1.3.0")
    if claims.get(LTI + "deployment_id") != tool.deployment_id:
        raise DeepLinkRefused(f"deployment_id: {claims.get(LTI + 'deployment_id')!r} is not "
                              "the tool's deployment")


def _request_of(tool: ToolRegistration, claims: dict[str, Any]) -> PendingLaunch:
    """The deep-linking request this answers, named by the echoed `data`."""
    try:
        data = unsign(lti_state().token_key(), DEEP_LINK_DATA, claims.get(DL + "data"))
    except BadSignature as exc:
        raise DeepLinkRefused(f"data: not the value the gateway's request carried ({exc})"
                              ) from None
    pending = used_launch(store_engine(), str(data.get("l", "")), tool.id)
    if data.get("t") != tool.client_id or pending is None \
            or pending.message_type != DEEP_LINKING:
        raise DeepLinkRefused("data: names no deep-linking request of this tool")
    return pending


def _text(item: dict[str, Any], name: str, where: str, default: str | None = None) -> str | None:
    value = item.get(name, default)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise DeepLinkRefused(f"{where}.{name}: text of at most {MAX_TEXT} characters")
    return value


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _item(tool: ToolRegistration, item: Any, where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise DeepLinkRefused(f"{where}: not an object")
    if item.get("type") != "ltiResourceLink":
        raise DeepLinkRefused(f"{where}.type: {item.get('type')!r} is not accepted (the "
                              "request accepted ltiResourceLink only)")
    url = item.get("url") or tool.target_link_uri
    try:
        url = check_url(url, f"{where}.url")
    except LtiRegistryError as exc:
        raise DeepLinkRefused(str(exc)) from None
    origins = {_origin(u) for u in (*tool.redirect_uris, tool.target_link_uri)}
    if _origin(url) not in origins:
        raise DeepLinkRefused(f"{where}.url: {url!r} is not on the tool's own origin")
    custom = item.get("custom") or {}
    try:
        custom = custom_parameters(custom) if isinstance(custom, dict) else None
    except LtiRegistryError as exc:
        raise DeepLinkRefused(f"{where}.{exc}") from None
    if custom is None:
        raise DeepLinkRefused(f"{where}.custom: an object of text values")
    found = {"title": _text(item, "title", where, tool.name) or tool.name, "url": url,
             "custom": custom, "line_item": None}
    line_item = item.get("lineItem")
    if line_item is not None:
        if not isinstance(line_item, dict):
            raise DeepLinkRefused(f"{where}.lineItem: not an object")
        maximum = line_item.get("scoreMaximum")
        if isinstance(maximum, bool) or not isinstance(maximum, int | float) or maximum <= 0:
            raise DeepLinkRefused(f"{where}.lineItem.scoreMaximum: a number greater than 0")
        found["line_item"] = {
            "label": _text(line_item, "label", f"{where}.lineItem", found["title"]),
            "maximum": maximum,
            "resource_id": _text(line_item, "resourceId", f"{where}.lineItem"),
            "tag": _text(line_item, "tag", f"{where}.lineItem")}
    return found


def _items(tool: ToolRegistration, claims: dict[str, Any]) -> list[dict[str, Any]]:
    items = claims.get(DL + "content_items", [])
    if items is None:
        items = []
    if not isinstance(items, list) or len(items) > MAX_ITEMS:
        raise DeepLinkRefused(f"content_items: a list of at most {MAX_ITEMS} items")
    return [_item(tool, item, f"content_items[{n}]") for n, item in enumerate(items)]


def _keep(tool: ToolRegistration, pending: PendingLaunch,
          items: list[dict[str, Any]]) -> list[DeepLink]:
    key = lti_state().pairwise_key()
    context_id = pairwise(key, "context", tool.client_id, pending.class_id, size=16)
    names = [DEEP_LINK_PREFIX + secrets.token_hex(16) for _ in items]
    link_ids = [pairwise(key, "link", tool.client_id, pending.class_id, name, size=16)
                for name in names]
    for link_id in link_ids:  # the bindings a line item names; inert without a link below
        remember_link(write_engine(), tool.id, link_id, context_id)
    # Every line item the response asks for in one sync run: all stored, or (refused) none,
    # and then no link either.
    wanted = [(n, item["line_item"]) for n, item in enumerate(items)
              if item["line_item"] is not None]
    created = create_line_items(tool, pending.class_id, context_id, [
        NewLineItem(spec["label"], spec["maximum"], link_ids[n], spec["resource_id"],
                    spec["tag"]) for n, spec in wanted])
    line_item_of = {n: line_item_id for (n, _), line_item_id in zip(wanted, created,
                                                                    strict=True)}
    links = []
    for n, item in enumerate(items):
        links.append(DeepLink(names[n], pending.class_id, item["title"], item["url"],
                              item["custom"], line_item_of.get(n)))
    add_deep_links(write_engine(), tool.id, links)
    return links


@deep_links.post(DEEP_LINK_RETURN)
def deep_link_return() -> Response:
    title = "The tool's content could not be added"
    try:
        tool, claims = _tool_and_claims(request.form.get("JWT", ""))
        _check_envelope(tool, claims)
        pending = _request_of(tool, claims)
        items = _items(tool, claims)
        expires = datetime.now(UTC) + timedelta(seconds=DEEP_LINK_LIFETIME + 2 * LEEWAY)
        with write_engine().begin() as conn:
            use_once(conn, f"dl-nonce:{tool.client_id}", claims["nonce"], expires)
            use_once(conn, f"dl-answer:{tool.client_id}", pending.id, expires)
    except DeepLinkRefused as exc:
        return pages.refusal(title, f"The tool's deep-linking response was refused: {exc}.",
                             400)
    except AlreadyUsed:
        return pages.refusal(title, "This deep-linking response, or an answer to the same "
                                    "request, was received already (replay).", 400)
    try:
        links = _keep(tool, pending, items)
    except ServiceError as exc:
        return pages.refusal(title, f"A line item could not be created: {exc.description}.",
                             400)
    if pending.relay is not None and "return_url" in pending.relay:  # an LMS asked
        return answer_lms(tool, pending.relay, links, items)
    names = ", ".join(link.title for link in links) or "nothing"
    return pages.refusal(f"Content from {tool.name} added",
                         f"Added to the class: {names}.", 200)

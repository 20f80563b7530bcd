"""The LMS's side of a relayed deep-linking request: the links a tool returned, answered to
the LMS as the gateway's own LtiDeepLinkingResponse (Deep Linking 2.0 section 4.5; Security
Framework 5.2), signed with the gateway's key, to the LMS's return URL, echoing its `data`.

Each link's URL is rewritten to a gateway launch URL naming the tool and the link (also in
custom parameters, for an LMS that drops the query), so the LMS launches the gateway, never
the tool; a line item the tool asked for is passed on, for the LMS's own gradebook."""

from __future__ import annotations

import secrets
import time
from typing import Any
from urllib.parse import urlencode

from flask import Response

from gateway.auth.lti_registry import ToolRegistration
from gateway.auth.lti_relay_state import platform_by_id
from gateway.auth.lti_state import DeepLink
from gateway.extensions import store_engine
from gateway.lti import pages
from gateway.lti.claims import LTI
from gateway.lti.launch import signed
from gateway.public_url import public_root

DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
TOOL_CUSTOM = "gateway_tool"
LINK_CUSTOM = "gateway_link"
RESPONSE_LIFETIME = 300


def gateway_launch_url(tool: ToolRegistration, link: DeepLink) -> str:
    return f"{public_root()}/lti/launch?" + urlencode({"tool": tool.client_id,
                                                      "link": link.name})


def _content_item(tool: ToolRegistration, link: DeepLink,
                  item: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {
        "type": "ltiResourceLink", "title": link.title, "url": gateway_launch_url(tool, link),
        "custom": {TOOL_CUSTOM: tool.client_id, LINK_CUSTOM: link.name}}
    spec = item.get("line_item")
    if spec is not None:
        found["lineItem"] = {"label": spec["label"], "scoreMaximum": spec["maximum"],
                             **({"resourceId": spec["resource_id"]} if spec["resource_id"]
                                else {}),
                             **({"tag": spec["tag"]} if spec["tag"] else {})}
    return found


def answer_lms(tool: ToolRegistration, relay: dict[str, Any], links: list[DeepLink],
               items: list[dict[str, Any]]) -> Response:
    platform = platform_by_id(store_engine(), int(relay["platform_id"]))
    if platform is None:
        return pages.refusal("The content could not be returned to the LMS",
                             "The LMS is no longer registered with the gateway.", 400)
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": platform.client_id, "aud": platform.issuer, "iat": now - 2,
        "exp": now + RESPONSE_LIFETIME, "nonce": secrets.token_hex(16),
        LTI + "deployment_id": relay["deployment_id"],
        LTI + "message_type": "LtiDeepLinkingResponse", LTI + "version": "1.3.0",
        DL + "content_items": [_content_item(tool, link, item)
                               for link, item in zip(links, items, strict=True)],
    }
    if relay.get("data") is not None:
        claims[DL + "data"] = relay["data"]
    return pages.framed_by(pages.form_post(relay["return_url"], {"JWT": signed(claims)}),
                           platform.frame_ancestors)

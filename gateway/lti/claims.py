"""The id_token of a launch (an LtiResourceLinkRequest or an LtiDeepLinkingRequest), built
from one launch and the member as the tool's agreement lets it see them (LTI Core 1.3
section 5; Security Framework 5.1.2; Deep Linking 2.0 section 4.4).

Shaped for the widest tool compatibility: `aud` a string (the client id) with `azp`, `iat` a
couple of seconds in the past (pylti1p3 has no leeway), string `sub`, `roles` always present,
full role URIs, no surrounding whitespace anywhere."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from gateway.auth.lti_registry import AGS_SCOPES, NRPS_SCOPE, ToolRegistration
from gateway.auth.lti_state import RESOURCE_LINK
from gateway.lti.roles import launch_roles
from gateway.lti.roster import Member, identity_claims

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
COURSE_SECTION = "http://purl.imsglobal.org/vocab/lis/v2/course#CourseSection"



def platform_guid(issuer: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, issuer))


@dataclass(frozen=True)
class Message:
    """What differs between the messages a launch may carry: a resource link launch names
    its link (and, for a deep-linked link, the title, URL, custom parameters and line item the
    tool chose); a deep-linking request names none and carries its settings instead."""

    message_type: str = RESOURCE_LINK
    resource_link: dict[str, str] | None = None
    target_link_uri: str = ""
    custom: dict[str, str] = field(default_factory=dict)
    lineitem: str | None = None
    deep_linking: dict[str, Any] | None = None


def id_token_claims(*, issuer: str, tool: ToolRegistration, nonce: str, sub: str,
                    member: Member, klass: dict[str, Any], context_id: str, message: Message,
                    claims: frozenset[str], context_url: str, lifetime: int,
                    mentees: list[str] | None = None,
                    lis: dict[str, str] | None = None) -> dict[str, Any]:
    """`lis`: the person's and the class's LIS sourcedIds as the app is shown them
    (gateway.lti.roster.lis_ids); sent only where the tool is granted the `lis` group."""
    now = int(time.time())
    token: dict[str, Any] = {
        "iss": issuer, "aud": tool.client_id, "azp": tool.client_id, "sub": sub,
        "iat": now - 2, "exp": now + lifetime, "nonce": nonce,
        LTI + "message_type": message.message_type,
        LTI + "version": "1.3.0",
        LTI + "deployment_id": tool.deployment_id,
        LTI + "target_link_uri": message.target_link_uri,
        LTI + "roles": launch_roles(member.enrollment_role, member.org_roles()),
        LTI + "context": {"id": context_id, "type": [COURSE_SECTION],
                          **({"title": klass["title"]} if klass.get("title") else {}),
                          **({"label": klass["classCode"]} if klass.get("classCode") else {})},
        LTI + "tool_platform": {"guid": platform_guid(issuer), "name": "School Data Gateway",
                                "product_family_code": "school-data-gateway"},
        LTI + "launch_presentation": {"document_target": "window"},
    }
    if message.resource_link is not None:
        token[LTI + "resource_link"] = message.resource_link
    if message.deep_linking is not None:
        token[DL_SETTINGS] = message.deep_linking
    if mentees:
        token[LTI + "role_scope_mentor"] = mentees
    custom = {**tool.custom, **message.custom}
    if custom:
        token[LTI + "custom"] = custom
    token.update(identity_claims(member.user, claims))
    if "lis" in claims and lis is not None:
        token[LTI + "lis"] = lis
    if NRPS_SCOPE in tool.scopes:
        token[NRPS_CLAIM] = {"context_memberships_url": context_url + "/memberships",
                             "service_versions": ["2.0"]}
    ags = sorted(tool.scopes & set(AGS_SCOPES))
    if ags:
        token[AGS_CLAIM] = {"scope": ags, "lineitems": context_url + "/lineitems",
                            **({"lineitem": message.lineitem} if message.lineitem else {})}
    return token

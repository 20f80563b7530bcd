"""The id_token of an LtiResourceLinkRequest, built from one launch and the member as the
tool's agreement lets it see them (LTI Core 1.3 section 5; Security Framework 5.1.2).

Shaped for the widest tool compatibility: `aud` a string (the client id) with `azp`, `iat` a
couple of seconds in the past (pylti1p3 has no leeway), string `sub`, `roles` always present,
full role URIs, no surrounding whitespace anywhere."""

from __future__ import annotations

import time
import uuid
from typing import Any

from gateway.auth.lti_registry import AGS_SCOPES, NRPS_SCOPE, ToolRegistration
from gateway.lti.roles import launch_roles
from gateway.lti.roster import Member, identity_claims

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
COURSE_SECTION = "http://purl.imsglobal.org/vocab/lis/v2/course#CourseSection"


def platform_guid(issuer: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, issuer))


def id_token_claims(*, issuer: str, tool: ToolRegistration, nonce: str, sub: str,
                    member: Member, klass: dict[str, Any], context_id: str,
                    resource_link_id: str, link_title: str, target_link_uri: str,
                    claims: frozenset[str], context_url: str,
                    lifetime: int, mentees: list[str] | None = None) -> dict[str, Any]:
    now = int(time.time())
    token: dict[str, Any] = {
        "iss": issuer, "aud": tool.client_id, "azp": tool.client_id, "sub": sub,
        "iat": now - 2, "exp": now + lifetime, "nonce": nonce,
        LTI + "message_type": "LtiResourceLinkRequest",
        LTI + "version": "1.3.0",
        LTI + "deployment_id": tool.deployment_id,
        LTI + "target_link_uri": target_link_uri,
        LTI + "resource_link": {"id": resource_link_id, "title": link_title},
        LTI + "roles": launch_roles(member.enrollment_role, member.org_roles()),
        LTI + "context": {"id": context_id, "type": [COURSE_SECTION],
                          **({"title": klass["title"]} if klass.get("title") else {}),
                          **({"label": klass["classCode"]} if klass.get("classCode") else {})},
        LTI + "tool_platform": {"guid": platform_guid(issuer), "name": "School Data Gateway",
                                "product_family_code": "school-data-gateway"},
        LTI + "launch_presentation": {"document_target": "window"},
    }
    if mentees:
        token[LTI + "role_scope_mentor"] = mentees
    if tool.custom:
        token[LTI + "custom"] = dict(tool.custom)
    token.update(identity_claims(member.user, claims))
    if "lis" in claims:
        token[LTI + "lis"] = {"person_sourcedid": member.user_id,
                              "course_section_sourcedid": klass["sourcedId"]}
    if NRPS_SCOPE in tool.scopes:
        token[NRPS_CLAIM] = {"context_memberships_url": context_url + "/memberships",
                             "service_versions": ["2.0"]}
    ags = sorted(tool.scopes & set(AGS_SCOPES))
    if ags:
        token[AGS_CLAIM] = {"scope": ags, "lineitems": context_url + "/lineitems"}
    return token

"""Deep Linking 2.0: the gateway sends an LtiDeepLinkingRequest to a tool (pylti1p3 2.0.0,
unmodified), checks the tool's LtiDeepLinkingResponse as a platform must, keeps the links (and
the line items they asked for), and launches them with their own title, URL and custom
parameters; relayed from an LMS, the answer goes back to the LMS with gateway launch URLs.
Real app, real store, both backends."""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem
from sqlalchemy import func, select

from gateway.auth.lti_registry import add_platform
from gateway.auth.lti_state import secret
from gateway.lti.launch import launch_link
from gateway.lti.signing import TOKENS
from gateway.model import ROSTER_TABLES, LtiDeepLink, LtiLineItem
from tests.lti.conftest import Lti, form_fields
from tests.lti.lms import CLIENT_ID, DEPLOYMENT, LTI, Lms, new_key
from tests.lti.pylti_tool import pylti1p3_tool, through_tool, tool_conf

DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
RETURN = "/lti/deep_links/return"


def resources() -> list[DeepLinkResource]:
    return [
        DeepLinkResource().set_url("https://tool.example/launch?unit=3").set_title("Fractions 3")
        .set_custom_params({"unit": "3"})
        .set_lineitem(LineItem().set_label("Fractions quiz").set_score_maximum(20)
                      .set_tag("fractions").set_resource_id("unit-3")),
        DeepLinkResource().set_url("https://tool.example/launch?unit=4").set_title("Decimals"),
    ]


def deep_link_request(lti: Lti, tool, user: str = "tch-a") -> dict[str, Any]:
    link = launch_link(secret(lti.engine, TOKENS), "http://localhost", lti.tool.client_id,
                       "cls-a", user, deep_linking=True)
    start = lti.client.get(link)
    assert start.status_code == 302, start.get_data(as_text=True)
    return through_tool(lti, tool, start.headers["Location"])


def stored_links(lti: Lti) -> int:
    with lti.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(LtiDeepLink)).scalar_one()


def test_a_teacher_adds_links_that_launch_with_their_title_url_custom_and_line_item(
        lti, tool_key):
    tool = pylti1p3_tool(tool_conf(lti, tool_key), resources)
    answer = deep_link_request(lti, tool)
    request_claims = answer["claims"]
    assert request_claims[LTI + "message_type"] == "LtiDeepLinkingRequest"
    assert LTI + "resource_link" not in request_claims
    settings = request_claims[DL + "deep_linking_settings"]
    assert settings["accept_types"] == ["ltiResourceLink"] and settings["data"]
    assert answer["return_url"] == "http://localhost" + RETURN

    done = lti.client.post(RETURN, data={"JWT": answer["jwt"]})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert "Fractions 3, Decimals" in done.get_data(as_text=True)
    with lti.engine.connect() as conn:
        links = conn.execute(select(LtiDeepLink).order_by(LtiDeepLink.title)).all()
        [item] = conn.execute(select(LtiLineItem)).all()
    assert [link.title for link in links] == ["Decimals", "Fractions 3"]
    fractions = links[1]
    assert fractions.url == "https://tool.example/launch?unit=3"
    assert item.tag == "fractions" and item.resource_id == "unit-3"

    # the new link, launched by a student of the class: its own title, URL, custom, line item
    login = dict(parse_qs(urlsplit(lti.client.get(lti.link(
        "stu-a1", link=fractions.name)).headers["Location"]).query))
    assert login["target_link_uri"] == ["https://tool.example/launch?unit=3"]
    claims = through_tool(lti, tool, lti.client.get(lti.link(
        "stu-a1", link=fractions.name)).headers["Location"])["claims"]
    assert claims[LTI + "resource_link"]["title"] == "Fractions 3"
    assert claims[LTI + "resource_link"]["id"] == item.resource_link_id
    assert claims[LTI + "custom"]["unit"] == "3"
    assert claims[AGS_CLAIM]["lineitem"].endswith("/lineitems/" + item.line_item_id)
    # a deep link is a link of its class only
    assert lti.client.get(lti.link("stu-b1", klass="cls-b", link=fractions.name)
                          ).status_code in (403, 404)


def test_a_student_cannot_ask_a_tool_for_content(lti):
    link = launch_link(secret(lti.engine, TOKENS), "http://localhost", lti.tool.client_id,
                       "cls-a", "stu-a1", deep_linking=True)
    refused = lti.client.get(link)
    assert refused.status_code == 403
    assert "Only the class&#x27;s teachers" in refused.get_data(as_text=True)


def _forged(lti: Lti, key: RSAKey, data: str | None, **changes: Any) -> str:
    issuer = lti.app.config["GATEWAY_SETTINGS"].issuer
    now = int(time.time())
    claims = {"iss": lti.tool.client_id, "aud": [issuer], "iat": now, "exp": now + 600,
              "nonce": "nonce-" + uuid.uuid4().hex,
              LTI + "deployment_id": lti.tool.deployment_id,
              LTI + "message_type": "LtiDeepLinkingResponse", LTI + "version": "1.3.0",
              DL + "content_items": [{"type": "ltiResourceLink", "title": "X",
                                      "url": "https://tool.example/launch"}],
              DL + "data": data, **changes}
    claims = {k: v for k, v in claims.items() if v is not None or k == DL + "data"}
    return jwt.encode({"alg": "RS256", "typ": "JWT", "kid": key.thumbprint()}, claims, key,
                      algorithms=["RS256"])


BAD_RESPONSES = {
    "signed with another key": ({"key": "other"}, "the signature does not verify"),
    "data of no request": ({"data": "forged.data"}, "data: not the value"),
    "wrong deployment": ({LTI + "deployment_id": "d-x"}, "deployment_id: 'd-x'"),
    "another audience": ({"aud": ["https://lms.example"]}, "aud: must name the gateway"),
    "expired": ({"exp": int(time.time()) - 120}, "exp: missing or expired"),
    "html content": ({DL + "content_items": [{"type": "html", "html": "<b>x</b>"}]},
                     "content_items[0].type: 'html' is not accepted"),
    "a URL on another site": ({DL + "content_items": [{"type": "ltiResourceLink",
                                                       "url": "https://evil.example/x"}]},
                              "is not on the tool's own origin"),
    "a line item without a maximum": ({DL + "content_items": [{
        "type": "ltiResourceLink", "lineItem": {"label": "q"}}]},
        "lineItem.scoreMaximum: a number greater than 0"),
}


@pytest.mark.parametrize("name", sorted(BAD_RESPONSES))
def test_a_bad_deep_linking_response_is_refused_precisely_and_stores_nothing(
        lti, tool_key, other_key, name):
    tool = pylti1p3_tool(tool_conf(lti, tool_key), resources)
    data = deep_link_request(lti, tool)["claims"][DL + "deep_linking_settings"]["data"]
    changes, reason = BAD_RESPONSES[name]
    changes = dict(changes)
    key = other_key if changes.pop("key", None) == "other" else tool_key
    if "data" in changes:
        data = changes.pop("data")
    refused = lti.client.post(RETURN, data={"JWT": _forged(lti, key, data, **changes)})
    assert refused.status_code == 400
    assert reason in refused.get_data(as_text=True).replace("&#x27;", "'")
    assert stored_links(lti) == 0


def test_a_response_is_taken_once_per_request(lti, tool_key):
    tool = pylti1p3_tool(tool_conf(lti, tool_key), resources)
    answer = deep_link_request(lti, tool)
    assert lti.client.post(RETURN, data={"JWT": answer["jwt"]}).status_code == 200
    data = answer["claims"][DL + "deep_linking_settings"]["data"]
    replay = lti.client.post(RETURN, data={"JWT": answer["jwt"]})
    second = lti.client.post(RETURN, data={"JWT": _forged(lti, tool_key, data)})
    assert replay.status_code == second.status_code == 400
    assert "(replay)" in second.get_data(as_text=True)
    assert stored_links(lti) == 2


def test_an_lms_deep_linking_request_is_relayed_and_answered_with_gateway_launch_urls(
        lti, tool_key, httpserver):
    lms = Lms(httpserver, new_key(), httpserver.url_for("").rstrip("/"))
    lms.serve()
    add_platform(lti.engine, issuer=lms.issuer, client_id=CLIENT_ID,
                 deployment_ids=[DEPLOYMENT], auth_url=lms.auth_url,
                 token_url=lms.issuer + "/token", jwks_url=lms.jwks_url)
    tool = pylti1p3_tool(tool_conf(lti, tool_key), resources)
    target = f"http://localhost/lti/launch?tool={lti.tool.client_id}"
    login = lti.client.get("/lti/login", query_string={
        "iss": lms.issuer, "login_hint": "h", "target_link_uri": target})
    auth = lms.authenticate(login.headers["Location"])
    teacher = {"sub": "lms-teacher", LTI + "lis": {"person_sourcedid": "tch-a",
                                                   "course_section_sourcedid": "cls-a"}}
    token = lms.id_token(lms.claims(
        auth, target, **teacher, **{
            LTI + "message_type": "LtiDeepLinkingRequest", LTI + "resource_link": None,
            DL + "deep_linking_settings": {
                "deep_link_return_url": lms.issuer + "/dl-return",
                "accept_types": ["ltiResourceLink"], "accept_presentation_document_targets":
                    ["iframe"], "data": "lms-opaque-data"}}))
    to_tool = lti.client.post("/lti/launch", data={"id_token": token, "state": auth["state"]})
    assert to_tool.status_code == 302, to_tool.get_data(as_text=True)
    answer = through_tool(lti, tool, to_tool.headers["Location"])
    back = lti.client.post(RETURN, data={"JWT": answer["jwt"]})
    assert back.status_code == 200, back.get_data(as_text=True)
    action, fields = form_fields(back.get_data(as_text=True))
    assert action == lms.issuer + "/dl-return"
    keys = KeySet.import_key_set(lti.client.get("/.well-known/jwks.json").get_json())
    response = jwt.decode(fields["JWT"], keys, algorithms=["RS256"]).claims
    assert response["iss"] == CLIENT_ID and response["aud"] == lms.issuer
    assert response[LTI + "deployment_id"] == DEPLOYMENT
    assert response[DL + "data"] == "lms-opaque-data"
    items = response[DL + "content_items"]
    assert [i["title"] for i in items] == ["Fractions 3", "Decimals"]
    assert all(i["url"].startswith(target + "&link=dl-") for i in items)
    assert items[0]["lineItem"] == {"label": "Fractions quiz", "scoreMaximum": 20,
                                    "resourceId": "unit-3", "tag": "fractions"}
    assert "tool.example" not in fields["JWT"] and "tool.example" not in str(response)

    # the LMS launches the link it received: relayed to the tool's own URL and title
    link_url = items[0]["url"]
    login = lti.client.get("/lti/login", query_string={
        "iss": lms.issuer, "login_hint": "h", "target_link_uri": link_url})
    auth = lms.authenticate(login.headers["Location"])
    student = {"sub": "lms-ana", LTI + "lis": {"person_sourcedid": "stu-a1",
                                               "course_section_sourcedid": "cls-a"}}
    token = lms.id_token(lms.claims(auth, link_url, **student))
    relayed = lti.client.post("/lti/launch", data={"id_token": token, "state": auth["state"]})
    assert relayed.status_code == 302, relayed.get_data(as_text=True)
    claims = through_tool(lti, tool, relayed.headers["Location"])["claims"]
    assert claims[LTI + "target_link_uri"] == "https://tool.example/launch?unit=3"
    assert claims[LTI + "resource_link"]["title"] == "Fractions 3"


def test_the_cli_mints_a_teachers_deep_linking_link(lti):
    from click.testing import CliRunner

    from gateway.cli import main

    env = {"GATEWAY_DATABASE_URL": lti.engine.url.render_as_string(hide_password=False)}
    minted = CliRunner().invoke(main, ["lti", "launch-url", "--tool", lti.tool.client_id,
                                       "--class", "cls-a", "--user", "tch-a",
                                       "--deep-linking"], env=env)
    assert minted.exit_code == 0, minted.output
    link = urlsplit(minted.output.strip())
    start = lti.client.get(link.path + "?" + link.query)
    assert start.status_code == 302, start.get_data(as_text=True)
    login = dict(parse_qs(urlsplit(start.headers["Location"]).query))
    params = lti.auth_request({k: v[0] for k, v in login.items()})
    _, fields = form_fields(lti.authorize(params).get_data(as_text=True))
    claims = lti.verify(fields["id_token"])
    assert claims[LTI + "message_type"] == "LtiDeepLinkingRequest"
    assert claims[DL + "deep_linking_settings"]["accept_types"] == ["ltiResourceLink"]


def test_a_response_whose_second_line_item_is_refused_stores_no_line_item_and_no_link(
        lti, tool_key):
    """All or nothing: the first item's line item is not left behind when the sync engine
    refuses the second's (here a label with a NUL character, which no store keeps)."""
    tool = pylti1p3_tool(tool_conf(lti, tool_key), resources)
    data = deep_link_request(lti, tool)["claims"][DL + "deep_linking_settings"]["data"]
    items = [{"type": "ltiResourceLink", "title": "Quiz 1", "url": "https://tool.example/q1",
              "lineItem": {"label": "Quiz 1", "scoreMaximum": 10}},
             {"type": "ltiResourceLink", "title": "Quiz 2", "url": "https://tool.example/q2",
              "lineItem": {"label": "Quiz\x002", "scoreMaximum": 10}}]
    refused = lti.client.post(RETURN, data={"JWT": _forged(
        lti, tool_key, data, **{DL + "content_items": items})})
    assert refused.status_code == 400, refused.get_data(as_text=True)
    assert "A line item could not be created" in refused.get_data(as_text=True)
    with lti.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(LtiLineItem)).scalar_one() == 0
    assert stored_links(lti) == 0
    line_items = ROSTER_TABLES["lineItems"]
    with lti.engine.connect() as conn:
        kept = conn.execute(select(func.count()).select_from(line_items)
                            .where(line_items.c.sourced_id.like("lti-%"))).scalar_one()
    assert kept == 0  # not in the canonical gradebook either

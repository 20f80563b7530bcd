"""Launches from the gateway into a tool: login initiation, /lti/authorize and the id_token,
as the security framework and LTI Core 1.3 ask (real app, real store, both backends)."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from gateway.auth.keys import rotate_keys
from gateway.model import LtiLaunch, LtiUsedValue
from gateway.policy.optouts import add_optout
from tests.lti.conftest import LOGIN, REDIRECT, form_fields, make_lti

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


def count(engine, table, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def test_login_initiation_carries_every_parameter_and_no_district_id(lti):
    login = lti.login("stu-a1")
    assert set(login) == {"iss", "login_hint", "target_link_uri", "lti_message_hint",
                          "client_id", "lti_deployment_id"}
    assert login["client_id"] == lti.tool.client_id
    assert login["lti_deployment_id"] == lti.tool.deployment_id
    assert login["target_link_uri"] == REDIRECT
    assert "stu-a1" not in str(login) and "cls-a" not in str(login)


def test_the_id_token_has_the_lti_claims_and_a_pairwise_subject(lti):
    claims = lti.launch("stu-a1")
    assert claims["iss"] == lti.app.config["GATEWAY_SETTINGS"].issuer
    assert claims["aud"] == claims["azp"] == lti.tool.client_id
    assert claims[LTI + "message_type"] == "LtiResourceLinkRequest"
    assert claims[LTI + "version"] == "1.3.0"
    assert claims[LTI + "deployment_id"] == lti.tool.deployment_id
    assert claims[LTI + "target_link_uri"] == REDIRECT
    assert claims[LTI + "roles"][0] == LEARNER
    assert claims[LTI + "resource_link"]["title"] == "unit-1"
    context = claims[LTI + "context"]
    assert context["title"] == "Algebra I (A)" and context["id"] != "cls-a"
    nrps = claims[NRPS_CLAIM]
    assert nrps["context_memberships_url"] == (
        f"http://localhost/lti/contexts/{context['id']}/memberships")
    assert nrps["service_versions"] == ["2.0"]
    sub = claims["sub"]
    assert isinstance(sub, str) and "stu-a1" not in sub and sub == sub.lower()
    assert claims["iat"] <= claims["exp"] - 60
    # identity claims are off unless shared and granted
    for absent in ("name", "given_name", "email", LTI + "lis"):
        assert absent not in claims
    # stable for the tool, unlinkable across tools
    assert lti.launch("stu-a1")["sub"] == sub
    other = lti.add_tool("Other tool")
    assert lti.launch("stu-a1", tool=other)["sub"] != sub
    assert lti.launch("tch-a")[LTI + "roles"][0] == INSTRUCTOR


def test_identity_claims_need_both_the_tool_share_and_the_agreement(district, database_url,
                                                                    tmp_path, tool_key):
    granted = make_lti(district, database_url, tmp_path / "a", tool_key,
                       share=["name", "email", "lis"], sensitive=["contact"])
    claims = granted.launch("stu-a2")
    assert (claims["given_name"], claims["family_name"]) == ("Ben", "Pupila")
    assert claims["email"] == "stu-a2@example.org"
    assert claims[LTI + "lis"] == {"person_sourcedid": "stu-a2",
                                   "course_section_sourcedid": "cls-a"}
    no_contact = make_lti(district, database_url, tmp_path / "b", tool_key,
                          share=["name", "email"])
    claims = no_contact.launch("stu-a2")
    assert claims["given_name"] == "Ben" and "email" not in claims


def test_an_opted_out_student_gets_a_clear_page_and_no_launch(lti):
    add_optout(lti.engine, "stu-a3", lti.app_client_id)
    response = lti.client.get(lti.link("stu-a3"))
    assert response.status_code == 403
    assert response.mimetype == "text/html"
    assert "Your family has asked the district not to share" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    assert count(lti.engine, LtiLaunch) == 0


def test_an_opt_out_between_login_and_authorize_stops_the_launch_and_stores_nothing(lti):
    login = lti.login("stu-a4")
    add_optout(lti.engine, "stu-a4")  # every app
    response = lti.authorize(lti.auth_request(login))
    assert response.status_code == 403
    assert "id_token" not in response.get_data(as_text=True)
    assert count(lti.engine, LtiLaunch, LtiLaunch.used_at.is_not(None)) == 0
    assert count(lti.engine, LtiUsedValue) == 0


def test_a_class_outside_the_agreement_or_a_non_member_cannot_be_launched(lti):
    outside = lti.client.get(lti.link("stu-b1", "cls-b"))
    assert outside.status_code == 403
    assert "not shared with Maths Lab tool" in outside.get_data(as_text=True)
    not_member = lti.client.get(lti.link("tch-b", "cls-a"))
    assert not_member.status_code == 403
    assert count(lti.engine, LtiLaunch) == 0


def test_a_tampered_or_expired_launch_link_is_refused(lti):
    link = lti.link("stu-a1")
    token = link.split("t=")[1]
    body, mac = token.split(".")
    forged = link.replace(token, body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
                          + "." + mac)
    assert lti.client.get(forged).status_code == 400
    expired = lti.link("stu-a1", lifetime=-1)
    page = lti.client.get(expired)
    assert page.status_code == 400 and "has expired" in page.get_data(as_text=True)
    assert count(lti.engine, LtiLaunch) == 0


def test_unknown_client_id_is_a_page_and_never_a_redirect(lti):
    login = lti.login("stu-a1")
    response = lti.authorize(lti.auth_request(login, client_id="not-a-tool"))
    assert response.status_code == 400
    assert "Location" not in response.headers
    body = response.get_data(as_text=True)
    assert "unknown client_id" in body and "<form" not in body


def test_an_unregistered_redirect_uri_gets_no_redirect_and_no_post(lti):
    login = lti.login("stu-a1")
    evil = "https://evil.example/steal"
    for uri in (evil, REDIRECT + "/", REDIRECT + "?x=1", REDIRECT.upper()):
        response = lti.authorize(lti.auth_request(login, redirect_uri=uri))
        assert response.status_code == 400
        assert "Location" not in response.headers
        body = response.get_data(as_text=True)
        assert "redirect_uri is not registered" in body and "<form" not in body
        assert "form-action 'none'" in response.headers["Content-Security-Policy"]
    assert count(lti.engine, LtiLaunch, LtiLaunch.used_at.is_not(None)) == 0


def _error(response) -> dict[str, str]:
    assert response.status_code == 400
    action, fields = form_fields(response.get_data(as_text=True))
    assert action == REDIRECT
    assert "id_token" not in fields
    return fields


def test_each_bad_authentication_request_is_answered_with_its_error(lti):
    login = lti.login("stu-a1")
    cases = {
        "scope": ("profile", "invalid_scope", "scope must be openid"),
        "response_type": ("code", "unsupported_response_type",
                          "response_type must be id_token"),
        "response_mode": ("query", "invalid_request", "response_mode must be form_post"),
        "prompt": (None, "invalid_request", "prompt must be none"),
        "nonce": (None, "invalid_request", "nonce is required"),
    }
    for name, (value, code, description) in cases.items():
        fields = _error(lti.authorize(lti.auth_request(login, **{name: value})))
        assert (fields["error"], fields["error_description"][:len(description)]) == (
            code, description), name
        assert fields["state"]
    missing_state = _error(lti.authorize(lti.auth_request(login, state=None)))
    assert missing_state["error_description"].startswith("state is required")
    assert count(lti.engine, LtiUsedValue) == 0
    # the launch is still there to be completed properly
    assert lti.authorize(lti.auth_request(login)).status_code == 200


def test_a_tampered_login_hint_or_a_foreign_message_hint_is_refused(lti):
    login = lti.login("stu-a1")
    hint = login["login_hint"]
    tampered = hint[:5] + ("x" if hint[5] != "x" else "y") + hint[6:]
    fields = _error(lti.authorize(lti.auth_request(login, login_hint=tampered)))
    assert fields["error_description"] == "login_hint is not valid (signature)"
    other = lti.login("stu-a2")
    fields = _error(lti.authorize(lti.auth_request(
        login, lti_message_hint=other["lti_message_hint"])))
    assert fields["error_description"] == ("lti_message_hint does not belong to this "
                                           "login_hint")
    swapped = _error(lti.authorize(lti.auth_request(login,
                                                    lti_message_hint=login["login_hint"])))
    assert swapped["error_description"] == "lti_message_hint is not valid (signature)"
    assert count(lti.engine, LtiLaunch, LtiLaunch.used_at.is_not(None)) == 0


def test_a_replayed_authentication_request_or_nonce_is_refused(lti):
    login = lti.login("stu-a1")
    params = lti.auth_request(login)
    assert lti.authorize(params, method="POST").status_code == 200
    again = _error(lti.authorize(params, method="POST"))
    assert again["error_description"] == "this login_hint has been used already (replay)"
    fresh = lti.login("stu-a1")
    reused_nonce = _error(lti.authorize(lti.auth_request(fresh, nonce=params["nonce"])))
    assert reused_nonce["error_description"] == "this nonce has been used already (replay)"
    # nothing of the refused request stayed: the fresh launch can still complete
    assert count(lti.engine, LtiLaunch, LtiLaunch.used_at.is_not(None)) == 1
    assert lti.authorize(lti.auth_request(fresh)).status_code == 200


def test_the_form_post_page_posts_only_to_the_tool_and_cannot_be_framed(lti):
    login = lti.login("stu-a1")
    response = lti.authorize(lti.auth_request(login))
    csp = response.headers["Content-Security-Policy"]
    assert "form-action https://tool.example;" in csp
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/=]+'", csp)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_id_tokens_follow_key_rotation(lti):
    first = lti.client.get(lti.link("stu-a1"))
    assert first.status_code == 302
    old_kid = _kid(lti)
    rotate_keys(lti.engine, 3600)
    new_kid = _kid(lti)
    assert new_kid != old_kid
    kids = {k["kid"] for k in lti.client.get("/.well-known/jwks.json").get_json()["keys"]}
    assert {old_kid, new_kid} <= kids


def _kid(lti) -> str:
    import base64
    import json

    login = lti.login("stu-a1")
    _, fields = form_fields(lti.authorize(lti.auth_request(login)).get_data(as_text=True))
    head = fields["id_token"].split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))["kid"]


def test_oversized_authentication_requests_are_refused(lti):
    response = lti.client.post("/lti/authorize", data={"client_id": "x" * 70_000})
    assert response.status_code == 413
    assert LOGIN not in response.get_data(as_text=True)


def test_a_launch_is_a_logged_disclosure_of_the_student_it_names(lti):
    from gateway.model import DisclosedStudent, Disclosure
    from tests.disclosure_log import settle

    lti.launch("stu-a2")
    settle(lti.app)
    with lti.engine.connect() as conn:
        rows = conn.execute(select(Disclosure.endpoint, DisclosedStudent.student_id).join(
            DisclosedStudent, DisclosedStudent.disclosure_id == Disclosure.id)).all()
    assert ("/lti/authorize", "stu-a2") in rows
    assert {student for _endpoint, student in rows} == {"stu-a2"}

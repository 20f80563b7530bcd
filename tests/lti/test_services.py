"""LTI service tokens (client_credentials + private_key_jwt) and Names and Role Provisioning
from the canonical roster, through the read engine (real app, real store, both backends)."""

from __future__ import annotations

import base64
import json
import re
import time
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy import select

from gateway.auth.lti_state import remember_context
from gateway.auth.registry import register_app
from gateway.model import DisclosedStudent, Disclosure
from gateway.policy.agreement import parse_agreement
from gateway.policy.optouts import add_optout
from tests.disclosure_log import settle
from tests.lti.conftest import NRPS, make_lti
from tests.lti.spec_check import check

MEDIA = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"


def claims_of(token: str) -> dict:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_a_valid_assertion_gets_a_token_for_the_granted_scopes_only(lti):
    response = lti.token_response(lti.assertion(), f"{NRPS} https://example/unknown")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"] == NRPS
    token = claims_of(body["access_token"])
    assert token["client_id"] == lti.tool.client_id and token["scope"] == NRPS
    assert response.headers["Cache-Control"] == "no-store"


def test_a_tool_registered_without_a_scope_cannot_get_it(lti):
    narrow = lti.add_tool("Roster only", scopes=[NRPS])
    lti.tool = narrow
    refused = lti.token_response(lti.assertion(), SCORE)
    assert refused.status_code == 400
    assert refused.get_json()["error"] == "invalid_scope"


def _refusal(response, error: str, description: str) -> None:
    assert response.status_code in (400, 401), response.get_json()
    body = response.get_json()
    assert body["error"] == error
    assert body["error_description"].startswith(description), body


def test_bad_assertions_are_refused_precisely(lti, other_key):
    now = int(time.time())
    cases = [
        (lti.assertion(other_key), "invalid_client", "client_assertion signature does not "
                                                     "verify"),
        (lti.assertion(exp=now - 120, iat=now - 180), "invalid_client",
         "client_assertion has expired"),
        (lti.assertion(exp=now + 3600), "invalid_client", "client_assertion exp is more than"),
        (lti.assertion(iat=now + 600), "invalid_client", "client_assertion iat is missing or "
                                                         "in the future"),
        (lti.assertion(aud="https://elsewhere.example/token"), "invalid_client",
         "client_assertion aud must name this token endpoint"),
        (lti.assertion(jti=None), "invalid_client", "client_assertion needs a jti"),
        (lti.assertion(sub="someone-else"), "invalid_client", "client_assertion sub must "
                                                              "equal iss"),
        (lti.assertion(iss="nobody", sub="nobody"), "invalid_client",
         "client_assertion iss is not a registered tool"),
        ("not.a.jwt", "invalid_client", "client_assertion is not a JWT"),
    ]
    for assertion, error, description in cases:
        _refusal(lti.token_response(assertion), error, description)
    unsigned = (base64.urlsafe_b64encode(b'{"alg":"none"}').decode().rstrip("=") + "."
                + lti.assertion().split(".")[1] + ".")
    _refusal(lti.token_response(unsigned), "invalid_client", "client_assertion must be signed "
                                                             "RS256")
    wrong_grant = lti.client.post("/lti/token", data={"grant_type": "password"})
    _refusal(wrong_grant, "unsupported_grant_type", "grant_type must be client_credentials")


def test_an_assertion_is_used_once(lti):
    assertion = lti.assertion()
    assert lti.token_response(assertion).status_code == 200
    _refusal(lti.token_response(assertion), "invalid_client",
             "client_assertion jti has been used already (replay)")
    # the same jti from another tool is that tool's own business
    other = lti.add_tool("Other tool")
    lti.tool = other
    assert lti.token_response(lti.assertion(jti=claims_of(assertion)["jti"])).status_code == 200


def test_an_array_audience_with_a_trailing_slash_is_accepted(lti):
    response = lti.token_response(lti.assertion(aud=["x", "http://localhost/lti/token/"]))
    assert response.status_code == 200, response.get_json()


def test_oversized_token_requests_are_refused(lti):
    response = lti.client.post("/lti/token", data={"client_assertion": "a" * 70_000})
    assert response.status_code == 413


def _nrps_url(lti, user: str = "stu-a1") -> str:
    claims = lti.launch(user)
    return claims["https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"][
        "context_memberships_url"]


def next_link(response) -> str | None:
    """The rel="next" URL of the Link header, as pylti1p3 2.0.0 reads it (lowercased)."""
    found = re.search(r'<([^>]*)>;\s*rel="next"', response.headers.get("Link", "").lower())
    return found[1] if found else None


def _get(lti, url: str, token: str, **params):
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query), **params)
    return lti.client.get(parts.path, query_string=query,
                          headers={"Authorization": f"Bearer {token}", "Accept": MEDIA})


def test_memberships_come_from_the_roster_with_pairwise_ids_and_no_opted_out_student(lti):
    add_optout(lti.engine, "stu-a5", lti.app_client_id)
    sub = lti.launch("stu-a1")["sub"]
    url = _nrps_url(lti)
    response = _get(lti, url, lti.token())
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == MEDIA
    body = json.loads(response.get_data())
    check("nrps-membership-container", body)
    assert body["id"] == url
    assert body["context"]["title"] == "Algebra I (A)"
    members = body["members"]
    assert len(members) == 5  # the teacher and four students; stu-a5 opted out
    assert sorted(m["roles"][0] for m in members) == [INSTRUCTOR] + [LEARNER] * 4
    assert all(m["status"] == "Active" for m in members)
    assert sub in {m["user_id"] for m in members}
    text = response.get_data(as_text=True)
    for district_id in ("stu-a", "tch-a", "Pupila", "@example.org"):
        assert district_id not in text
    learners = json.loads(_get(lti, url, lti.token(), role=LEARNER).get_data())["members"]
    assert len(learners) == 4
    short = json.loads(_get(lti, url, lti.token(), role="Instructor").get_data())["members"]
    assert [m["roles"] for m in short] == [[INSTRUCTOR]]


def test_memberships_page_with_a_next_link_that_survives_lowercasing(lti):
    url = _nrps_url(lti)
    token = lti.token()
    seen, page_url, pages = [], url + "?limit=2", 0
    while page_url:
        response = _get(lti, page_url.lower(), token)
        assert response.status_code == 200
        seen += [m["user_id"] for m in json.loads(response.get_data())["members"]]
        page_url = next_link(response)
        pages += 1
    assert pages == 3 and len(seen) == len(set(seen)) == 6


def test_memberships_carry_only_the_granted_identity_claims(district, database_url, tmp_path,
                                                            tool_key):
    lti = make_lti(district, database_url, tmp_path, tool_key, share=["name", "lis"])
    members = json.loads(_get(lti, _nrps_url(lti), lti.token()).get_data())["members"]
    check("nrps-membership-container", {"id": "https://x.example", "context": {"id": "c"},
                                        "members": members})
    ben = next(m for m in members if m.get("given_name") == "Ben")
    assert ben["lis_person_sourcedid"] == "stu-a2" and ben["family_name"] == "Pupila"
    assert all("email" not in m for m in members)


def test_each_memberships_response_is_a_logged_disclosure(lti):
    url = _nrps_url(lti)
    settle(lti.app)
    with lti.engine.connect() as conn:
        before = conn.execute(select(Disclosure.id)).all()
    assert _get(lti, url, lti.token()).status_code == 200
    settle(lti.app)
    with lti.engine.connect() as conn:
        rows = conn.execute(select(Disclosure.id, Disclosure.endpoint)
                            .where(Disclosure.id.not_in([r.id for r in before]))).all()
        students = set(conn.execute(select(DisclosedStudent.student_id).where(
            DisclosedStudent.disclosure_id.in_([r.id for r in rows]))).scalars())
    assert rows and all(r.endpoint.startswith("/lti/contexts/") for r in rows)
    assert students == {f"stu-a{n}" for n in range(1, 6)}


def test_a_class_outside_the_agreement_is_404_like_an_unknown_context(lti):
    url = _nrps_url(lti)
    token = lti.token()
    # a context this tool knew, whose class the agreement does not cover (school B)
    remember_context(lti.engine, lti.tool.id, "0" * 32, "cls-b")
    outside = _get(lti, url.replace(url.split("/")[-2], "0" * 32), token)
    unknown = _get(lti, url.replace(url.split("/")[-2], "f" * 32), token)
    assert outside.status_code == unknown.status_code == 404
    assert outside.get_json()["error"] == unknown.get_json()["error"] == "not_found"
    # another tool's token cannot read this tool's context
    other = lti.add_tool("Other tool")
    lti.tool = other
    assert _get(lti, url, lti.token()).status_code == 404


def test_memberships_need_an_lti_service_token_with_the_scope(lti):
    url = _nrps_url(lti)
    assert _get(lti, url, "garbage").status_code == 401
    no_scope_tool = lti.add_tool("Grades only", scopes=[SCORE])
    lti.tool = no_scope_tool
    score_token = lti.token(SCORE)
    assert _get(lti, url, score_token).status_code == 403
    # a OneRoster token of the same app opens no LTI service
    client_id, secret = register_app(lti.engine, "Plain app", parse_agreement({
        "name": "p", "purpose": "instruction", "expires": "2099-12-31",
        "scopes": ["roster-core.readonly"]}))
    oneroster = lti.client.post("/oauth/token", data={"grant_type": "client_credentials"},
                                auth=(client_id, secret)).get_json()["access_token"]
    assert _get(lti, url, oneroster).status_code == 401
    # and an LTI token opens no OneRoster endpoint
    lti_token = score_token
    assert lti.client.get("/ims/oneroster/rostering/v1p2/users",
                          headers={"Authorization": f"Bearer {lti_token}"}).status_code == 401

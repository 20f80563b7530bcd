"""Guardians launch as mentors of their children (role_scope_mentor with the children's ids as
the tool knows them); NRPS answers resource-link membership (rlid) and differences since a
change version, with Link URLs that survive pylti1p3's lower-casing (both backends)."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, urlencode, urlsplit

from sqlalchemy import select

from adapters.records import FamilyMode, Record
from gateway.config import SourceConfig
from gateway.model import DisclosedStudent, Disclosure
from gateway.policy.optouts import add_optout
from gateway.sync.runner import run_sync
from tests.disclosure_log import settle
from tests.lti.test_services import LEARNER, _get, next_link

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
MENTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"


def test_a_guardian_launches_as_the_mentor_of_their_child_in_the_class(lti):
    child = lti.launch("stu-a2")
    settle(lti.app)
    with lti.engine.connect() as conn:
        before = {r for r in conn.execute(select(Disclosure.id)).scalars()}
    claims = lti.launch("par-a2")
    assert claims[LTI + "roles"][0] == MENTOR
    assert claims[LTI + "role_scope_mentor"] == [child["sub"]]
    assert claims["sub"] not in (child["sub"],)
    settle(lti.app)
    with lti.engine.connect() as conn:
        ids = [i for i in conn.execute(select(Disclosure.id)).scalars() if i not in before]
        disclosed = set(conn.execute(select(DisclosedStudent.student_id).where(
            DisclosedStudent.disclosure_id.in_(ids))).scalars())
    assert disclosed == {"stu-a2"}  # the mentor's launch names the child: logged


def test_a_guardian_whose_child_is_opted_out_or_not_in_the_class_gets_no_launch(lti):
    add_optout(lti.engine, "stu-a3", lti.app_client_id)
    refused = lti.client.get(lti.link("par-a3"))
    assert refused.status_code == 403 and "not a member" in refused.get_data(as_text=True)
    # a guardian of school B's student is outside this tool's agreement (school A)
    assert lti.client.get(lti.link("par-b1")).status_code == 403
    # a student is no one's mentor
    assert LTI + "role_scope_mentor" not in lti.launch("stu-a1")


def _url(lti) -> tuple[str, str]:
    claims = lti.launch("stu-a1")
    return (claims[NRPS_CLAIM]["context_memberships_url"], claims[LTI + "resource_link"]["id"])


def _ids(response) -> list[str]:
    return [m["user_id"] for m in json.loads(response.get_data())["members"]]


def test_resource_link_membership_is_the_classes_for_its_own_links_only(lti):
    url, link = _url(lti)
    token = lti.token()
    everyone = _ids(_get(lti, url, token))
    assert sorted(_ids(_get(lti, url, token, rlid=link))) == sorted(everyone)
    unknown = _get(lti, url, token, rlid="0" * 32)
    assert unknown.status_code == 404 and "resource link" in unknown.get_json()[
        "error_description"]
    other = lti.add_tool("Other tool")
    lti.tool = other
    other_url, other_link = _url(lti)
    lti.tool = other
    # the other tool's link is not a link of the first tool's context
    assert _get(lti, other_url, lti.token(), rlid=link).status_code == 404
    assert _get(lti, other_url, lti.token(), rlid=other_link).status_code == 200


def test_filtered_pages_follow_lowercased_next_links_to_the_same_members(lti):
    url, link = _url(lti)
    token = lti.token()
    expected = _ids(_get(lti, url, token, role=LEARNER))
    seen, page_url, pages = [], url + "?" + urlencode(
        {"limit": 2, "role": LEARNER, "rlid": link}), 0
    while page_url:
        parts = urlsplit(page_url.lower())
        response = _get(lti, parts.path + "?" + parts.query, token)
        assert response.status_code == 200, response.get_json()
        seen += _ids(response)
        page_url = next_link(response)
        pages += 1
    assert pages == 3 and sorted(seen) == sorted(expected) and len(expected) == 5


def _differences(response) -> str:
    found = re.search(r'<([^>]*)>;\s*rel="differences"', response.headers["Link"])
    assert found, response.headers["Link"]
    return found[1]


def test_differences_report_what_changed_since_the_snapshot(district, lti):
    lti.tool = lti.add_tool("Named tool", share=["name"])
    url, _ = _url(lti)
    token = lti.token()
    first = _get(lti, url, token)
    differences = _differences(first).lower()
    assert dict(parse_qsl(urlsplit(differences).query))["since"].isdigit()
    nothing = _get(lti, differences, token)
    assert nothing.status_code == 200 and _ids(nothing) == []

    subs = {m.get("given_name"): m["user_id"] for m in json.loads(first.get_data())["members"]}
    report = run_sync(district, SourceConfig(name="sis", adapter="test"), iter([
        FamilyMode("enrollments", "delta", "e.csv"),
        Record("enrollments", "e-stu-a3", {}, file="e.csv", line=2, status="tobedeleted"),
        FamilyMode("users", "delta", "u.csv"),
        Record("users", "stu-a4", {"enabledUser": "true", "username": "stu-a4",
                                   "givenName": "Devi", "familyName": "Pupila",
                                   "grades": ["09"], "email": "stu-a4@example.org",
                                   "agents": ["par-a4"]}, file="u.csv", line=2,
               status="active"),
    ]), adapter_name="test")
    assert report.state == "applied", report.issues[:3]
    changed = json.loads(_get(lti, differences, token).get_data())["members"]
    by_id = {m["user_id"]: m for m in changed}
    assert set(by_id) == {subs["Zoë"], subs["Dev"]}
    assert by_id[subs["Zoë"]]["status"] == "Deleted"
    assert by_id[subs["Dev"]]["status"] == "Active"
    assert by_id[subs["Dev"]]["given_name"] == "Devi"


def test_a_student_opted_out_after_the_previous_call_is_reported_deleted_then_absent(lti):
    lti.tool = lti.add_tool("Named tool", share=["name"])
    url, _ = _url(lti)
    token = lti.token()
    first = _get(lti, url, token)
    subs = {m.get("given_name"): m["user_id"] for m in json.loads(first.get_data())["members"]}
    differences = _differences(first).lower()  # as pylti1p3 would follow it
    # another app's opt-out is not this tool's business; this app's and every app's are
    add_optout(lti.engine, "stu-a3")  # from every app
    add_optout(lti.engine, "stu-a4", lti.app_client_id)  # from this app
    add_optout(lti.engine, "stu-a5", _another_app(lti))  # from another app only
    changed = _get(lti, differences, token)
    assert changed.status_code == 200
    members = json.loads(changed.get_data())["members"]
    assert sorted((m["user_id"], m["status"]) for m in members) == sorted(
        [(subs["Zoë"], "Deleted"), (subs["Dev"], "Deleted")])
    assert all(set(m) == {"user_id", "roles", "status"} for m in members)  # nothing else
    assert all(m["roles"] == [LEARNER] for m in members)
    # teachers only: the students' departures are not in that filter
    teachers = _get(lti, differences + "&role=instructor", token)
    assert teachers.status_code == 200 and _ids(teachers) == []
    # the next differences call (from this answer's link) reports them no more, and the full
    # list leaves them out
    again = _get(lti, _differences(changed).lower(), token)
    assert _ids(again) == []
    assert subs["Zoë"] not in _ids(_get(lti, url, token))


def test_a_differences_link_with_a_bad_optouts_mark_is_refused_precisely(lti):
    url, _ = _url(lti)
    token = lti.token()
    bad = _get(lti, url + "?since=1&optouts=-3", token)
    assert bad.status_code == 400
    assert "optouts" in json.loads(bad.get_data())["error_description"]


def _another_app(lti) -> str:
    from gateway.auth.registry import register_app
    from gateway.policy.agreement import parse_agreement

    return register_app(lti.engine, "Another app", parse_agreement({
        "name": "Another", "purpose": "instruction", "expires": "2099-12-31",
        "scopes": ["roster-core.readonly"], "schools": ["sch-a"]})).client_id

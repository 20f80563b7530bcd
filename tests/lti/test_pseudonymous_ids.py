"""LTI under a pseudonymous agreement (issue 15 section 2): no district id of a person (or,
if set, a class) leaves in a launch or a memberships page; LIS sourcedIds are the app's
OneRoster pseudonyms, so a tool joins NRPS with its own app's OneRoster reads and with no
other app's."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from gateway.app import create_app
from gateway.auth.registry import register_app
from gateway.policy.agreement import parse_agreement
from tests.lti.conftest import Lti
from tests.lti.test_services import _get, _nrps_url

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
V12 = "/ims/oneroster/rostering/v1p2"
PEOPLE = [f"stu-{s}{n}" for s in "ab" for n in range(1, 6)] + \
    [f"par-{s}{n}" for s in "ab" for n in range(1, 6)] + ["tch-a", "tch-b"]


def _leaks(text: str, ids: list[str]) -> list[str]:
    return [i for i in ids if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", text)]


def _app(district, database_url, tmp_path, key, name: str,  # noqa: ANN001
         **agreement: Any) -> tuple[Lti, dict[str, str]]:
    doc = {"name": name, "purpose": "instruction", "expires": "2099-12-31",
           "scopes": ["roster-core.readonly"], "schools": ["sch-a"], "pseudonymous_ids": True,
           **agreement}
    creds = register_app(district, name, parse_agreement(doc))
    app = create_app({"database_url": database_url, "var_dir": str(tmp_path / name)})
    app.testing = True
    lti = Lti(app, app.test_client(), district, None, key, creds.client_id)  # type: ignore[arg-type]
    lti.tool = lti.add_tool(f"{name} tool", share=["name", "lis"])
    basic = base64.b64encode(f"{creds.client_id}:{creds.client_secret}".encode()).decode()
    token = lti.client.post("/oauth/token", data={"grant_type": "client_credentials"},
                            headers={"Authorization": f"Basic {basic}"}).get_json()
    return lti, {"Authorization": f"Bearer {token['access_token']}"}


def _oneroster(lti: Lti, headers: dict[str, str], path: str) -> dict[str, Any]:
    reply = lti.client.get(V12 + path, headers=headers)
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()


def _students(lti: Lti, headers: dict[str, str]) -> dict[str, str]:
    return {u["givenName"]: u["sourcedId"]
            for u in _oneroster(lti, headers, "/students?limit=100")["users"]}


def test_launch_and_memberships_show_the_apps_oneroster_pseudonyms(district, database_url,
                                                                   tmp_path, tool_key):
    first, first_or = _app(district, database_url, tmp_path, tool_key, "first")
    second, second_or = _app(district, database_url, tmp_path, tool_key, "second",
                             pseudonymous_ids=["people", "classes"],
                             scopes=["roster-core.readonly", "edfi.readonly"])
    for lti, headers in ((first, first_or), (second, second_or)):
        students = _students(lti, headers)
        claims = lti.launch("stu-a2")
        assert _leaks(json.dumps(claims), PEOPLE) == []
        assert claims[LTI + "lis"]["person_sourcedid"] == students["Ben"]
        members = _get(lti, _nrps_url(lti), lti.token())
        assert members.status_code == 200
        text = members.get_data(as_text=True)
        assert _leaks(text, PEOPLE) == []
        listed = {m["given_name"]: m["lis_person_sourcedid"]
                  for m in json.loads(text)["members"] if m.get("given_name") != "Tess"}
        assert listed == students
    first_ids, second_ids = _students(first, first_or), _students(second, second_or)
    assert all(first_ids[n] != second_ids[n] for n in first_ids)
    assert first.launch("stu-a2")[LTI + "lis"]["course_section_sourcedid"] == "cls-a"
    [alder] = _oneroster(second, second_or, "/classes")["classes"]
    section = second.launch("stu-a2")[LTI + "lis"]["course_section_sourcedid"]
    assert section == alder["sourcedId"] != "cls-a"
    # Ed-Fi names the class by the same pseudonym: its section and the enrolments in it
    sections = second.client.get("/data/v3/ed-fi/sections", headers=second_or).get_json()
    assert [s["sectionIdentifier"] for s in sections] == [section]
    enrolments = second.client.get("/data/v3/ed-fi/studentSectionAssociations",
                                   headers=second_or).get_json()
    assert enrolments and {e["sectionReference"]["sectionIdentifier"]
                           for e in enrolments} == {section}


def test_a_guardians_launch_names_no_district_id(district, database_url, tmp_path, tool_key):
    lti, _headers = _app(district, database_url, tmp_path, tool_key, "mentors")
    claims = lti.launch("par-a2")
    assert claims[LTI + "role_scope_mentor"]
    assert _leaks(json.dumps(claims), PEOPLE) == []

"""Every OneRoster 1.2 rostering read validates against the official document (its facts in
specs/oneroster/v1p2/official-rostering-facts.json) and our spec, also for rows a source left
short of what 1.2 requires: an org without an identifier, a course without a courseCode, users
holding no role, a user profile whose sourcedId is not a URI. What is served instead is the
documented fallback (README, OneRoster REST), never an omission."""

from __future__ import annotations

import json
from typing import Any

import pytest

from adapters.records import FamilyMode, Record
from gateway.config import SourceConfig
from gateway.specs import SPECS_DIR
from gateway.sync.runner import run_sync
from tests.oneroster.official_facts import problems
from tests.oneroster.spec_check import problems as spec_problems

V12 = "/ims/oneroster/rostering/v1p2"
SHORT: list[Record] = [
    Record("orgs", "sch-c", {"name": "Cedar Elementary", "type": "school", "parent": "dist"}),
    Record("courses", "crs-c", {"title": "Reading", "org": "sch-c"}),
    Record("classes", "cls-c", {"title": "Reading 1", "classType": "scheduled",
                                "course": "crs-c", "school": "sch-c", "terms": ["fall"]}),
    Record("users", "stu-c1", {"enabledUser": True, "username": "c1", "givenName": "Cy",
                               "familyName": "Cedar"}),
    Record("users", "enrolled-only", {"enabledUser": True, "username": "eo", "givenName": "Eve",
                                      "familyName": "Only"}),
    Record("users", "edfi-student", {"enabledUser": True, "username": "es", "givenName": "Ed",
                                     "familyName": "Fi", "personKind": "student",
                                     "primaryOrg": "sch-c"}),
    Record("users", "nobody", {"enabledUser": False, "username": "nb", "givenName": "No",
                               "familyName": "Body"}),
    Record("userProfiles", "profile 1", {"user": "stu-c1", "profileType": "reading app",
                                         "vendorId": "acme", "credentialType": "username",
                                         "username": "cy.cedar"}),
    Record("roles", "r-stu-c1", {"user": "stu-c1", "roleType": "primary", "role": "student",
                                 "org": "sch-c", "userProfile": "profile 1"}),
    Record("enrollments", "e-eo", {"class": "cls-c", "school": "sch-c", "user": "enrolled-only",
                                   "role": "student"}),
]
# Path parameters, bound to rows that carry each shortfall.
BINDINGS = {"classSourcedId": "cls-c", "schoolSourcedId": "sch-c", "courseSourcedId": "crs-c",
            "studentSourcedId": "stu-c1", "teacherSourcedId": "tch-a", "termSourcedId": "fall",
            "userSourcedId": "enrolled-only"}
SINGLE = {"academicSessions": "fall", "classes": "cls-c", "courses": "crs-c",
          "demographics": "stu-a1", "enrollments": "e-eo", "gradingPeriods": "q1",
          "orgs": "sch-c", "schools": "sch-c", "students": "stu-c1", "teachers": "tch-a",
          "terms": "fall", "users": "nobody"}


@pytest.fixture
def short(api):  # noqa: ANN001, ANN201
    """The two-school district plus a second source's rows short of what 1.2 requires."""
    families = list(dict.fromkeys(r.family for r in SHORT))
    events: list[Any] = [FamilyMode(f, "delta", f"{f}.csv") for f in families]
    for line, record in enumerate(SHORT, start=2):
        record.file, record.line, record.status = f"{record.family}.csv", line, "active"
        events.append(record)
    report = run_sync(api.engine, SourceConfig(name="sis2", adapter="test"), iter(events),
                      adapter_name="test")
    assert report.state == "applied", report.issues[:3]
    return api


def _paths() -> list[str]:
    spec = json.loads((SPECS_DIR / "oneroster/v1p2/rostering.openapi.json").read_text(
        encoding="utf-8"))
    paths = []
    for template, item in spec["paths"].items():
        if "get" not in item:
            continue
        path = template
        for name, value in BINDINGS.items():
            path = path.replace("{" + name + "}", value)
        if "{sourcedId}" in path:
            path = path.replace("{sourcedId}", SINGLE[template.split("/")[1]])
        paths.append(path)
    return paths


def test_every_rostering_read_validates_against_the_official_document(short):
    get = short.as_app(sensitive=["demographics", "birth_date", "contact", "identifiers"])
    found: list[str] = []
    for path in _paths():
        reply = get(f"{V12}{path}?limit=1000")
        assert reply.status_code == 200, (path, reply.get_json())
        found += [f"{path} {p}" for p in problems(reply.get_json())[:3]]
        found += [f"{path} (our spec) {p}" for p in spec_problems("GET", f"{V12}{path}",
                                                                  reply)[:3]]
    assert found == [], "\n".join(found)


def test_the_shortfalls_are_served_from_their_documented_fallbacks(short):
    get = short.as_app()
    org = get(f"{V12}/orgs/sch-c").get_json()["org"]
    assert org["identifier"] == "sch-c"
    course = get(f"{V12}/courses/crs-c").get_json()["course"]
    assert course["courseCode"] == "crs-c"
    user = get(f"{V12}/users/stu-c1").get_json()["user"]
    profile_id = "urn:school-data-gateway:userProfile:profile%201"
    assert [p["profileId"] for p in user["userProfiles"]] == [profile_id]
    assert user["roles"][0]["userProfile"] == profile_id
    enrolled = get(f"{V12}/users/enrolled-only").get_json()["user"]
    assert [(r["roleType"], r["role"], r["org"]["sourcedId"]) for r in enrolled["roles"]] == [
        ("primary", "student", "sch-c")]
    edfi = get(f"{V12}/users/edfi-student").get_json()["user"]
    assert [(r["role"], r["org"]["sourcedId"]) for r in edfi["roles"]] == [("student", "sch-c")]
    nobody = get(f"{V12}/users/nobody").get_json()["user"]
    assert [(r["role"], r["org"]["sourcedId"]) for r in nobody["roles"]] == [
        ("ext:unassigned", "dist")]


def test_the_official_check_notices_an_empty_roles_list_and_a_non_uri_profile_id():
    user = {"sourcedId": "u", "status": "active", "dateLastModified": "2026-01-01T00:00:00Z",
            "enabledUser": "true", "givenName": "A", "familyName": "B", "roles": [],
            "userProfiles": [{"profileId": "profile 1", "profileType": "x", "vendorId": "y"}]}
    found = problems({"user": user})
    assert any(p.startswith("/user/roles:") for p in found)
    assert any(p.startswith("/user/userProfiles/0/profileId:") for p in found)


@pytest.mark.parametrize(("path", "status"), [
    ("/users/nope", 404), ("/users?filter=colour%3D%27blue%27", 400),
    ("/users?fields=colour", 400), ("/users?sort=colour", 400), ("/users?limit=-1", 400),
])
def test_rostering_errors_validate_against_the_official_status_body(api, path, status):
    reply = api.as_app()(f"{V12}{path}")
    assert reply.status_code == status
    assert problems(reply.get_json(), status=status) == []

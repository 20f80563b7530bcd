"""Ed-Fi writes as an ingestion path (through the sync engine) and change queries: the issue's
acceptance story, optimistic concurrency, and bad input that must change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gateway.model import ROSTER_TABLES
from tests.edfi.bodies import ENROLMENT, SCHOOL, STUDENT
from tests.edfi.conftest import conforms

WRITER = ("edfi.readonly", "edfi.write")


def _rows(edfi, family: str) -> int:
    table = ROSTER_TABLES[family]
    with edfi.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_a_client_posts_a_school_a_student_and_their_association_then_reads_and_deletes(edfi):
    call = edfi.as_app(scopes=WRITER)
    before = call.get("/changeQueries/v1/availableChangeVersions").get_json()
    created = [call("POST", f"/ed-fi/{r}", json=b) for r, b in (
        ("schools", SCHOOL), ("students", STUDENT), ("studentSchoolAssociations", ENROLMENT))]
    assert [r.status_code for r in created] == [201, 201, 201]
    association = call.get(created[2].headers["Location"])
    body = conforms("GET", created[2].headers["Location"].split("localhost")[1], association)
    assert body["studentReference"]["studentUniqueId"] == "604822"
    assert body["schoolReference"]["schoolId"] == 255901107
    window = f"minChangeVersion={before['newestChangeVersion'] + 1}"
    changed = call.get(f"/ed-fi/students?{window}").get_json()
    assert [s["studentUniqueId"] for s in changed] == ["604822"]
    assert changed[0]["birthDate"] == "2012-05-14"
    assert call("DELETE", created[2].headers["Location"]).status_code == 204
    assert call.get(created[2].headers["Location"]).status_code == 404
    deletes = call.get(f"/ed-fi/studentSchoolAssociations/deletes?{window}").get_json()
    assert [d["keyValues"] for d in deletes] == [
        {"studentUniqueId": "604822", "schoolId": 255901107, "entryDate": "2026-08-20"}]
    assert deletes[0]["id"] == body["id"]


def test_posting_the_same_natural_key_again_updates_the_item(edfi):
    call = edfi.as_app(scopes=WRITER)
    assert call("POST", "/ed-fi/schools", json=SCHOOL).status_code == 201
    again = call("POST", "/ed-fi/schools", json={**SCHOOL, "nameOfInstitution": "GB Middle"})
    assert again.status_code == 200
    assert call.get(again.headers["Location"]).get_json()["nameOfInstitution"] == "GB Middle"


def test_put_replaces_with_204_and_a_stale_if_match_is_refused_with_412(edfi):
    call = edfi.as_app(scopes=WRITER)
    location = call("POST", "/ed-fi/schools", json=SCHOOL).headers["Location"]
    stale = call("PUT", location, json=SCHOOL, headers={"If-Match": '"0"'})
    assert stale.status_code == 412
    assert stale.get_json()["type"] == "urn:ed-fi:api:optimistic-lock-failed"
    etag = call.get(location).headers["ETag"]
    fresh = call("PUT", location, json={**SCHOOL, "nameOfInstitution": "Renamed"},
                 headers={"If-Match": etag})
    assert fresh.status_code == 204
    assert call("PUT", location.replace(location[-32:], "f" * 32), json=SCHOOL).status_code == 404


@pytest.mark.parametrize(("body", "path"), [
    ({**STUDENT, "shoeSize": 38}, "$.shoeSize"),
    ({**STUDENT, "birthDate": "14/05/2012"}, "$.birthDate"),
    ({**STUDENT, "firstName": 7}, "$.firstName"),
    ({"firstName": "No Key"}, "$.studentUniqueId"),
])
def test_a_malformed_student_is_refused_at_its_json_path_and_nothing_is_applied(edfi, body,
                                                                               path):
    users = _rows(edfi, "users")
    reply = edfi.as_app(scopes=WRITER)("POST", "/ed-fi/students", json=body)
    problem = reply.get_json()
    assert reply.status_code == 400
    assert problem["type"] == "urn:ed-fi:api:bad-request:data-validation-failed"
    assert path in problem["validationErrors"]
    assert _rows(edfi, "users") == users


def test_an_association_to_a_missing_school_is_an_unresolved_reference(edfi):
    call = edfi.as_app(scopes=WRITER)
    call("POST", "/ed-fi/students", json=STUDENT)
    roles = _rows(edfi, "roles")
    reply = call("POST", "/ed-fi/studentSchoolAssociations", json=ENROLMENT)
    assert reply.status_code == 409
    assert reply.get_json()["type"] == "urn:ed-fi:api:data-conflict:unresolved-reference"
    assert "schoolId=255901107" in reply.get_json()["detail"]
    assert _rows(edfi, "roles") == roles


def test_an_unknown_descriptor_is_refused(edfi):
    call = edfi.as_app(scopes=WRITER)
    call("POST", "/ed-fi/schools", json=SCHOOL)
    call("POST", "/ed-fi/students", json=STUDENT)
    bad = {**ENROLMENT, "entryGradeLevelDescriptor": "uri://ed-fi.org/GradeLevelDescriptor#Tenth"}
    reply = call("POST", "/ed-fi/studentSchoolAssociations", json=bad)
    assert reply.status_code == 400
    assert "$.entryGradeLevelDescriptor" in reply.get_json()["validationErrors"]


def test_writing_needs_a_write_scope_and_a_school_within_the_agreement(edfi):
    reader = edfi.as_app()
    assert reader("POST", "/ed-fi/schools", json=SCHOOL).status_code == 403
    narrow = edfi.as_app(scopes=("edfi.readonly", "edfi.write.students"), name="students only")
    assert narrow("POST", "/ed-fi/schools", json=SCHOOL).status_code == 403
    assert narrow("POST", "/ed-fi/students", json=STUDENT).status_code == 201
    limited = edfi.as_app(scopes=WRITER, schools=["sch-a"], name="alder writer")
    assert limited("POST", "/ed-fi/schools", json=SCHOOL).status_code == 403


def test_an_app_cannot_delete_what_the_district_sis_supplied(edfi):
    call = edfi.as_app(scopes=WRITER)
    school = call.get("/ed-fi/schools?limit=1").get_json()[0]
    reply = call("DELETE", f"/ed-fi/schools/{school['id']}")
    assert reply.status_code == 403
    assert call.get(f"/ed-fi/schools/{school['id']}").status_code == 200

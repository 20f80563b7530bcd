"""Natural-key changes by PUT (Ed-Fi's cascading key updates) and `/keyChanges`: the item keeps
its id and what references it, the old and new keys are listed once per item, resources whose
keys cannot change say so, and a key another item holds is refused."""

from __future__ import annotations

from sqlalchemy import select

from adapters.edfi_mapping.identity import sourced_id_for
from gateway.model import DisclosedStudent, Disclosure
from tests.disclosure_log import settle
from tests.edfi.bodies import ENROLMENT, SCHOOL, STUDENT
from tests.edfi.conftest import conforms

WRITER = ("edfi.readonly", "edfi.write")
KEY = {"studentUniqueId": "604822", "schoolId": 255901107}


def _enrolled(call) -> str:  # noqa: ANN001
    for resource, body in (("schools", SCHOOL), ("students", STUDENT),
                           ("studentSchoolAssociations", ENROLMENT)):
        reply = call("POST", f"/ed-fi/{resource}", json=body)
        assert reply.status_code == 201, reply.get_json()
    return reply.headers["Location"].split("localhost")[1]


def _window(call) -> str:  # noqa: ANN001
    path = "/changeQueries/v1/availableChangeVersions"
    newest = conforms("GET", path, call.get(path))
    return f"minChangeVersion={newest['newestChangeVersion'] + 1}"


def test_a_put_that_moves_the_entry_date_keeps_the_id_and_lists_the_key_change(edfi):
    call = edfi.as_app(scopes=WRITER)
    location = _enrolled(call)
    window = _window(call)

    moved = call("PUT", location, json={**ENROLMENT, "entryDate": "2026-08-24"})

    assert moved.status_code == 204, moved.get_json()
    item = conforms("GET", location, call.get(location))
    assert item["entryDate"] == "2026-08-24"
    changes = call.get(f"/ed-fi/studentSchoolAssociations/keyChanges?{window}")
    body = conforms("GET", "/ed-fi/studentSchoolAssociations/keyChanges", changes)
    assert body == [{"id": item["id"], "changeVersion": body[0]["changeVersion"],
                     "oldKeyValues": {**KEY, "entryDate": "2026-08-20"},
                     "newKeyValues": {**KEY, "entryDate": "2026-08-24"}}]
    assert call.get(f"/ed-fi/studentSchoolAssociations/deletes?{window}").get_json() == []
    # the new key finds the same item: a POST with it updates, it does not create
    again = call("POST", "/ed-fi/studentSchoolAssociations",
                 json={**ENROLMENT, "entryDate": "2026-08-24"})
    assert again.status_code == 200
    assert again.headers["Location"].endswith(item["id"])


def test_two_changes_of_one_item_are_one_entry_from_the_first_key_to_the_last(edfi):
    call = edfi.as_app(scopes=WRITER)
    location = _enrolled(call)
    window = _window(call)
    for day in ("2026-08-24", "2026-08-31"):
        assert call("PUT", location, json={**ENROLMENT, "entryDate": day}).status_code == 204

    [entry] = call.get(f"/ed-fi/studentSchoolAssociations/keyChanges?{window}").get_json()

    assert entry["oldKeyValues"]["entryDate"] == "2026-08-20"
    assert entry["newKeyValues"]["entryDate"] == "2026-08-31"
    assert entry["changeVersion"] == int(call.get(location).headers["ETag"].strip('"'))
    later = f"minChangeVersion={entry['changeVersion'] + 1}"
    assert call.get(f"/ed-fi/studentSchoolAssociations/keyChanges?{later}").get_json() == []


def test_a_key_that_cannot_change_is_refused_and_nothing_is_logged(edfi):
    call = edfi.as_app(scopes=WRITER)
    _enrolled(call)
    location = call("POST", "/ed-fi/students", json=STUDENT).headers["Location"]
    window = _window(call)

    renamed = call("PUT", location, json={**STUDENT, "studentUniqueId": "999999"})

    body = conforms("PUT", location.split("localhost")[1], renamed)
    assert renamed.status_code == 400
    assert body["type"] == ("urn:ed-fi:api:bad-request:data-validation-failed:"
                            "key-change-not-supported")
    assert call.get(location).get_json()["studentUniqueId"] == "604822"
    assert call.get(f"/ed-fi/students/keyChanges?{window}").get_json() == []


def test_a_new_key_another_item_holds_is_a_non_unique_identity_conflict(edfi):
    call = edfi.as_app(scopes=WRITER)
    first = _enrolled(call)
    second = call("POST", "/ed-fi/studentSchoolAssociations",
                  json={**ENROLMENT, "entryDate": "2027-01-04"})
    assert second.status_code == 201

    clash = call("PUT", first, json={**ENROLMENT, "entryDate": "2027-01-04"})

    assert clash.status_code == 409
    assert clash.get_json()["type"] == "urn:ed-fi:api:data-conflict:non-unique-identity"
    assert call.get(first).get_json()["entryDate"] == "2026-08-20"


def test_key_changes_go_through_the_apps_scope(edfi):
    writer = edfi.as_app(scopes=WRITER)
    location = _enrolled(writer)
    assert writer("PUT", location, json={**ENROLMENT, "entryDate": "2026-08-24"}
                  ).status_code == 204
    elsewhere = edfi.as_app(schools=["sch-b"])

    assert elsewhere.get("/ed-fi/studentSchoolAssociations/keyChanges").get_json() == []
    assert len(writer.get("/ed-fi/studentSchoolAssociations/keyChanges").get_json()) == 1


def test_reading_key_changes_and_deletes_is_a_logged_disclosure_of_the_student(edfi):
    """Their key values name the student (studentUniqueId)."""
    call = edfi.as_app(scopes=WRITER)
    location = _enrolled(call)
    assert call("PUT", location, json={**ENROLMENT, "entryDate": "2026-08-24"}
                ).status_code == 204
    assert call("DELETE", location).status_code == 204
    settle(edfi.app)
    with edfi.engine.connect() as conn:
        before = len(conn.execute(select(Disclosure.__table__.c.id)).all())

    call.get("/ed-fi/studentSchoolAssociations/keyChanges")
    call.get("/ed-fi/studentSchoolAssociations/deletes")
    settle(edfi.app)

    with edfi.engine.connect() as conn:
        entries = conn.execute(select(Disclosure.__table__)
                               .order_by(Disclosure.__table__.c.id)).all()[before:]
        students = conn.execute(select(DisclosedStudent.__table__.c.student_id)
                                .where(DisclosedStudent.__table__.c.disclosure_id.in_(
                                    [e.id for e in entries]))).scalars().all()
    assert [e.endpoint.split("?")[0].rsplit("/", 1)[1] for e in entries] == [
        "keyChanges", "deletes"]
    student = sourced_id_for("students", {"studentUniqueId": "604822"})
    assert students == [student, student]


def test_descriptor_values_never_change_key_so_their_key_changes_are_empty(edfi):
    """A descriptor's key is its URI (namespace and code value): a PUT cannot change it."""
    call = edfi.as_app(scopes=WRITER, descriptor_namespaces=["uri://district.example"])
    path = "/ed-fi/gradeLevelDescriptors/keyChanges"

    posted = call("POST", "/ed-fi/gradeLevelDescriptors", json={
        "namespace": "uri://district.example/GradeLevelDescriptor", "codeValue": "Thirteenth",
        "shortDescription": "Thirteenth"})
    renamed = call("PUT", posted.headers["Location"], json={
        "namespace": "uri://district.example/GradeLevelDescriptor", "codeValue": "Year 13",
        "shortDescription": "Year 13"})
    assert renamed.status_code == 400
    assert renamed.get_json()["type"] == ("urn:ed-fi:api:bad-request:data-validation-failed:"
                                          "key-change-not-supported")

    reply = call.get(f"{path}?minChangeVersion=0")

    assert reply.status_code == 200
    assert conforms("GET", path, reply) == []
    assert call.get(f"{path}?minChangeVersion=-1").status_code == 400

"""A write never widens what an app may read (issue 11 section 1): a write may reference only
people and records the app may already see, or rows it wrote itself; what it may not see
answers exactly as what does not exist."""

from __future__ import annotations

from typing import Any

from gateway.policy.optouts import add_optout
from tests.edfi.conftest import conforms

WRITER = ("edfi.readonly", "edfi.write")
ROSTER = "/ims/oneroster/rostering/v1p2"


def _alder(edfi):  # noqa: ANN001, ANN202
    """An app scoped to school A (sch-a) that writes Ed-Fi and reads OneRoster."""
    return edfi.as_app(scopes=(*WRITER, "roster.readonly"), schools=["sch-a"],
                       name="alder writer")


def _school_id(call) -> int:  # noqa: ANN001
    return call.get("/ed-fi/schools").get_json()[0]["schoolId"]


def _enrol(call, student: str) -> Any:  # noqa: ANN001, ANN401
    return call("POST", "/ed-fi/studentSchoolAssociations", json={
        "studentReference": {"studentUniqueId": student},
        "schoolReference": {"schoolId": _school_id(call)},
        "entryDate": "2026-09-01",
        "entryGradeLevelDescriptor": "uri://ed-fi.org/GradeLevelDescriptor#Ninth grade"})


def _same_modulo_id(one: dict[str, Any], other: dict[str, Any], ids: tuple[str, str]) -> None:
    def bare(problem: dict[str, Any], the_id: str) -> dict[str, Any]:
        return {k: str(v).replace(the_id, "<id>") for k, v in problem.items()
                if k != "correlationId"}
    assert bare(one, ids[0]) == bare(other, ids[1])


def test_enrolling_a_student_of_another_school_answers_as_an_unknown_student(edfi):
    call = _alder(edfi)
    refused, unknown = _enrol(call, "stu-b1"), _enrol(call, "stu-zz9")
    assert refused.status_code == unknown.status_code == 409
    problem = conforms("POST", "/ed-fi/studentSchoolAssociations", refused)
    assert problem["type"] == "urn:ed-fi:api:data-conflict:unresolved-reference"
    _same_modulo_id(problem, unknown.get_json(), ("stu-b1", "stu-zz9"))
    # and the attack did not make the student readable
    assert call.get(f"{ROSTER}/users/stu-b1").status_code == 404


def test_enrolling_an_opted_out_student_answers_as_an_unknown_student(edfi):
    add_optout(edfi.engine, "stu-a1", None)
    call = _alder(edfi)
    refused, unknown = _enrol(call, "stu-a1"), _enrol(call, "stu-zz9")
    assert refused.status_code == unknown.status_code == 409
    _same_modulo_id(refused.get_json(), unknown.get_json(), ("stu-a1", "stu-zz9"))
    assert call.get(f"{ROSTER}/users/stu-a1").status_code == 404


def test_the_app_still_enrols_a_student_it_sees_or_created(edfi):
    call = _alder(edfi)
    assert _enrol(call, "stu-a2").status_code == 201
    made = call("POST", "/ed-fi/students", json={
        "studentUniqueId": "new-1", "firstName": "Nia", "lastSurname": "New",
        "birthDate": "2012-04-01"})
    assert made.status_code == 201, made.get_json()
    assert _enrol(call, "new-1").status_code == 201


def _post_student(call, unique_id: str, first: str = "Mallory") -> Any:  # noqa: ANN001, ANN401
    return call("POST", "/ed-fi/students", json={
        "studentUniqueId": unique_id, "firstName": first, "lastSurname": "Probe",
        "birthDate": "2012-01-01"})


def _same_answer(one, other) -> None:  # noqa: ANN001
    """Same status, same body, same headers but for the item's own id and version."""
    assert one.status_code == other.status_code
    assert one.get_data() == other.get_data()
    assert sorted(one.headers.keys()) == sorted(other.headers.keys())


def _first_names(edfi) -> dict[str, str]:  # noqa: ANN001
    """studentUniqueId -> firstName, as a district-wide app granted everything reads them."""
    reader = edfi.as_app(name="district reader")
    return {s["studentUniqueId"]: s["firstName"]
            for s in reader.get("/ed-fi/students?limit=500").get_json()}


def test_posting_a_student_the_app_may_not_see_answers_as_posting_an_unknown_one(edfi):
    """Issue 11: a POST naming an opted-out or out-of-scope studentUniqueId answered 403
    "supplied by another source"; it now answers exactly as for an id nobody holds, and the
    student the app may not see is untouched."""
    add_optout(edfi.engine, "stu-a1", None)
    call = _alder(edfi)
    unknown = _post_student(call, "stu-zz9")
    assert unknown.status_code == 201, unknown.get_json()
    for hidden in ("stu-a1", "stu-b1"):  # opted out at its school; at another school
        _same_answer(_post_student(call, hidden), _post_student(call, f"stu-zz{hidden[-2:]}"))
    names = _first_names(edfi)
    assert names["stu-b1"] == "Ana"  # untouched (stu-a1 is opted out of every app)
    assert call.get(f"{ROSTER}/users/stu-b1").status_code == 404


def test_a_key_another_app_created_out_of_sight_is_answered_as_unknown_too(edfi):
    """The key's own sourcedId may already be held (another app posted the same
    studentUniqueId, unseen by this one): the write still answers as for a new key, on an
    item of its own, and the other app's student keeps its data."""
    district = edfi.as_app(scopes=WRITER, name="district writer")
    dora = _post_student(district, "dup-1", "Dora")
    assert dora.status_code == 201
    call = _alder(edfi)
    _same_answer(_post_student(call, "dup-1"), _post_student(call, "dup-2"))
    theirs = district.get(dora.headers["Location"].split("/data/v3")[1]).get_json()
    assert theirs["firstName"] == "Dora" and theirs["lastSurname"] == "Probe"
    # the school app's own item is a second person with that id, as a new key would be
    both = district.get("/ed-fi/students?studentUniqueId=dup-1").get_json()
    assert sorted(s["firstName"] for s in both) == ["Dora", "Mallory"]

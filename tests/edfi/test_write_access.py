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

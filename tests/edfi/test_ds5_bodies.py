"""Data Standard 5.0 fidelity on the Ed-Fi wire: a full DS 5.0 body (every property, official
descriptor values) of every served resource is accepted and validated, what is kept reads back,
required properties are enforced at their JSON path, and every served response (rows from
OneRoster as well as from Ed-Fi writes) validates against the official DS 5.0 resources
OpenAPI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from adapters.edfi_mapping.bodies import BodyShape, bodies
from adapters.edfi_mapping.resources import RESOURCES
from conformance.openapi import OpenApiDocument
from gateway.edfi.body import check_body
from gateway.edfi.problems import EdFiProblem
from tests.edfi.bodies import ENROLMENT, SCHOOL, STUDENT, descriptor
from tests.edfi.conftest import DATA, conforms
from tests.standards import official_edfi_resources

WRITER = ("edfi.readonly", "edfi.write")
FULL: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "fixtures" / "ds5_full_bodies.json").read_text(encoding="utf-8")
)["bodies"]


def _post_all(call) -> dict[str, str]:  # noqa: ANN001
    """Every full body, in dependency order; the path of each created item."""
    created = {}
    for entry in FULL:
        reply = call("POST", f"/ed-fi/{entry['resource']}", json=entry["body"])
        assert reply.status_code == 201, (entry["resource"], reply.get_json())
        created[entry["resource"]] = reply.headers["Location"].split("localhost", 1)[1]
    return created


def _missing(shape: BodyShape, body: dict[str, Any], where: str) -> list[str]:
    table, gaps = bodies(), []
    for prop in shape.props:
        value = body.get(prop.name)
        if value in (None, [], {}):
            gaps.append(f"{where}.{prop.name}")
        elif prop.kind == "list":
            gaps += _missing(table.nested(prop), value[0], f"{where}.{prop.name}[0]")
        elif prop.kind in ("reference", "object"):
            gaps += _missing(table.nested(prop), value, f"{where}.{prop.name}")
    return gaps


def test_the_fixture_carries_every_ds5_property_of_every_served_resource():
    assert {e["resource"] for e in FULL} == set(RESOURCES)
    for entry in FULL:
        shape = bodies().resources[entry["resource"]]
        assert _missing(shape, entry["body"], entry["resource"]) == []


def _unlinked(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _unlinked(v) for k, v in value.items() if k != "link"}
    if isinstance(value, list):
        return [_unlinked(v) for v in value]
    return value


def test_every_full_ds5_body_is_accepted_and_what_is_kept_reads_back(edfi):
    call = edfi.as_app(scopes=WRITER)
    created = _post_all(call)
    for entry in FULL:
        resource, body = entry["resource"], entry["body"]
        shown = conforms("GET", created[resource], call.get(created[resource]))
        served = set(shown) - {"id", "_etag", "_lastModifiedDate"}
        assert served <= {p.name for p in RESOURCES[resource].props}, resource
        for prop in RESOURCES[resource].props:
            if prop.sources and not prop.fallback:  # kept as given, no derivation
                assert _unlinked(shown.get(prop.name)) == body[prop.name], (resource, prop.name)
    school = call.get(created["schools"]).get_json()
    assert school["gradeLevels"] == FULL[1]["body"]["gradeLevels"]
    enrolment = call.get(created["studentSchoolAssociations"]).get_json()
    assert enrolment["entryGradeLevelDescriptor"] == descriptor("GradeLevelDescriptor",
                                                                "Eighth grade")
    section = call.get(created["sections"]).get_json()
    assert _unlinked(section["classPeriods"]) == [
        {"classPeriodReference": {"classPeriodName": "P1", "schoolId": 255901107}}]
    assert "addresses" not in school and "webSite" not in school  # dropped by design
    student = call.get(created["students"]).get_json()
    assert "personalTitlePrefix" not in student and "otherNames" not in student


def test_a_student_without_a_birth_date_is_refused_at_its_json_path(edfi):
    call = edfi.as_app(scopes=WRITER)
    reply = call("POST", "/ed-fi/students", json={k: v for k, v in STUDENT.items()
                                                   if k != "birthDate"})
    problem = conforms("POST", "/ed-fi/students", reply)
    assert reply.status_code == 400
    assert problem["validationErrors"] == {"$.birthDate": ["birthDate is required"]}
    assert call.get("/ed-fi/students?studentUniqueId=604822").get_json() == []


@pytest.mark.parametrize(("resource", "body", "path", "reason"), [
    ("schools", {k: v for k, v in SCHOOL.items() if k != "gradeLevels"}, "$.gradeLevels",
     "gradeLevels is required"),
    ("schools", {**SCHOOL, "gradeLevels": [{}]}, "$.gradeLevels[0].gradeLevelDescriptor",
     "gradeLevelDescriptor is required"),
    ("schools", {**SCHOOL, "webSite": "x"}, "$.webSite", "must be at least 5 characters"),
    ("schools", {**SCHOOL, "colour": "blue"}, "$.colour", "colour is not a property"),
    ("schools", {**SCHOOL, "addresses": [{"city": "Grand Bend"}]},
     "$.addresses[0].addressTypeDescriptor", "addressTypeDescriptor is required"),
    ("studentSchoolAssociations", {**ENROLMENT, "fullTimeEquivalency": -1},
     "$.fullTimeEquivalency", "must be at least 0"),
    ("studentSchoolAssociations", {**ENROLMENT, "primarySchool": "yes"}, "$.primarySchool",
     "must be true or false"),
    ("studentSchoolAssociations", {**ENROLMENT, "entryTypeDescriptor": "uri://x#"},
     "$.entryTypeDescriptor", "is not a descriptor URI"),
    ("studentSchoolAssociations", {**ENROLMENT, "exitWithdrawDate": "2027-02-30"},
     "$.exitWithdrawDate", "is not a calendar date"),
    ("students", {**STUDENT, "personalTitlePrefix": "M" * 31}, "$.personalTitlePrefix",
     "must be at most 30 characters"),
])
def test_a_ds5_body_breaking_its_schema_is_refused_at_the_json_path(resource, body, path,
                                                                    reason):
    with pytest.raises(EdFiProblem) as refused:
        check_body(RESOURCES[resource], body)
    assert refused.value.kind == "bad-request:data-validation-failed"
    assert any(reason in message for message in refused.value.errors[path]), refused.value.errors


def test_a_valid_ds5_body_passes_the_check_unchanged():
    for entry in FULL:
        assert check_body(RESOURCES[entry["resource"]], entry["body"]) == entry["body"]


# -- the official DS 5.0 document --------------------------------------------------------------
@pytest.fixture(scope="module")
def official() -> OpenApiDocument:
    return OpenApiDocument(official_edfi_resources(), source="Ed-Fi resources DS 5.0")


def _official_problems(official: OpenApiDocument, path: str, reply) -> list[str]:  # noqa: ANN001
    relative = path.removeprefix(DATA).split("?")[0]
    relative = relative if relative.startswith("/ed-fi") else "/ed-fi" + relative
    found = official.validate_response("GET", relative, reply.status_code, reply.get_json())
    return [f"{path} {p}" for p in found[:5]]


def test_every_served_resource_validates_against_the_official_ds5_openapi(edfi, official):
    call = edfi.as_app(scopes=WRITER)
    _post_all(call)  # Ed-Fi rows beside the district's OneRoster ones
    problems: list[str] = []
    for resource in sorted(r for r in RESOURCES if r != "parents"):
        path = f"/ed-fi/{resource}?limit=500"
        reply = call.get(path)
        assert reply.status_code == 200 and reply.get_json(), resource
        problems += _official_problems(official, path, reply)
        first = f"/ed-fi/{resource}/{reply.get_json()[0]['id']}"
        problems += _official_problems(official, first, call.get(first))
    assert problems == []


def test_the_official_check_notices_a_school_without_grade_levels(edfi, official):
    reply = edfi.as_app().get("/ed-fi/schools")
    broken = [{k: v for k, v in s.items() if k != "gradeLevels"} for s in reply.get_json()]
    found = official.validate_response("GET", "/ed-fi/schools", 200, broken)
    assert found and all("gradeLevels" in p.message for p in found)

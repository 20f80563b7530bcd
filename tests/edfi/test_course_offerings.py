"""Course offerings are served one per natural key (localCourseCode, school, session), however
many classes show that key: the sections of one offering from an Ed-Fi source, or classes of a
OneRoster source sharing a class code in a term. The first class by sourcedId stands for the
offering; its sections link to it."""

from __future__ import annotations

from typing import Any

from adapters.records import FamilyMode, Record
from gateway.config import SourceConfig
from gateway.sync.runner import run_sync
from tests.edfi.bodies import SCHOOL_ID, course, school, session
from tests.edfi.conftest import conforms

WRITER = ("edfi.readonly", "edfi.write")
SESSION_KEY = {"schoolId": SCHOOL_ID, "schoolYear": 2027, "sessionName": "Fall 2026"}
OFFERING_KEY = {"localCourseCode": "MATH8-01", **SESSION_KEY}
OFFERING = {"localCourseCode": "MATH8-01", "schoolReference": {"schoolId": SCHOOL_ID},
            "sessionReference": SESSION_KEY,
            "courseReference": {"courseCode": "MATH8", "educationOrganizationId": SCHOOL_ID},
            "localCourseTitle": "Math 8, period 1"}


def _section(identifier: str) -> dict[str, Any]:
    return {"sectionIdentifier": identifier, "courseOfferingReference": OFFERING_KEY,
            "sectionName": f"Math 8 {identifier[-1]}"}


def test_the_sections_of_one_offering_show_one_offering_and_link_to_it(edfi):
    call = edfi.as_app(scopes=WRITER)
    for resource, body in (("schools", school()), ("sessions", session()),
                           ("courses", course()), ("courseOfferings", OFFERING),
                           ("sections", _section("MATH8-01-A")),
                           ("sections", _section("MATH8-01-B")),
                           ("sections", _section("MATH8-01-C"))):
        reply = call("POST", f"/ed-fi/{resource}", json=body)
        assert reply.status_code == 201, (resource, reply.get_json())
    path = f"/ed-fi/courseOfferings?schoolId={SCHOOL_ID}&totalCount=true"
    reply = call.get(path)
    offerings = conforms("GET", path, reply)
    assert [o["localCourseCode"] for o in offerings] == ["MATH8-01"]
    assert reply.headers["Total-Count"] == "1"
    assert offerings[0]["localCourseTitle"] == "Math 8, period 1"
    sections = call.get(f"/ed-fi/sections?schoolId={SCHOOL_ID}").get_json()
    assert len(sections) == 3
    links = {s["courseOfferingReference"]["link"]["href"] for s in sections}
    assert links == {f"/ed-fi/courseOfferings/{offerings[0]['id']}"}
    assert call.get(links.pop()).status_code == 200


def _classes(edfi, *classes: tuple[str, str | None]) -> None:  # noqa: ANN001
    """Classes of school A in the fall term, from a second OneRoster source."""
    events: list[Any] = [FamilyMode("classes", "delta", "classes.csv")]
    for line, (sid, code) in enumerate(classes, start=2):
        fields = {"title": f"Algebra {sid}", "classType": "scheduled", "course": "crs-a",
                  "school": "sch-a", "terms": ["fall"]}
        if code:
            fields["classCode"] = code
        events.append(Record("classes", sid, fields, file="classes.csv", line=line,
                             status="active"))
    report = run_sync(edfi.engine, SourceConfig(name="sis2", adapter="test"), iter(events),
                      adapter_name="test")
    assert report.state == "applied", report.issues[:3]


def test_oneroster_classes_sharing_a_class_code_in_a_term_are_one_offering(edfi):
    _classes(edfi, ("alg-2", "ALG-1"), ("alg-1", "ALG-1"), ("alg-3", "ALG-2"), ("geo-1", None))
    call = edfi.as_app()
    path = "/ed-fi/courseOfferings?limit=100&totalCount=true"
    reply = call.get(path)
    codes = sorted(o["localCourseCode"] for o in conforms("GET", path, reply))
    # cls-a and geo-1 have no class code: their sourcedIds are their codes
    assert codes == ["ALG-1", "ALG-2", "cls-a", "cls-b", "geo-1"]
    assert reply.headers["Total-Count"] == "5"
    alg = call.get("/ed-fi/courseOfferings?localCourseCode=ALG-1").get_json()
    sections = call.get("/ed-fi/sections?sectionIdentifier=ALG-1").get_json()
    assert len(alg) == 1 and len(sections) == 2
    assert {s["courseOfferingReference"]["link"]["href"] for s in sections} == {
        f"/ed-fi/courseOfferings/{alg[0]['id']}"}

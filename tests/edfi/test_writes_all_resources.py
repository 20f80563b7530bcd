"""Ed-Fi writes for every newly writable resource (POST creates 201, reads back by Location,
re-POST updates 200, DELETE 204 then 404), unresolved references and agreement bounds, and
studentContactAssociations: served as one contact role per student, hidden with the student."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from adapters.edfi_mapping.resources import RESOURCES, WRITABLE
from adapters.edfi_mapping.to_canonical import _BUILDERS
from adapters.records import FamilyMode, Record
from gateway.auth.registry import Credentials
from gateway.auth.scopes import EDFI_NAMES
from gateway.config import SourceConfig
from gateway.model import ROSTER_TABLES, DisclosedStudent
from gateway.policy.optouts import add_optout
from gateway.sync.runner import run_sync
from tests.disclosure_log import settle
from tests.edfi.bodies import SCHOOL_ID, course, enrolment, school, session, student
from tests.edfi.conftest import Caller, conforms
from tests.store_snapshot import StoreSnapshot, restore_snapshot, take_snapshot

WRITER = ("edfi.readonly", "edfi.write")
ED = "uri://ed-fi.org/"
SCHOOL = school()
SESSION_KEY = {"schoolId": SCHOOL_ID, "schoolYear": 2027, "sessionName": "Fall 2026"}
OFFERING_KEY = {"localCourseCode": "MATH8-01", **SESSION_KEY}
SECTION_KEY = {**OFFERING_KEY, "sectionIdentifier": "MATH8-01-A"}
STUDENT = {"studentUniqueId": "604822"}
STAFF = {"staffUniqueId": "207219"}
CONTACT = {"contactUniqueId": "C-604822"}
EDORG = {"educationOrganizationId": SCHOOL_ID}

# The writes every case builds on, in dependency order.
GROUND: list[tuple[str, dict[str, Any]]] = [
    ("schools", SCHOOL),
    ("sessions", session()),
    ("courses", course()),
    ("students", student()),
    ("staffs", {**STAFF, "firstName": "Ana", "lastSurname": "Reyes"}),
    ("studentSchoolAssociations", enrolment()),
]
OFFERING = {"localCourseCode": "MATH8-01", "schoolReference": {"schoolId": SCHOOL_ID},
            "sessionReference": SESSION_KEY,
            "courseReference": {"courseCode": "MATH8", "educationOrganizationId": SCHOOL_ID},
            "localCourseTitle": "Math 8, first"}
SECTION = {"sectionIdentifier": "MATH8-01-A", "courseOfferingReference": OFFERING_KEY,
           "sectionName": "Math 8 A", "classPeriods": [
               {"classPeriodReference": {"classPeriodName": "P1", "schoolId": SCHOOL_ID}}]}
CONTACT_BODY = {**CONTACT, "firstName": "Mary", "lastSurname": "Woods", "electronicMails": [
    {"electronicMailAddress": "mary@example.org",
     "electronicMailTypeDescriptor": ED + "ElectronicMailTypeDescriptor#Home/Personal"}]}

# resource -> (prerequisites beyond GROUND, body, a change for the re-POST, the field it shows)
CASES: dict[str, tuple[list[tuple[str, dict[str, Any]]], dict[str, Any], dict[str, Any], str]] = {
    "gradingPeriods": ([], {
        "gradingPeriodDescriptor": ED + "GradingPeriodDescriptor#First Quarter",
        "gradingPeriodName": "First Quarter", "schoolReference": {"schoolId": SCHOOL_ID},
        "schoolYearTypeReference": {"schoolYear": 2027}, "beginDate": "2026-08-20",
        "endDate": "2026-10-20", "totalInstructionalDays": 44}, {"endDate": "2026-10-23"},
        "endDate"),
    "courseOfferings": ([], OFFERING, {"localCourseTitle": "Math 8, renamed"},
                        "localCourseTitle"),
    "sections": ([("courseOfferings", OFFERING)], SECTION, {"sectionName": "Math 8 Alpha"},
                 "sectionName"),
    "contacts": ([], CONTACT_BODY, {"firstName": "Marie"}, "firstName"),
    "parents": ([], {"parentUniqueId": "P-1", "firstName": "Pat", "lastSurname": "Woods"},
                {"lastSurname": "Wood"}, "lastSurname"),
    "studentEducationOrganizationAssociations": ([], {
        "studentReference": STUDENT, "educationOrganizationReference": EDORG,
        "sexDescriptor": ED + "SexDescriptor#Female", "hispanicLatinoEthnicity": False,
        "races": [{"raceDescriptor": ED + "RaceDescriptor#White"}]},
        {"sexDescriptor": ED + "SexDescriptor#Male"}, "sexDescriptor"),
    "staffEducationOrganizationAssignmentAssociations": ([], {
        "staffReference": STAFF, "educationOrganizationReference": EDORG,
        "beginDate": "2026-08-01",
        "staffClassificationDescriptor": ED + "StaffClassificationDescriptor#Teacher"},
        {"endDate": "2027-06-05"}, "endDate"),
    "studentSectionAssociations": ([("courseOfferings", OFFERING), ("sections", SECTION)], {
        "studentReference": STUDENT, "sectionReference": SECTION_KEY,
        "beginDate": "2026-08-20"}, {"endDate": "2026-12-18"}, "endDate"),
    "staffSectionAssociations": ([("courseOfferings", OFFERING), ("sections", SECTION)], {
        "staffReference": STAFF, "sectionReference": SECTION_KEY, "beginDate": "2026-08-20",
        "classroomPositionDescriptor": ED + "ClassroomPositionDescriptor#Teacher of Record"},
        {"endDate": "2026-12-18"}, "endDate"),
    "studentContactAssociations": ([("contacts", CONTACT_BODY)], {
        "studentReference": STUDENT, "contactReference": CONTACT,
        "relationDescriptor": ED + "RelationDescriptor#Parent"},
        {"relationDescriptor": ED + "RelationDescriptor#Guardian"}, "relationDescriptor"),
}


def _path(location: str) -> str:
    return location.split("localhost", 1)[1]


def _post(call, resource: str, body: dict[str, Any], status: int = 201):  # noqa: ANN001, ANN202
    reply = call("POST", f"/ed-fi/{resource}", json=body)
    assert reply.status_code == status, (resource, reply.get_json())
    return reply


def _post_each(call, writes: list[tuple[str, dict[str, Any]]]) -> None:  # noqa: ANN001
    for resource, body in writes:
        _post(call, resource, body)


@pytest.fixture(scope="module")
def ground_snapshots() -> dict[str, tuple[StoreSnapshot, Credentials]]:
    return {}


@pytest.fixture
def grounded(edfi, ground_snapshots) -> Caller:  # noqa: ANN001
    """A writer that has written GROUND into the district, through the API. The first test
    on each backend writes it; the others start from a snapshot of the store it left, and
    sign in again as the same app."""
    backend = edfi.engine.dialect.name
    if backend in ground_snapshots:
        snapshot, creds = ground_snapshots[backend]
        restore_snapshot(edfi.engine, snapshot)
        return edfi.signed_in(creds)
    creds = edfi.register(scopes=WRITER)
    call = edfi.signed_in(creds)
    _post_each(call, GROUND)
    ground_snapshots[backend] = (take_snapshot(edfi.engine), creds)
    return call


def test_the_writable_list_is_one_list_for_routes_scopes_and_builders():
    assert set(CASES) | {"localEducationAgencies", "schools", "sessions", "courses", "students",
                         "staffs", "studentSchoolAssociations"} == WRITABLE
    assert WRITABLE <= set(_BUILDERS)
    assert {f"edfi.write.{r}" for r in WRITABLE} <= set(EDFI_NAMES)
    assert "studentParentAssociations" not in RESOURCES  # DS 4 name: a source-only alias


@pytest.mark.parametrize("resource", sorted(CASES))
def test_a_newly_writable_resource_is_created_read_back_updated_and_deleted(grounded,
                                                                           resource):
    call = grounded
    extra, body, change, field = CASES[resource]
    _post_each(call, extra)
    created = _post(call, resource, body)
    location = _path(created.headers["Location"])
    read = call.get(location)
    item = conforms("GET", location, read)
    assert read.headers["ETag"] == created.headers["ETag"]
    assert item["id"] == location.rsplit("/", 1)[1]
    updated = _post(call, resource, {**body, **change}, status=200)
    assert _path(updated.headers["Location"]) == location
    assert conforms("GET", location, call.get(location))[field] == change[field]
    deleted = call("DELETE", location)
    assert deleted.status_code == 204
    after = call.get(location)
    if resource == "studentEducationOrganizationAssociations":
        # the role stays (it is the school association's); DELETE cleared what it carried
        shown = conforms("GET", location, after)
        assert "sexDescriptor" not in shown and "races" not in shown
        student = call.get("/ed-fi/students?studentUniqueId=604822").get_json()[0]
        assert student["birthDate"] == "2012-05-14"
    else:
        assert conforms("GET", location, after) and after.status_code == 404


def test_a_section_posted_for_an_offering_is_that_offerings_class_not_a_second_one(grounded):
    call = grounded
    offering = _path(_post(call, "courseOfferings", OFFERING).headers["Location"])
    section = _path(_post(call, "sections", SECTION).headers["Location"])
    offerings = call.get(f"/ed-fi/courseOfferings?schoolId={SCHOOL_ID}").get_json()
    assert [o["localCourseCode"] for o in offerings] == ["MATH8-01"]
    assert call.get(offering).get_json()["courseReference"]["courseCode"] == "MATH8"
    assert call.get(section).get_json()["classPeriods"] == [
        {"classPeriodReference": {"classPeriodName": "P1", "schoolId": SCHOOL_ID}}]
    _post(call, "courseOfferings", {**OFFERING, "localCourseTitle": "Again"}, status=200)
    assert call.get(section).get_json()["sectionIdentifier"] == "MATH8-01-A"


def test_an_association_and_the_student_share_demographics_without_erasing_each_other(
        grounded):
    call = grounded
    body = CASES["studentEducationOrganizationAssociations"][1]
    _post(call, "studentEducationOrganizationAssociations", body)
    _post(call, "students", student(), status=200)
    seoa = call.get("/ed-fi/studentEducationOrganizationAssociations?studentUniqueId=604822")
    assert seoa.get_json()[0]["sexDescriptor"] == ED + "SexDescriptor#Female"
    shown = call.get("/ed-fi/students?studentUniqueId=604822").get_json()[0]
    assert shown["birthDate"] == "2012-05-14"


# resource -> (prerequisites beyond GROUND, a body whose reference is missing, its JSON path)
DANGLING: dict[str, tuple[list[tuple[str, dict[str, Any]]], dict[str, Any], str]] = {
    "gradingPeriods": ([], {**CASES["gradingPeriods"][1], "schoolReference": {"schoolId": 9}},
                       "$.schoolReference"),
    "courseOfferings": ([], {**OFFERING, "courseReference": {
        "courseCode": "NOPE", "educationOrganizationId": SCHOOL_ID}}, "$.courseReference"),
    "sections": ([], SECTION, "$.courseOfferingReference"),
    "studentEducationOrganizationAssociations": ([], {
        "studentReference": STUDENT, "educationOrganizationReference": {
            "educationOrganizationId": 9}}, "$.educationOrganizationReference"),
    "staffEducationOrganizationAssignmentAssociations": ([], {
        **CASES["staffEducationOrganizationAssignmentAssociations"][1],
        "staffReference": {"staffUniqueId": "nobody"}}, "$.staffReference"),
    "studentSectionAssociations": ([("courseOfferings", OFFERING)],
                                   CASES["studentSectionAssociations"][1], "$.sectionReference"),
    "staffSectionAssociations": ([("courseOfferings", OFFERING), ("sections", SECTION)], {
        **CASES["staffSectionAssociations"][1], "staffReference": {"staffUniqueId": "nobody"}},
        "$.staffReference"),
    "studentContactAssociations": ([], CASES["studentContactAssociations"][1],
                                   "$.contactReference"),
}


@pytest.mark.parametrize("resource", sorted(DANGLING))
def test_a_missing_reference_is_an_unresolved_reference_naming_its_json_path(edfi, grounded,
                                                                             resource):
    call = grounded
    extra, body, path = DANGLING[resource]
    _post_each(call, extra)
    before = _snapshot(edfi)
    reply = call("POST", f"/ed-fi/{resource}", json=body)
    problem = conforms("POST", f"/ed-fi/{resource}", reply)
    assert reply.status_code == 409, problem
    assert problem["type"] == "urn:ed-fi:api:data-conflict:unresolved-reference"
    assert problem["detail"].startswith(path)
    assert _snapshot(edfi) == before


def _snapshot(edfi) -> dict[str, list[tuple[str, int]]]:  # noqa: ANN001
    """Every row's id and change version, in the families Ed-Fi writes touch."""
    with edfi.engine.connect() as conn:
        return {family: sorted(conn.execute(select(
            ROSTER_TABLES[family].c.sourced_id, ROSTER_TABLES[family].c.change_version)).all())
            for family in ("academicSessions", "classes", "users", "roles", "enrollments",
                           "demographics")}


@pytest.mark.parametrize(("resource", "body"), [
    ("studentContactAssociations", {"studentReference": {"studentUniqueId": "stu-b1"},
                                    "contactReference": {"contactUniqueId": "par-a1"}}),
    ("studentEducationOrganizationAssociations", {
        "studentReference": {"studentUniqueId": "stu-b1"},
        "educationOrganizationReference": {"educationOrganizationId": 0},
        "sexDescriptor": ED + "SexDescriptor#Male"}),
])
def test_a_write_about_a_student_outside_the_agreements_schools_answers_as_unknown(edfi,
                                                                                 resource,
                                                                                 body):
    birch = edfi.as_app().get("/ed-fi/schools?nameOfInstitution=Birch High").get_json()[0]
    if "educationOrganizationReference" in body:
        body = {**body, "educationOrganizationReference": {
            "educationOrganizationId": birch["schoolId"]}}
    limited = edfi.as_app(scopes=WRITER, schools=["sch-a"], name="alder writer")
    before = _snapshot(edfi)
    reply = limited("POST", f"/ed-fi/{resource}", json=body)
    problem = conforms("POST", f"/ed-fi/{resource}", reply)
    assert reply.status_code == 409, problem
    assert problem["type"] == "urn:ed-fi:api:data-conflict:unresolved-reference"
    unknown = limited("POST", f"/ed-fi/{resource}", json={
        **body, "studentReference": {"studentUniqueId": "stu-zz9"}}).get_json()
    assert problem["detail"].replace("stu-b1", "?") == unknown["detail"].replace("stu-zz9", "?")
    assert _snapshot(edfi) == before


def test_the_same_writer_may_link_a_contact_to_a_student_of_its_own_school(edfi):
    limited = edfi.as_app(scopes=WRITER, schools=["sch-a"], name="alder writer")
    reply = limited("POST", "/ed-fi/studentContactAssociations", json={
        "studentReference": {"studentUniqueId": "stu-a2"},
        "contactReference": {"contactUniqueId": "par-a1"}})
    assert reply.status_code == 201, reply.get_json()
    shown = limited.get(_path(reply.headers["Location"])).get_json()
    assert shown["studentReference"]["studentUniqueId"] == "stu-a2"


# -- studentContactAssociations: reads and privacy ---------------------------------------------
def test_contact_associations_are_one_item_per_student_with_references_and_relation(edfi):
    call = edfi.as_app()
    items = conforms("GET", "/ed-fi/studentContactAssociations",
                     call.get("/ed-fi/studentContactAssociations?limit=100"))
    assert len(items) == 10
    mine = call.get("/ed-fi/studentContactAssociations?studentUniqueId=stu-a1").get_json()
    assert [(i["studentReference"]["studentUniqueId"], i["contactReference"]["contactUniqueId"],
             i["relationDescriptor"]) for i in mine] == [
        ("stu-a1", "par-a1", ED + "RelationDescriptor#Parent")]
    assert mine[0]["studentReference"]["link"]["href"].startswith("/ed-fi/students/")
    by_contact = call.get("/ed-fi/studentContactAssociations?contactUniqueId=par-b2").get_json()
    assert [i["studentReference"]["studentUniqueId"] for i in by_contact] == ["stu-b2"]


def test_reading_a_contact_association_discloses_the_student_not_the_contact(edfi):
    edfi.as_app().get("/ed-fi/studentContactAssociations?studentUniqueId=stu-b2")
    settle(edfi.app)
    with edfi.engine.connect() as conn:
        disclosed = conn.execute(select(DisclosedStudent.__table__.c.student_id)).scalars().all()
    assert disclosed == ["stu-b2"]


def _oneroster_user(edfi, user: str) -> dict[str, Any]:  # noqa: ANN001
    call = edfi.as_app(scopes=("roster.readonly",), name="roster app")
    reply = call.get(f"/ims/oneroster/rostering/v1p2/users/{user}")
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()["user"]


def test_an_opted_out_students_contact_association_is_invisible_and_never_leaks(edfi):
    call = edfi.as_app()
    item = call.get("/ed-fi/studentContactAssociations?studentUniqueId=stu-a1").get_json()[0]
    assert "stu-a1" in json.dumps(_oneroster_user(edfi, "par-a1"))  # the agent, before
    add_optout(edfi.engine, "stu-a1", None)
    listed = call.get("/ed-fi/studentContactAssociations?limit=100").get_json()
    assert len(listed) == 9
    assert "stu-a1" not in json.dumps(listed)
    assert call.get(f"/ed-fi/studentContactAssociations/{item['id']}").status_code == 404
    assert "stu-a1" not in json.dumps(_oneroster_user(edfi, "par-a1"))


def test_a_contact_role_at_a_visible_school_towards_an_out_of_scope_student_is_hidden(edfi):
    events = [FamilyMode("roles", "delta", "roles.csv"), Record(
        "roles", "r-par-b1-a1", {"user": "par-b1", "roleType": "secondary", "role": "guardian",
                                 "org": "sch-b", "student": "stu-a1"},
        file="roles.csv", line=2, status="active")]
    report = run_sync(edfi.engine, SourceConfig(name="sis", adapter="test"), iter(events),
                      adapter_name="test")
    assert report.state == "applied", report.issues[:3]
    everyone = edfi.as_app().get("/ed-fi/studentContactAssociations?contactUniqueId=par-b1")
    assert len(everyone.get_json()) == 2
    birch = edfi.as_app(schools=["sch-b"], name="birch only")
    seen = birch.get("/ed-fi/studentContactAssociations?contactUniqueId=par-b1").get_json()
    assert [i["studentReference"]["studentUniqueId"] for i in seen] == ["stu-b1"]


def test_a_posted_contact_association_links_the_two_users_as_oneroster_agents(edfi):
    call = edfi.as_app(scopes=WRITER)
    _post(call, "contacts", CONTACT_BODY)
    _post(call, "studentContactAssociations", {
        "studentReference": {"studentUniqueId": "stu-a3"}, "contactReference": CONTACT})
    with edfi.engine.connect() as conn:
        users = ROSTER_TABLES["users"]
        contact = conn.execute(select(users.c.sourced_id).where(
            users.c.sourced_id != "stu-a3", users.c.source != "sis")).scalar_one()
    agents = {a["sourcedId"] for a in _oneroster_user(edfi, contact)["agents"]}
    assert agents == {"stu-a3"}
    student_agents = {a["sourcedId"] for a in _oneroster_user(edfi, "stu-a3")["agents"]}
    assert student_agents == {"par-a3", contact}

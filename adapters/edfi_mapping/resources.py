"""The Ed-Fi resources the gateway serves, as data: the canonical family each one is a view of,
the rows of that family it covers, its natural key, its properties, and its dependency order.

This table drives the REST API (routes, query by example, validation of POST bodies), the
OpenAPI document in `specs/edfi/openapi.json` and, for the XML adapter, which canonical family
an interchange element becomes. Shapes follow Data Standard 5.x (contacts, not parents;
staffSectionAssociations keyed with beginDate). Every resource is a view of exactly one row of
one canonical family, so paging, change versions and tombstones come straight from the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

PropKind = Literal["string", "integer", "date", "boolean", "descriptor", "reference", "array"]


@dataclass(frozen=True)
class Prop:
    """One property of a resource body. `identity` parts make the natural key."""

    name: str
    kind: PropKind = "string"
    identity: bool = False
    descriptor: str | None = None  # for kind "descriptor": the descriptor's name
    reference: str | None = None  # for kind "reference": a key of REFERENCES
    items: tuple[Prop, ...] = ()  # for kind "array": the properties of one item
    max_length: int | None = None
    sources: tuple[str, ...] = ()  # canonical fields it shows ("family.field"): the profile rule
    # What is served when the stored row has no value (DS 5.0 requires one), or how the value
    # is derived when nothing of the body is kept: documented in kept_and_dropped.md.
    fallback: str = ""


# reference name -> (resource it points at, its key properties and their kinds)
REFERENCES: dict[str, tuple[str, tuple[tuple[str, PropKind], ...]]] = {
    "localEducationAgencyReference": ("localEducationAgencies",
                                      (("localEducationAgencyId", "integer"),)),
    "schoolReference": ("schools", (("schoolId", "integer"),)),
    "educationOrganizationReference": ("schools", (("educationOrganizationId", "integer"),)),
    "schoolYearTypeReference": ("schoolYearTypes", (("schoolYear", "integer"),)),
    "sessionReference": ("sessions", (("schoolId", "integer"), ("schoolYear", "integer"),
                                      ("sessionName", "string"))),
    "courseReference": ("courses", (("courseCode", "string"),
                                    ("educationOrganizationId", "integer"))),
    "courseOfferingReference": ("courseOfferings", (
        ("localCourseCode", "string"), ("schoolId", "integer"), ("schoolYear", "integer"),
        ("sessionName", "string"))),
    "sectionReference": ("sections", (
        ("localCourseCode", "string"), ("schoolId", "integer"), ("schoolYear", "integer"),
        ("sectionIdentifier", "string"), ("sessionName", "string"))),
    "studentReference": ("students", (("studentUniqueId", "string"),)),
    "staffReference": ("staffs", (("staffUniqueId", "string"),)),
    "contactReference": ("contacts", (("contactUniqueId", "string"),)),
    "parentReference": ("parents", (("parentUniqueId", "string"),)),
    "classPeriodReference": ("classPeriods", (("classPeriodName", "string"),
                                              ("schoolId", "integer"))),
}


@dataclass(frozen=True)
class Subset:
    """Which rows of the family a resource shows: `field` in `values`, or for users, those
    holding a role in `values` (or marked with that `personKind`); with `present`, only rows
    whose reference field of that name is set (a contact's role towards one student)."""

    field: str
    values: frozenset[str]
    present: str | None = None  # a reference field the row must also have set (roles.student)


@dataclass(frozen=True)
class Resource:
    name: str  # URL segment under /ed-fi/
    family: str  # canonical family
    subset: Subset | None
    props: tuple[Prop, ...]
    order: int  # dependency order (create); delete in reverse
    writable: bool = False
    student_bearing: bool = False
    title: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, ...]:
        """Flattened natural-key names (reference parts by their own names), sorted."""
        names: set[str] = set()
        for prop in self.props:
            if not prop.identity:
                continue
            if prop.kind == "reference":
                names |= {k for k, _ in REFERENCES[prop.reference or ""][1]}
            else:
                names.add(prop.name)
        return tuple(sorted(names))

    @property
    def identity_props(self) -> tuple[Prop, ...]:
        return tuple(p for p in self.props if p.identity)

    def prop(self, name: str) -> Prop | None:
        return next((p for p in self.props if p.name == name), None)


P = Prop


def _ref(name: str, identity: bool = False, sources: tuple[str, ...] = (),
         fallback: str = "") -> Prop:
    return P(name, "reference", identity=identity, reference=name, sources=sources,
             fallback=fallback)


def _desc(name: str, descriptor: str, identity: bool = False,
          sources: tuple[str, ...] = (), fallback: str = "") -> Prop:
    return P(name, "descriptor", identity=identity, descriptor=descriptor, sources=sources,
             fallback=fallback)


_EMAILS = P("electronicMails", "array", items=(
    P("electronicMailAddress", max_length=128),
    _desc("electronicMailTypeDescriptor", "ElectronicMailTypeDescriptor"),
), sources=("users.email",), fallback="one item: the user's e-mail, typed Work for staff and "
   "Home/Personal otherwise (the type is not kept)")
_STUDENT_ROLES = frozenset({"student"})
_CONTACT_ROLES = frozenset({"parent", "guardian", "relative"})
_STAFF_ROLES = frozenset({"aide", "counselor", "districtAdministrator", "principal", "proctor",
                          "siteAdministrator", "systemAdministrator", "teacher"})
_STAFF_SECTION_ROLES = frozenset({"teacher", "administrator", "proctor"})
_DAYS = "the weekdays (Monday to Friday) from beginDate to endDate"
_UNKNOWN_GRADE = "GradeLevelDescriptor#Other"


def _person(unique: str) -> tuple[Prop, ...]:
    return (
        P(unique, identity=True, max_length=32,
          fallback="the user's identifier, else its sourcedId (32 hex digits of its hash when "
                   "longer than 32 characters)"),
        P("firstName", max_length=75, sources=("users.givenName",)),
        P("middleName", max_length=75, sources=("users.middleName",)),
        P("lastSurname", max_length=75, sources=("users.familyName",)),
        P("preferredFirstName", max_length=75, sources=("users.preferredFirstName",)),
        P("preferredLastSurname", max_length=75, sources=("users.preferredLastName",)),
    )


_EDORG_ID = ("the org's identifier when it is a whole number, else a stable ten-digit number "
             "from its sourcedId")

RESOURCES: dict[str, Resource] = {r.name: r for r in (
    Resource("localEducationAgencies", "orgs", Subset("type", frozenset({"district"})), (
        P("localEducationAgencyId", "integer", identity=True, fallback=_EDORG_ID),
        P("nameOfInstitution", max_length=75, sources=("orgs.name",)),
        _desc("localEducationAgencyCategoryDescriptor", "LocalEducationAgencyCategoryDescriptor",
              fallback="always LocalEducationAgencyCategoryDescriptor#Independent"),
        P("categories", "array", items=(
            _desc("educationOrganizationCategoryDescriptor",
                  "EducationOrganizationCategoryDescriptor"),),
          fallback="always one item, EducationOrganizationCategoryDescriptor#Local Education "
                   "Agency (from the org's type)"),
    ), order=4, writable=True, title="A school district (LEA)"),
    Resource("schools", "orgs", Subset("type", frozenset({"school"})), (
        P("schoolId", "integer", identity=True, fallback=_EDORG_ID),
        P("nameOfInstitution", max_length=75, sources=("orgs.name",)),
        _ref("localEducationAgencyReference", sources=("orgs.parent",)),
        P("educationOrganizationCategories", "array", items=(
            _desc("educationOrganizationCategoryDescriptor",
                  "EducationOrganizationCategoryDescriptor"),),
          fallback="always one item, EducationOrganizationCategoryDescriptor#School (from the "
                   "org's type)"),
        P("gradeLevels", "array", items=(_desc("gradeLevelDescriptor", "GradeLevelDescriptor"),),
          sources=("orgs.grades",),
          fallback=f"one item, {_UNKNOWN_GRADE}, when the source named no grade levels"),
    ), order=5, writable=True, title="A school"),
    Resource("sessions", "academicSessions",
             Subset("type", frozenset({"schoolYear", "semester", "term"})), (
        P("sessionName", identity=True, max_length=60, sources=("academicSessions.title",)),
        _ref("schoolReference", identity=True, sources=("academicSessions.school",),
             fallback="a session without a school of its own (OneRoster sessions are "
                      "district-wide): the first school, by sourcedId, with a class in it, else "
                      "the district's first school"),
        _ref("schoolYearTypeReference", identity=True, sources=("academicSessions.schoolYear",)),
        P("beginDate", "date", sources=("academicSessions.startDate",)),
        P("endDate", "date", sources=("academicSessions.endDate",)),
        _desc("termDescriptor", "TermDescriptor", sources=("academicSessions.type",),
              fallback="Year Round for a school year, else Fall, Spring or Summer Semester from "
                       "the start month"),
        P("totalInstructionalDays", "integer", fallback=_DAYS),
    ), order=7, writable=True, title="A term, semester or school year of one school"),
    Resource("gradingPeriods", "academicSessions",
             Subset("type", frozenset({"gradingPeriod"})), (
        _desc("gradingPeriodDescriptor", "GradingPeriodDescriptor", identity=True,
              sources=("academicSessions.title",),
              fallback="the crosswalk value named like the title, else Grading Period (the "
                       "descriptor itself is not kept)"),
        P("gradingPeriodName", identity=True, max_length=60, sources=("academicSessions.title",)),
        _ref("schoolReference", identity=True, sources=("academicSessions.school",),
             fallback="as for sessions"),
        _ref("schoolYearTypeReference", identity=True, sources=("academicSessions.schoolYear",)),
        P("beginDate", "date", sources=("academicSessions.startDate",)),
        P("endDate", "date", sources=("academicSessions.endDate",)),
        P("totalInstructionalDays", "integer", fallback=_DAYS),
    ), order=6, writable=True, title="A grading period"),
    Resource("courses", "courses", None, (
        P("courseCode", identity=True, max_length=60, sources=("courses.courseCode",),
          fallback="the course's sourcedId when it has no courseCode"),
        _ref("educationOrganizationReference", identity=True, sources=("courses.org",)),
        P("courseTitle", max_length=60, sources=("courses.title",)),
        P("numberOfParts", "integer", fallback="always 1"),
        P("identificationCodes", "array", items=(
            _desc("courseIdentificationSystemDescriptor", "CourseIdentificationSystemDescriptor"),
            P("identificationCode", max_length=60)), sources=("courses.courseCode",),
          fallback="one item: the courseCode as CourseIdentificationSystemDescriptor#LEA course "
                   "code (posted codes are not kept)"),
        P("offeredGradeLevels", "array", items=(
            _desc("gradeLevelDescriptor", "GradeLevelDescriptor"),), sources=("courses.grades",)),
    ), order=8, writable=True, title="A course of an education organization"),
    Resource("courseOfferings", "classes", None, (
        P("localCourseCode", identity=True, max_length=60, sources=("classes.classCode",),
          fallback="the class's Ed-Fi localCourseCode, else its classCode, else its sourcedId"),
        _ref("schoolReference", identity=True, sources=("classes.school",)),
        _ref("sessionReference", identity=True, sources=("classes.terms",),
             fallback="the class's first term, or that term's parent when it is a grading "
                      "period"),
        _ref("courseReference", sources=("classes.course",)),
        P("localCourseTitle", max_length=60, sources=("classes.localCourseTitle", "classes.title"),
          fallback="the class's title when no offering title was given"),
    ), order=9, writable=True,
        title="A course offered at a school in a session (one per natural key: of the classes "
              "sharing one, the first by sourcedId shows it)"),
    Resource("sections", "classes", None, (
        P("sectionIdentifier", identity=True, max_length=255, sources=("classes.classCode",),
          fallback="the class's Ed-Fi sectionIdentifier, else its classCode, else its "
                   "sourcedId"),
        _ref("courseOfferingReference", identity=True, sources=("classes.course",
                                                                "classes.terms")),
        P("sectionName", max_length=100, sources=("classes.title",)),
        P("classPeriods", "array", items=(_ref("classPeriodReference"),),
          sources=("classes.periods",),
          fallback="one item per period of the class, referenced at the class's school"),
    ), order=10, writable=True, title="A section (a canonical class)"),
    Resource("students", "users", Subset("role", _STUDENT_ROLES), (
        *_person("studentUniqueId"),
        P("birthDate", "date", sources=("demographics.birthDate",),
          fallback="1900-01-01 when the source gives no birth date (Ed-Fi requires one)"),
    ), order=3, writable=True, student_bearing=True, title="A student"),
    Resource("staffs", "users", Subset("role", _STAFF_ROLES), (
        *_person("staffUniqueId"), _EMAILS,
    ), order=16, writable=True, title="A member of staff"),
    Resource("contacts", "users", Subset("role", _CONTACT_ROLES), (
        *_person("contactUniqueId"), _EMAILS,
    ), order=3, writable=True, title="A parent, guardian or other contact of a student"),
    Resource("parents", "users", Subset("role", _CONTACT_ROLES), (
        *_person("parentUniqueId"), _EMAILS,
    ), order=3, writable=True, title="A contact, under its Data Standard 4 name"),
    Resource("studentSchoolAssociations", "roles", Subset("role", _STUDENT_ROLES), (
        _ref("studentReference", identity=True, sources=("roles.user",)),
        _ref("schoolReference", identity=True, sources=("roles.org",)),
        P("entryDate", "date", identity=True, sources=("roles.beginDate",),
          fallback="the start of the district's earliest school year"),
        _desc("entryGradeLevelDescriptor", "GradeLevelDescriptor",
              sources=("roles.entryGradeLevel", "users.grades"),
              fallback=f"the student's first grade (users.grades), else {_UNKNOWN_GRADE}"),
        P("exitWithdrawDate", "date", sources=("roles.endDate",)),
    ), order=13, writable=True, student_bearing=True, title="A student's enrollment in a school"),
    Resource("studentEducationOrganizationAssociations", "roles",
             Subset("role", _STUDENT_ROLES), (
        _ref("studentReference", identity=True, sources=("roles.user",)),
        _ref("educationOrganizationReference", identity=True, sources=("roles.org",)),
        _desc("sexDescriptor", "SexDescriptor", sources=("demographics.sex",)),
        P("hispanicLatinoEthnicity", "boolean",
          sources=("demographics.hispanicOrLatinoEthnicity",)),
        P("races", "array", items=(_desc("raceDescriptor", "RaceDescriptor"),),
          sources=("demographics.white",)),
        P("electronicMails", "array", items=_EMAILS.items, sources=_EMAILS.sources,
          fallback="the student's e-mail (users.email; this resource's writes do not change "
                   "it)"),
    ), order=14, student_bearing=True, writable=True,
        title="A student's data held by one education organization (sex, races, e-mail)"),
    Resource("staffEducationOrganizationAssignmentAssociations", "roles",
             Subset("role", _STAFF_ROLES), (
        _ref("staffReference", identity=True, sources=("roles.user",)),
        _ref("educationOrganizationReference", identity=True, sources=("roles.org",)),
        P("beginDate", "date", identity=True, sources=("roles.beginDate",),
          fallback="the start of the district's earliest school year"),
        _desc("staffClassificationDescriptor", "StaffClassificationDescriptor", identity=True,
              sources=("roles.role",), fallback="Teacher for a role the crosswalk does not map"),
        P("endDate", "date", sources=("roles.endDate",)),
    ), order=18, writable=True, title="A member of staff's assignment to a school or district"),
    Resource("studentSectionAssociations", "enrollments", Subset("role", _STUDENT_ROLES), (
        _ref("studentReference", identity=True, sources=("enrollments.user",)),
        _ref("sectionReference", identity=True, sources=("enrollments.class",)),
        P("beginDate", "date", identity=True, sources=("enrollments.beginDate",),
          fallback="the start of the district's earliest school year"),
        P("endDate", "date", sources=("enrollments.endDate",)),
    ), order=14, student_bearing=True, writable=True, title="A student's enrollment in a section"),
    Resource("staffSectionAssociations", "enrollments", Subset("role", _STAFF_SECTION_ROLES), (
        _ref("staffReference", identity=True, sources=("enrollments.user",)),
        _ref("sectionReference", identity=True, sources=("enrollments.class",)),
        P("beginDate", "date", identity=True, sources=("enrollments.beginDate",),
          fallback="the start of the district's earliest school year"),
        _desc("classroomPositionDescriptor", "ClassroomPositionDescriptor",
              sources=("enrollments.role",),
              fallback="from the enrollment's role and primary flag (Teacher of Record for a "
                       "primary teacher, Assistant Teacher for another)"),
        P("endDate", "date", sources=("enrollments.endDate",)),
    ), order=19, writable=True, title="A member of staff's assignment to a section"),
    Resource("studentContactAssociations", "roles",
             Subset("role", _CONTACT_ROLES, present="student"), (
        _ref("studentReference", identity=True, sources=("roles.student",)),
        _ref("contactReference", identity=True, sources=("roles.user",)),
        _desc("relationDescriptor", "RelationDescriptor", sources=("roles.role",),
              fallback="Guardian for a role the crosswalk does not map"),
    ), order=20, writable=True, student_bearing=True,
        title="A contact's relation to one student (one contact role per student)"),
)}
# The resources the REST API accepts writes for: derived from the table, so the routes, the
# OpenAPI document and the scope catalogue (gateway/auth/scopes.py) read one list.
WRITABLE: frozenset[str] = frozenset(n for n, r in RESOURCES.items() if r.writable)

# Resources whose natural key a PUT may change (Ed-Fi's cascading key updates, for the ones
# served here): the row keeps its sourcedId, so references to it follow without a cascade.
KEY_UPDATABLE = frozenset({"sessions", "sections", "studentSchoolAssociations",
                           "studentSectionAssociations"})
STUDENT_ROLES, CONTACT_ROLES, STAFF_ROLES = _STUDENT_ROLES, _CONTACT_ROLES, _STAFF_ROLES
# Resource names for each person kind an Ed-Fi source marks (canonical users.personKind).
PERSON_KINDS = {"students": "student", "staffs": "staff", "contacts": "contact",
                "parents": "contact"}


def dependency_order() -> list[dict[str, object]]:
    """The create order clients should follow (delete in reverse), descriptors first."""
    rows: list[dict[str, object]] = [{"resource": "/ed-fi/{descriptors}", "order": 1,
                                      "operations": ["Create", "Update"]}]
    for res in sorted(RESOURCES.values(), key=lambda r: (r.order, r.name)):
        rows.append({"resource": f"/ed-fi/{res.name}", "order": res.order,
                     "operations": ["Create", "Update"]})
    return rows

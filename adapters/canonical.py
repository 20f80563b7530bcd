"""The canonical roster model, as data: families, their fields, types and vocabularies.

Shaped on OneRoster 1.2 (field names are the 1.2 REST names); Ed-Fi and OneRoster 1.1 are
projections of it. This one declaration drives the sync engine's validation, the store's tables
(indexed columns and link tables) and the rule that a field no standard we serve needs is never
stored: anything not declared here is dropped at the adapter boundary and reported.

References (`ref`, `refs`) hold the target's sourcedId. Passwords are deliberately not declared:
a district gateway has no business holding them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal[
    "string",  # free text
    "date",  # YYYY-MM-DD
    "datetime",  # ISO 8601, stored as UTC with Z
    "year",  # YYYY
    "bool",  # stored as JSON true/false; "true"/"false" on the OneRoster wire
    "number",  # float
    "enum",  # one value of `vocab` (or ext:... where extensible)
    "enums",  # list of values of `vocab`
    "strings",  # list of strings
    "ref",  # sourcedId of a row of `target`
    "refs",  # list of sourcedIds of `target`
    "pairs",  # list of {"type": ..., "identifier": ...} or {"itemValueLHS":..,"itemValueRHS":..}
]


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    kind: Kind = "string"
    required: bool = False
    vocab: frozenset[str] | None = None
    extensible: bool = False  # OneRoster 1.2: "ext:..." terms allowed
    target: str | None = None  # family of a ref / refs
    indexed: bool = False  # ref/enum kept in its own indexed column for scoping and filters
    linked: bool = False  # refs kept in a link table (owner, target) for reverse lookups
    max_length: int = 1024
    # False for fields only another standard needs (Ed-Fi natural keys, ...): never on the
    # OneRoster wire, never selectable or filterable there.
    oneroster: bool = True
    # The sensitive category an app's agreement must grant before it receives this field
    # (contact details, identifiers, birth date); None: shared under the family's own rule.
    sensitive: str | None = None


@dataclass(frozen=True, slots=True)
class Family:
    """One entity family. `table` is the store's table name; `name` is the OneRoster plural."""

    name: str
    table: str
    fields: tuple[Field, ...]
    id_ref: str | None = None  # the sourcedId itself refers to a row of this family
    oneroster: bool = True  # False: a family only another standard (Ed-Fi) needs
    # A sensitive category without which no row of the family is shared at all.
    sensitive: str | None = None

    def field(self, name: str) -> Field:
        return self.by_name[name]

    @property
    def by_name(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    @property
    def references(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.kind in ("ref", "refs"))

    @property
    def indexed(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.indexed)

    @property
    def linked(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.linked)


def _v(*terms: str) -> frozenset[str]:
    return frozenset(terms)


STATUS = _v("active", "tobedeleted")
ORG_TYPES = _v("department", "district", "local", "national", "school", "state")
SESSION_TYPES = _v("gradingPeriod", "semester", "schoolYear", "term")
CLASS_TYPES = _v("homeroom", "scheduled")
USER_ROLES = _v(
    "aide", "counselor", "districtAdministrator", "guardian", "parent", "principal", "proctor",
    "relative", "siteAdministrator", "student", "systemAdministrator", "teacher",
)
ROLE_TYPES = _v("primary", "secondary")
ENROLLMENT_ROLES = _v("administrator", "proctor", "student", "teacher")
PERSON_KINDS = _v("student", "staff", "contact")
SEX = _v("male", "female", "unspecified", "other")
SCORE_STATUS = _v("exempt", "fully graded", "not submitted", "partially graded", "submitted")
RESOURCE_ROLES = _v(
    "administrator", "aide", "guardian", "parent", "proctor", "relative", "student", "teacher"
)
IMPORTANCE = _v("primary", "secondary")
LO_SOURCE = _v("case", "unknown")
# CEDS grade levels, the US vocabulary OneRoster recommends.
GRADES = _v(
    "IT", "PR", "PK", "TK", "KG", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10",
    "11", "12", "13", "PS", "UG", "Other",
)

F = Field


def _ref(name: str, target: str, required: bool = False, indexed: bool = True) -> Field:
    return F(name, "ref", required=required, target=target, indexed=indexed)


_DEMOGRAPHIC_RACES = (
    "americanIndianOrAlaskaNative", "asian", "blackOrAfricanAmerican",
    "nativeHawaiianOrOtherPacificIslander", "white", "demographicRaceTwoOrMoreRaces",
    "hispanicOrLatinoEthnicity",
)

FAMILIES: dict[str, Family] = {
    fam.name: fam
    for fam in (
        Family("orgs", "orgs", (
            F("name", required=True),
            F("type", "enum", required=True, vocab=ORG_TYPES, extensible=True, indexed=True),
            F("identifier"),
            _ref("parent", "orgs"),
            # The grade levels a school offers (CEDS codes), when an Ed-Fi source names them.
            F("grades", "strings", oneroster=False),
        )),
        Family("academicSessions", "academic_sessions", (
            F("title", required=True),
            F("type", "enum", required=True, vocab=SESSION_TYPES, extensible=True, indexed=True),
            F("startDate", "date", required=True),
            F("endDate", "date", required=True),
            _ref("parent", "academicSessions"),
            F("schoolYear", "year", required=True),
            # Ed-Fi sessions and grading periods belong to one school.
            F("school", "ref", target="orgs", oneroster=False),
        )),
        Family("courses", "courses", (
            F("title", required=True),
            _ref("schoolYear", "academicSessions", indexed=False),
            F("courseCode"),
            F("grades", "strings"),
            F("subjects", "strings"),
            _ref("org", "orgs", required=True),
            F("subjectCodes", "strings"),
        )),
        Family("classes", "classes", (
            F("title", required=True),
            F("classCode"),
            F("classType", "enum", required=True, vocab=CLASS_TYPES, extensible=True),
            F("location"),
            F("grades", "strings"),
            F("subjects", "strings"),
            _ref("course", "courses", required=True),
            _ref("school", "orgs", required=True),
            F("terms", "refs", required=True, target="academicSessions", linked=True),
            F("subjectCodes", "strings"),
            F("periods", "strings"),
            # Ed-Fi natural-key parts of the section and its course offering, when an Ed-Fi
            # source supplied them (else derived from classCode; see adapters/edfi_mapping).
            F("localCourseCode", oneroster=False, max_length=60),
            F("sectionIdentifier", oneroster=False, max_length=255),
            # The course offering's own title (the class title is the section's name).
            F("localCourseTitle", oneroster=False, max_length=60),
        )),
        Family("users", "users", (
            F("enabledUser", "bool", required=True),
            F("username", required=True),
            F("userIds", "pairs", sensitive="identifiers"),
            F("givenName", required=True),
            F("familyName", required=True),
            F("middleName"),
            F("identifier", sensitive="identifiers"),
            F("email", sensitive="contact"),
            F("sms", sensitive="contact"),
            F("phone", sensitive="contact"),
            F("agents", "refs", target="users", linked=True),
            F("grades", "strings"),
            F("userMasterIdentifier", sensitive="identifiers"),
            F("preferredFirstName"),
            F("preferredMiddleName"),
            F("preferredLastName"),
            _ref("primaryOrg", "orgs", indexed=False),
            F("pronouns"),
            # Which Ed-Fi person resource an Ed-Fi source created this user as; lets a student
            # POSTed before any school association still be read back as a student.
            F("personKind", "enum", vocab=PERSON_KINDS, oneroster=False),
        )),
        Family("userProfiles", "user_profiles", (
            _ref("user", "users", required=True),
            F("profileType", required=True),
            F("vendorId", required=True),
            F("applicationId"),
            F("description"),
            F("credentialType", required=True),
            F("username", required=True),
        )),
        Family("roles", "user_roles", (
            _ref("user", "users", required=True),
            F("roleType", "enum", required=True, vocab=ROLE_TYPES),
            F("role", "enum", required=True, vocab=USER_ROLES, extensible=True, indexed=True),
            _ref("org", "orgs", required=True),
            _ref("userProfile", "userProfiles", indexed=False),
            F("beginDate", "date"),
            F("endDate", "date"),
            # A contact's role towards one student (Ed-Fi's studentContactAssociation): one row
            # per pair, so the association can be read, written and deleted on its own.
            F("student", "ref", target="users", indexed=True, oneroster=False),
            # The grade (CEDS code) a student entered this school at: Ed-Fi's
            # studentSchoolAssociation.entryGradeLevelDescriptor.
            F("entryGradeLevel", oneroster=False, max_length=16),
        )),
        Family("enrollments", "enrollments", (
            _ref("class", "classes", required=True),
            _ref("school", "orgs", required=True),
            _ref("user", "users", required=True),
            F("role", "enum", required=True, vocab=ENROLLMENT_ROLES, extensible=True,
              indexed=True),
            F("primary", "bool"),
            F("beginDate", "date"),
            F("endDate", "date"),
        )),
        Family("demographics", "demographics", (
            F("birthDate", "date", sensitive="birth_date"),
            F("sex", "enum", vocab=SEX, extensible=True),
            *(F(race, "bool") for race in _DEMOGRAPHIC_RACES),
            F("countryOfBirthCode"),
            F("stateOfBirthAbbreviation"),
            F("cityOfBirth"),
            F("publicSchoolResidenceStatus"),
        ), id_ref="users", sensitive="demographics"),
        Family("resources", "resources", (
            F("vendorResourceId", required=True),
            F("title"),
            F("roles", "enums", vocab=RESOURCE_ROLES, extensible=True),
            F("importance", "enum", vocab=IMPORTANCE),
            F("vendorId"),
            F("applicationId"),
        )),
        Family("classResources", "class_resources", (
            F("title"),
            _ref("class", "classes", required=True),
            _ref("resource", "resources", required=True),
        )),
        Family("courseResources", "course_resources", (
            F("title"),
            _ref("course", "courses", required=True),
            _ref("resource", "resources", required=True),
        )),
        Family("userResources", "user_resources", (
            _ref("user", "users", required=True),
            _ref("org", "orgs"),
            _ref("class", "classes"),
            _ref("resource", "resources", required=True),
        )),
        Family("categories", "categories", (
            F("title", required=True),
            F("weight", "number"),
        )),
        Family("scoreScales", "score_scales", (
            F("title", required=True),
            F("type", required=True),
            _ref("org", "orgs"),
            _ref("course", "courses"),
            _ref("class", "classes", required=True),
            F("scoreScaleValue", "pairs", required=True),
        )),
        Family("lineItems", "line_items", (
            F("title", required=True),
            F("description"),
            F("assignDate", "datetime", required=True),
            F("dueDate", "datetime", required=True),
            _ref("class", "classes", required=True),
            _ref("category", "categories", required=True),
            _ref("academicSession", "academicSessions"),
            F("resultValueMin", "number"),
            F("resultValueMax", "number"),
            _ref("school", "orgs"),
        )),
        Family("lineItemLearningObjectiveIds", "line_item_learning_objective_ids", (
            _ref("lineItem", "lineItems", required=True),
            F("source", "enum", required=True, vocab=LO_SOURCE, extensible=True),
            F("learningObjectiveId", required=True),
        )),
        Family("lineItemScoreScales", "line_item_score_scales", (
            F("title"),
            _ref("lineItem", "lineItems", required=True),
            _ref("scoreScale", "scoreScales", required=True),
        )),
        Family("results", "results", (
            _ref("lineItem", "lineItems", required=True),
            _ref("student", "users", required=True),
            F("scoreStatus", "enum", required=True, vocab=SCORE_STATUS, extensible=True),
            F("score", "number"),
            F("scoreDate", "date", required=True),
            F("comment"),
            F("textScore"),
            _ref("class", "classes"),
            F("inProgress", "bool"),
            F("incomplete", "bool"),
            F("late", "bool"),
            F("missing", "bool"),
        )),
        Family("resultLearningObjectiveIds", "result_learning_objective_ids", (
            _ref("result", "results", required=True),
            F("source", "enum", required=True, vocab=LO_SOURCE, extensible=True),
            F("learningObjectiveId", required=True),
            F("score", "number"),
            F("textScore"),
        )),
        Family("resultScoreScales", "result_score_scales", (
            F("title"),
            _ref("result", "results", required=True),
            _ref("scoreScale", "scoreScales", required=True),
        )),
        # Descriptor values an Ed-Fi client has written (a district's own namespace); the values
        # the crosswalk in specs/edfi defines are data there, not rows. Never on OneRoster.
        Family("descriptors", "edfi_descriptors", (
            F("descriptor", required=True, indexed=True, max_length=128, oneroster=False),
            F("namespace", required=True, max_length=255, oneroster=False),
            F("codeValue", required=True, max_length=50, oneroster=False),
            F("shortDescription", required=True, max_length=75, oneroster=False),
            F("description", max_length=1024, oneroster=False),
            F("effectiveBeginDate", "date", oneroster=False),
            F("effectiveEndDate", "date", oneroster=False),
        ), oneroster=False),
    )
}

# The order in which families are checked and applied: every reference points backwards.
APPLY_ORDER: tuple[str, ...] = tuple(FAMILIES)
# The families a OneRoster package or API can hold.
ONEROSTER_FAMILIES: tuple[str, ...] = tuple(f for f in APPLY_ORDER if FAMILIES[f].oneroster)

SENSITIVE_FAMILIES = frozenset({"demographics"})


def family(name: str) -> Family:
    """The family called `name` (OneRoster plural), or KeyError naming the known ones."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise KeyError(f"unknown family {name!r}; known: {', '.join(FAMILIES)}") from None

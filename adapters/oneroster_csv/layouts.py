"""The files of the OneRoster CSV binding and their columns, per version, as data.

Headers are written in the binding's order; a leading `*` marks a column the binding requires.
Each column is tied to a canonical field by one naming rule (`xSourcedId` -> `x`, `xSourcedIds` ->
`xs`) plus the few renames the binding forces, so the tables stay close to the documents they
come from and a test can check every column against `adapters.canonical`.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters import canonical

V11, V12 = "1.1", "1.2"

# Columns that describe the row rather than a canonical field.
SOURCED_ID, STATUS, DATE_LAST_MODIFIED = "sourcedId", "status", "dateLastModified"
ROW_COLUMNS = (SOURCED_ID, STATUS, DATE_LAST_MODIFIED)

# 1.1 users.csv carries the user's organisations and single role: they become `roles` records.
ROLE_ORGS, ROLE = "@roleOrgs", "@role"

_DROPPED = {
    "password": "passwords are never stored by the gateway",
    "resourceSourcedIds": (
        "users.csv resourceSourcedIds (OneRoster 1.2, removed in 1.2.1) is not kept; "
        "user-resource links come from userResources.csv"
    ),
}
_RENAMED = {
    "preferredGivenName": "preferredFirstName",
    "preferredFamilyName": "preferredLastName",
    "gradingPeriodSourcedId": "academicSession",
}
_HEAD = "*sourcedId status dateLastModified "

_V12_HEADERS = {
    "academicSessions":
        "*title *type *startDate *endDate parentSourcedId *schoolYear",
    "categories": "*title weight",
    "classes": (
        "*title grades *courseSourcedId classCode *classType location *schoolSourcedId "
        "*termSourcedIds subjects subjectCodes periods"),
    "classResources": "title *classSourcedId *resourceSourcedId",
    "courseResources": "title *courseSourcedId *resourceSourcedId",
    "courses": (
        "schoolYearSourcedId *title courseCode grades *orgSourcedId subjects subjectCodes"),
    "demographics": (
        "birthDate sex americanIndianOrAlaskaNative asian blackOrAfricanAmerican "
        "nativeHawaiianOrOtherPacificIslander white demographicRaceTwoOrMoreRaces "
        "hispanicOrLatinoEthnicity countryOfBirthCode stateOfBirthAbbreviation cityOfBirth "
        "publicSchoolResidenceStatus"),
    "enrollments": (
        "*classSourcedId *schoolSourcedId *userSourcedId *role primary beginDate endDate"),
    "lineItemLearningObjectiveIds": "*lineItemSourcedId *source *learningObjectiveId",
    "lineItems": (
        "*title description *assignDate *dueDate *classSourcedId *categorySourcedId "
        "*academicSessionSourcedId resultValueMin resultValueMax *schoolSourcedId"),
    "lineItemScoreScales": "title *lineItemSourcedId *scoreScaleSourcedId",
    "orgs": "*name *type identifier parentSourcedId",
    "resources": "*vendorResourceId title roles importance vendorId applicationId",
    "resultLearningObjectiveIds": (
        "*resultSourcedId *source *learningObjectiveId score textScore"),
    "results": (
        "*lineItemSourcedId *studentSourcedId *scoreStatus score *scoreDate comment textScore "
        "classSourcedId inProgress incomplete late missing"),
    "resultScoreScales": "title *resultSourcedId *scoreScaleSourcedId",
    "roles": (
        "*userSourcedId *roleType *role beginDate endDate *orgSourcedId userProfileSourcedId"),
    "scoreScales": (
        "*title *type *orgSourcedId *courseSourcedId *classSourcedId *scoreScaleValue"),
    "userProfiles": (
        "*userSourcedId *profileType *vendorId applicationId description *credentialType "
        "*username password"),
    "userResources": "*userSourcedId orgSourcedId classSourcedId *resourceSourcedId",
    "users": (
        "*enabledUser *username userIds *givenName *familyName middleName identifier email sms "
        "phone agentSourcedIds grades password userMasterIdentifier preferredGivenName "
        "preferredMiddleName preferredFamilyName primaryOrgSourcedId pronouns"),
}
# OneRoster 1.2 (before 1.2.1) users.csv: one more column, later removed as redundant.
_V12_USERS_WITH_RESOURCES = _V12_HEADERS["users"].replace(
    "userMasterIdentifier ", "userMasterIdentifier resourceSourcedIds ")

_V11_CHANGED = {
    "categories": "*title",
    "lineItems": (
        "*title description *assignDate *dueDate *classSourcedId *categorySourcedId "
        "*gradingPeriodSourcedId *resultValueMin *resultValueMax"),
    "results": (
        "*lineItemSourcedId *studentSourcedId *scoreStatus *score *scoreDate comment"),
    "users": (
        "*enabledUser *orgSourcedIds *role *username userIds *givenName *familyName middleName "
        "identifier email sms phone agentSourcedIds grades password"),
}
_V11_FILES = (
    "academicSessions", "categories", "classes", "classResources", "courses", "courseResources",
    "demographics", "enrollments", "lineItems", "orgs", "resources", "results", "users",
)


@dataclass(frozen=True, slots=True)
class Column:
    """One CSV column: `field` is the canonical field it feeds (None: dropped, `reason` says
    why); `kind` and `vocab` come from the canonical field so values are shaped alike."""

    name: str
    required: bool
    field: str | None
    kind: str = "string"
    vocab: frozenset[str] | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Layout:
    """One header variant of one file of one version."""

    file: str  # e.g. "users.csv"
    family: str
    version: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def derives_roles(self) -> bool:
        return any(column.field == ROLE_ORGS for column in self.columns)


def field_for(column: str) -> str:
    """The canonical field a CSV column feeds, by the binding's naming rule."""
    if column in _RENAMED:
        return _RENAMED[column]
    if column.endswith("SourcedIds"):
        return column.removesuffix("SourcedIds") + "s"
    if column.endswith("SourcedId"):
        return column.removesuffix("SourcedId")
    return column


def layouts(version: str) -> dict[str, tuple[Layout, ...]]:
    """Every data file of `version` (family name -> its header variants, preferred first)."""
    if version == V11:
        headers = {name: _V11_CHANGED.get(name, _V12_HEADERS[name]) for name in _V11_FILES}
        return {name: (_layout(name, V11, text),) for name, text in headers.items()}
    found = {name: (_layout(name, V12, text),) for name, text in _V12_HEADERS.items()}
    found["users"] += (_layout("users", V12, _V12_USERS_WITH_RESOURCES),)
    return found


def all_file_names() -> tuple[str, ...]:
    """The file names of every version, to recognise a file before the version is known."""
    return tuple(f"{name}.csv" for name in _V12_HEADERS)


def _layout(family: str, version: str, header: str) -> Layout:
    columns = tuple(_column(family, version, word) for word in (_HEAD + header).split())
    return Layout(f"{family}.csv", family, version, columns)


def _column(family: str, version: str, word: str) -> Column:
    required, name = word.startswith("*"), word.lstrip("*")
    if name in ROW_COLUMNS:
        if name == STATUS:
            return Column(name, required, name, "enum", canonical.STATUS)
        return Column(name, required, name)
    if name in _DROPPED:
        return Column(name, required, None, reason=_DROPPED[name])
    if version == V11 and family == "users" and name in ("orgSourcedIds", "role"):
        if name == "role":
            return Column(name, required, ROLE, "enum", canonical.USER_ROLES)
        return Column(name, required, ROLE_ORGS, "refs")
    field = canonical.family(family).field(field_for(name))
    return Column(name, required, field.name, field.kind, field.vocab)

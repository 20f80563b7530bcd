"""Where each Ed-Fi resource property sits in an interchange element, as data.

One table serves both directions: the adapter reads elements into Ed-Fi JSON-shaped bodies with
it, and the demo writer writes bodies as elements with it, so the two cannot drift apart.
XML names follow the interchange conventions of Data Standard 5: PascalCase, descriptor
elements without the `Descriptor` suffix, names grouped under `Name`, the birth date under
`BirthData`, references as `...Reference/...Identity/` with the key parts (nested references
for composite keys), and school years spelled `2021-2022`.
"""

from __future__ import annotations

from dataclasses import dataclass

# Interchange (file) name -> the root element's local name. `Parent` is the DS 4 name.
INTERCHANGES: dict[str, str] = {
    "EducationOrganization": "InterchangeEducationOrganization",
    "EducationOrgCalendar": "InterchangeEducationOrgCalendar",
    "MasterSchedule": "InterchangeMasterSchedule",
    "StaffAssociation": "InterchangeStaffAssociation",
    "Student": "InterchangeStudent",
    "StudentEnrollment": "InterchangeStudentEnrollment",
    "Contact": "InterchangeContact",
    "Parent": "InterchangeParent",
    "Descriptors": "InterchangeDescriptors",
    "StudentGradebook": "InterchangeStudentGradebook",
}


@dataclass(frozen=True)
class Scalar:
    """A property held in one leaf element at `path` (slash-separated, relative)."""

    prop: str
    path: str


@dataclass(frozen=True)
class Ref:
    """A reference property held in `element` (a key of REFERENCE_LAYOUTS)."""

    prop: str
    element: str


@dataclass(frozen=True)
class RefList:
    """An array of references: one `element` (a key of REFERENCE_LAYOUTS) per item, each item
    `{item: {key parts}}` (a session's `gradingPeriods[].gradingPeriodReference`)."""

    prop: str
    element: str
    item: str


@dataclass(frozen=True)
class Many:
    """An array property: one `element` per item, whose text is the item's `field`
    (or, for `inner`, the leaf at that relative path)."""

    prop: str
    element: str
    field: str
    inner: str | None = None


@dataclass(frozen=True)
class Multi:
    """An array of objects: one `element` per item with scalar children."""

    prop: str
    element: str
    fields: tuple[Scalar, ...]


Part = Scalar | Ref | RefList | Many | Multi


@dataclass(frozen=True)
class Layout:
    element: str
    resource: str
    parts: tuple[Part, ...]


# reference element -> (identity element, key parts: leaf names or nested reference elements)
REFERENCE_LAYOUTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "SchoolReference": ("SchoolIdentity", ("SchoolId",)),
    "LocalEducationAgencyReference": ("LocalEducationAgencyIdentity",
                                      ("LocalEducationAgencyId",)),
    "EducationOrganizationReference": ("EducationOrganizationIdentity",
                                       ("EducationOrganizationId",)),
    "StudentReference": ("StudentIdentity", ("StudentUniqueId",)),
    "StaffReference": ("StaffIdentity", ("StaffUniqueId",)),
    "ContactReference": ("ContactIdentity", ("ContactUniqueId",)),
    "ParentReference": ("ParentIdentity", ("ParentUniqueId",)),
    "SessionReference": ("SessionIdentity", ("SessionName", "SchoolYear", "SchoolReference")),
    "CourseReference": ("CourseIdentity", ("CourseCode", "EducationOrganizationReference")),
    "CourseOfferingReference": ("CourseOfferingIdentity",
                                ("LocalCourseCode", "SchoolReference", "SessionReference")),
    "SectionReference": ("SectionIdentity", ("SectionIdentifier", "CourseOfferingReference")),
    # `GradingPeriod` is the descriptor (JSON `gradingPeriodDescriptor`): descriptor elements
    # drop the suffix in references too.
    "GradingPeriodReference": ("GradingPeriodIdentity", ("GradingPeriod", "GradingPeriodName",
                                                         "SchoolReference", "SchoolYear")),
}

S, R = Scalar, Ref
_NAME = (S("firstName", "Name/FirstName"), S("middleName", "Name/MiddleName"),
         S("lastSurname", "Name/LastSurname"),
         S("preferredFirstName", "Name/PreferredFirstName"),
         S("preferredLastSurname", "Name/PreferredLastSurname"))
_MAILS = Multi("electronicMails", "ElectronicMail", (
    S("electronicMailAddress", "ElectronicMailAddress"),
    S("electronicMailTypeDescriptor", "ElectronicMailType")))

LAYOUTS: dict[str, Layout] = {lay.element: lay for lay in (
    Layout("LocalEducationAgency", "localEducationAgencies", (
        S("localEducationAgencyId", "LocalEducationAgencyId"),
        S("nameOfInstitution", "NameOfInstitution"),
        Many("categories", "EducationOrganizationCategory",
             "educationOrganizationCategoryDescriptor"),
        S("localEducationAgencyCategoryDescriptor", "LocalEducationAgencyCategory"))),
    Layout("School", "schools", (
        S("schoolId", "SchoolId"), S("nameOfInstitution", "NameOfInstitution"),
        Many("educationOrganizationCategories", "EducationOrganizationCategory",
             "educationOrganizationCategoryDescriptor"),
        Many("gradeLevels", "GradeLevel", "gradeLevelDescriptor"),
        R("localEducationAgencyReference", "LocalEducationAgencyReference"))),
    Layout("Course", "courses", (
        S("courseCode", "CourseCode"), S("courseTitle", "CourseTitle"),
        S("numberOfParts", "NumberOfParts"),
        R("educationOrganizationReference", "EducationOrganizationReference"),
        Many("offeredGradeLevels", "OfferedGradeLevel", "gradeLevelDescriptor"))),
    Layout("Session", "sessions", (
        S("sessionName", "SessionName"), R("schoolReference", "SchoolReference"),
        S("schoolYearTypeReference", "SchoolYear"), S("beginDate", "BeginDate"),
        S("endDate", "EndDate"), S("termDescriptor", "Term"),
        S("totalInstructionalDays", "TotalInstructionalDays"),
        RefList("gradingPeriods", "GradingPeriodReference", "gradingPeriodReference"))),
    Layout("GradingPeriod", "gradingPeriods", (
        S("gradingPeriodDescriptor", "GradingPeriod"),
        S("gradingPeriodName", "GradingPeriodName"), R("schoolReference", "SchoolReference"),
        S("schoolYearTypeReference", "SchoolYear"), S("beginDate", "BeginDate"),
        S("endDate", "EndDate"), S("totalInstructionalDays", "TotalInstructionalDays"))),
    Layout("CourseOffering", "courseOfferings", (
        S("localCourseCode", "LocalCourseCode"), S("localCourseTitle", "LocalCourseTitle"),
        R("schoolReference", "SchoolReference"), R("sessionReference", "SessionReference"),
        R("courseReference", "CourseReference"))),
    Layout("Section", "sections", (
        S("sectionIdentifier", "SectionIdentifier"), S("sectionName", "SectionName"),
        R("courseOfferingReference", "CourseOfferingReference"),
        Many("classPeriods", "ClassPeriodReference", "classPeriodName",
             inner="ClassPeriodIdentity/ClassPeriodName"))),
    Layout("Student", "students", (
        S("studentUniqueId", "StudentUniqueId"), *_NAME,
        S("birthDate", "BirthData/BirthDate"))),
    Layout("Staff", "staffs", (S("staffUniqueId", "StaffUniqueId"), *_NAME, _MAILS)),
    Layout("Contact", "contacts", (S("contactUniqueId", "ContactUniqueId"), *_NAME, _MAILS)),
    Layout("Parent", "parents", (S("parentUniqueId", "ParentUniqueId"), *_NAME, _MAILS)),
    Layout("StudentContactAssociation", "studentContactAssociations", (
        R("studentReference", "StudentReference"), R("contactReference", "ContactReference"),
        S("relationDescriptor", "Relation"))),
    Layout("StudentParentAssociation", "studentParentAssociations", (
        R("studentReference", "StudentReference"), R("parentReference", "ParentReference"),
        S("relationDescriptor", "Relation"))),
    Layout("StaffEducationOrganizationAssignmentAssociation",
           "staffEducationOrganizationAssignmentAssociations", (
        R("staffReference", "StaffReference"),
        R("educationOrganizationReference", "EducationOrganizationReference"),
        S("beginDate", "BeginDate"), S("staffClassificationDescriptor", "StaffClassification"),
        S("endDate", "EndDate"))),
    Layout("StaffSectionAssociation", "staffSectionAssociations", (
        R("staffReference", "StaffReference"), R("sectionReference", "SectionReference"),
        S("beginDate", "BeginDate"), S("classroomPositionDescriptor", "ClassroomPosition"),
        S("endDate", "EndDate"))),
    Layout("StudentSchoolAssociation", "studentSchoolAssociations", (
        R("studentReference", "StudentReference"), R("schoolReference", "SchoolReference"),
        S("entryDate", "EntryDate"), S("entryGradeLevelDescriptor", "EntryGradeLevel"),
        S("exitWithdrawDate", "ExitWithdrawDate"))),
    Layout("StudentSectionAssociation", "studentSectionAssociations", (
        R("studentReference", "StudentReference"), R("sectionReference", "SectionReference"),
        S("beginDate", "BeginDate"), S("endDate", "EndDate"))),
    Layout("StudentEducationOrganizationAssociation",
           "studentEducationOrganizationAssociations", (
        R("studentReference", "StudentReference"),
        R("educationOrganizationReference", "EducationOrganizationReference"),
        S("sexDescriptor", "Sex"), S("hispanicLatinoEthnicity", "HispanicLatinoEthnicity"),
        Many("races", "Race", "raceDescriptor"), _MAILS)),
    # InterchangeStudentGradebook (DS 5). A student gradebook entry's key holds its gradebook
    # entry's key parts flat (see adapters/edfi_mapping/gradebook.py).
    Layout("GradebookEntry", "gradebookEntries", (
        S("gradebookEntryIdentifier", "GradebookEntryIdentifier"),
        S("namespace", "Namespace"), S("sourceSectionIdentifier", "SourceSectionIdentifier"),
        R("sectionReference", "SectionReference"), S("dateAssigned", "DateAssigned"),
        S("title", "Title"), S("description", "Description"), S("dueDate", "DueDate"),
        S("gradebookEntryTypeDescriptor", "GradebookEntryType"),
        R("gradingPeriodReference", "GradingPeriodReference"), S("maxPoints", "MaxPoints"))),
    Layout("StudentGradebookEntry", "studentGradebookEntries", (
        S("gradebookEntryIdentifier",
          "GradebookEntryReference/GradebookEntryIdentity/GradebookEntryIdentifier"),
        S("namespace", "GradebookEntryReference/GradebookEntryIdentity/Namespace"),
        R("studentReference", "StudentReference"), S("dateFulfilled", "DateFulfilled"),
        S("letterGradeEarned", "LetterGradeEarned"),
        S("numericGradeEarned", "NumericGradeEarned"), S("pointsEarned", "PointsEarned"),
        S("competencyLevelDescriptor", "CompetencyLevel"),
        S("diagnosticStatement", "DiagnosticStatement"),
        S("submissionStatusDescriptor", "SubmissionStatus"),
        S("assignmentLateStatusDescriptor", "AssignmentLateStatus"))),
)}


# Elements a `ref=` (IDREF) may name -> the parts of their natural key: a reference that
# names an element by `ref` stands for that element's key, flattened as if the reference had
# spelled its identity out (`<SessionReference ref="...">` -> schoolId, schoolYear,
# sessionName). Ed-Fi puts `id` on any top-level element; these are the ones the adapter's
# references point at.
IDENTITIES: dict[str, tuple[Scalar | Ref, ...]] = {
    "LocalEducationAgency": (S("localEducationAgencyId", "LocalEducationAgencyId"),),
    "School": (S("schoolId", "SchoolId"),),
    "EducationServiceCenter": (S("educationServiceCenterId", "EducationServiceCenterId"),),
    "StateEducationAgency": (S("stateEducationAgencyId", "StateEducationAgencyId"),),
    "Course": (S("courseCode", "CourseCode"),
               R("educationOrganizationReference", "EducationOrganizationReference")),
    "ClassPeriod": (S("classPeriodName", "ClassPeriodName"),
                    R("schoolReference", "SchoolReference")),
    "Session": (S("sessionName", "SessionName"), S("schoolYear", "SchoolYear"),
                R("schoolReference", "SchoolReference")),
    "GradingPeriod": (S("gradingPeriodDescriptor", "GradingPeriod"),
                      S("gradingPeriodName", "GradingPeriodName"), S("schoolYear", "SchoolYear"),
                      R("schoolReference", "SchoolReference")),
    "CourseOffering": (S("localCourseCode", "LocalCourseCode"),
                       R("schoolReference", "SchoolReference"),
                       R("sessionReference", "SessionReference")),
    "Section": (S("sectionIdentifier", "SectionIdentifier"),
                R("courseOfferingReference", "CourseOfferingReference")),
    "Student": (S("studentUniqueId", "StudentUniqueId"),),
    "Staff": (S("staffUniqueId", "StaffUniqueId"),),
    "Contact": (S("contactUniqueId", "ContactUniqueId"),),
    "Parent": (S("parentUniqueId", "ParentUniqueId"),),
    "GradebookEntry": (S("gradebookEntryIdentifier", "GradebookEntryIdentifier"),
                       S("namespace", "Namespace")),
}
# Education organizations by their own id property: an EducationOrganizationReference may
# name any of them (its key is then `educationOrganizationId`).
EDORG_IDS: dict[str, str] = {
    "School": "schoolId", "LocalEducationAgency": "localEducationAgencyId",
    "EducationServiceCenter": "educationServiceCenterId",
    "StateEducationAgency": "stateEducationAgencyId"}
EDORG_REFERENCE = "EducationOrganizationReference"


def referenced_element(reference: str) -> str:
    """`SchoolReference` -> `School`: the element a reference of that name points at."""
    return reference.removesuffix("Reference")


def camel(name: str) -> str:
    """`SchoolId` -> `schoolId`: an XML key part's name in the JSON shape."""
    return name[:1].lower() + name[1:]


def pascal(name: str) -> str:
    return name[:1].upper() + name[1:]

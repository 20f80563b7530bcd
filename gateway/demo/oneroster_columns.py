"""Header rows of the OneRoster CSV binding, per version, in the binding's exact column order.

Only the files the demo writes are listed. 1.2 here means the 1.2.1 CSV binding (whose
manifest still says 1.2); 1.1 differs in users.csv (role and orgs inline, no roles.csv),
categories.csv (no weight) and lineItems.csv (grading period instead of academic session and
no school column).
"""

from __future__ import annotations

_BASE = ("sourcedId", "status", "dateLastModified")

_COMMON: dict[str, tuple[str, ...]] = {
    "orgs.csv": (*_BASE, "name", "type", "identifier", "parentSourcedId"),
    "academicSessions.csv": (
        *_BASE, "title", "type", "startDate", "endDate", "parentSourcedId", "schoolYear",
    ),
    "courses.csv": (
        *_BASE, "schoolYearSourcedId", "title", "courseCode", "grades", "orgSourcedId",
        "subjects", "subjectCodes",
    ),
    "classes.csv": (
        *_BASE, "title", "grades", "courseSourcedId", "classCode", "classType", "location",
        "schoolSourcedId", "termSourcedIds", "subjects", "subjectCodes", "periods",
    ),
    "enrollments.csv": (
        *_BASE, "classSourcedId", "schoolSourcedId", "userSourcedId", "role", "primary",
        "beginDate", "endDate",
    ),
    "demographics.csv": (
        *_BASE, "birthDate", "sex", "americanIndianOrAlaskaNative", "asian",
        "blackOrAfricanAmerican", "nativeHawaiianOrOtherPacificIslander", "white",
        "demographicRaceTwoOrMoreRaces", "hispanicOrLatinoEthnicity", "countryOfBirthCode",
        "stateOfBirthAbbreviation", "cityOfBirth", "publicSchoolResidenceStatus",
    ),
}

HEADERS: dict[str, dict[str, tuple[str, ...]]] = {
    "1.2": {
        **_COMMON,
        "users.csv": (
            *_BASE, "enabledUser", "username", "userIds", "givenName", "familyName",
            "middleName", "identifier", "email", "sms", "phone", "agentSourcedIds", "grades",
            "password", "userMasterIdentifier", "preferredGivenName", "preferredMiddleName",
            "preferredFamilyName", "primaryOrgSourcedId", "pronouns",
        ),
        "roles.csv": (
            *_BASE, "userSourcedId", "roleType", "role", "beginDate", "endDate",
            "orgSourcedId", "userProfileSourcedId",
        ),
        "categories.csv": (*_BASE, "title", "weight"),
        "lineItems.csv": (
            *_BASE, "title", "description", "assignDate", "dueDate", "classSourcedId",
            "categorySourcedId", "academicSessionSourcedId", "resultValueMin",
            "resultValueMax", "schoolSourcedId",
        ),
    },
    "1.1": {
        **_COMMON,
        "users.csv": (
            *_BASE, "enabledUser", "orgSourcedIds", "role", "username", "userIds",
            "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone",
            "agentSourcedIds", "grades", "password",
        ),
        "categories.csv": (*_BASE, "title"),
        "lineItems.csv": (
            *_BASE, "title", "description", "assignDate", "dueDate", "classSourcedId",
            "categorySourcedId", "gradingPeriodSourcedId", "resultValueMin", "resultValueMax",
        ),
    },
}

# Every data file a manifest of that version lists, present or not (file.<name> rows).
MANIFEST_FILES: dict[str, tuple[str, ...]] = {
    "1.1": (
        "academicSessions", "categories", "classes", "classResources", "courses",
        "courseResources", "demographics", "enrollments", "lineItems", "orgs", "resources",
        "results", "users",
    ),
    "1.2": (
        "academicSessions", "categories", "classes", "classResources", "courses",
        "courseResources", "demographics", "enrollments", "lineItemLearningObjectiveIds",
        "lineItems", "lineItemScoreScales", "orgs", "resources", "resultLearningObjectiveIds",
        "results", "resultScoreScales", "roles", "scoreScales", "userProfiles",
        "userResources", "users",
    ),
}

"""Entity field tables for OneRoster 1.1 and 1.2, written from the standard's data models.

Each entity lists only its own fields; the base fields every entity carries are added
by the document builder. ``R`` marks the fields the REST binding requires.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Entity:
    name: str
    collection_key: str
    single_key: str
    description: str
    table: str


@dataclass(frozen=True)
class NestedObject:
    name: str
    description: str
    table: str
    open_ended: bool = False


BASE_FIELDS = """
sourcedId          string        R
status             enum:status   R
dateLastModified   datetime      R
metadata           metadata
"""

# ---------------------------------------------------------------- OneRoster 1.2

V1P2_ROSTERING = (
    Entity(
        "AcademicSession",
        "academicSessions",
        "academicSession",
        "A span of school time: school year, semester, term or grading period. "
        "startDate is inclusive, endDate exclusive; schoolYear is the year the school "
        "year ends.",
        """
title        string               R
startDate    date                 R
endDate      date                 R
type         ext:sessionType      R
parent       ref:academicSession
children     refs:academicSession
schoolYear   year                 R
""",
    ),
    Entity(
        "Class",
        "classes",
        "class",
        "A scheduled offering of a course in a school, taught in one or more terms.",
        """
title         string                 R
classCode     string
classType     ext:classType
location      string
grades        strings
subjects      strings
course        ref:course             R
school        ref:org                R
terms         refs+:academicSession  R
subjectCodes  strings
periods       strings
resources     refs:resource
""",
    ),
    Entity(
        "Course",
        "courses",
        "course",
        "A programme of study that classes are instances of.",
        """
title         string               R
schoolYear    ref:academicSession
courseCode    string               R
grades        strings
subjects      strings
org           ref:org
subjectCodes  strings
resources     refs:resource
""",
    ),
    Entity(
        "Demographics",
        "demographics",
        "demographics",
        "Sensitive personal data about one user; its sourcedId is the user's.",
        """
birthDate                              date
sex                                    ext:sexV1p2
americanIndianOrAlaskaNative           bool
asian                                  bool
blackOrAfricanAmerican                 bool
nativeHawaiianOrOtherPacificIslander   bool
white                                  bool
demographicRaceTwoOrMoreRaces          bool
hispanicOrLatinoEthnicity              bool
countryOfBirthCode                     string
stateOfBirthAbbreviation               string
cityOfBirth                            string
publicSchoolResidenceStatus            string
""",
    ),
    Entity(
        "Enrollment",
        "enrollments",
        "enrollment",
        "One user taking part in one class in a given role; dates are begin-inclusive, "
        "end-exclusive.",
        """
user        ref:user             R
class       ref:class            R
school      ref:org              R
role        ext:enrollmentRole   R
primary     bool
beginDate   date
endDate     date
""",
    ),
    Entity(
        "Org",
        "orgs",
        "org",
        "An organisation: district, school, department and the like.",
        """
name         string        R
type         ext:orgType   R
identifier   string        R
parent       ref:org
children     refs:org
""",
    ),
    Entity(
        "User",
        "users",
        "user",
        "A person: student, teacher, guardian, administrator. Roles are role/org pairs.",
        """
userMasterIdentifier   string
username               string
userIds                objs:UserId
enabledUser            bool               R
givenName              string             R
familyName             string             R
middleName             string
preferredFirstName     string
preferredMiddleName    string
preferredLastName      string
pronouns               string
roles                  objs+:Role         R
userProfiles           objs:UserProfile
primaryOrg             ref:org
identifier             string
email                  string
sms                    string
phone                  string
agents                 refs:user
grades                 strings
password               string
resources              refs:resource
""",
    ),
)

V1P2_ROSTERING_NESTED = (
    NestedObject(
        "UserId",
        "An identifier of the user in another system.",
        """
type         string   R
identifier   string   R
""",
    ),
    NestedObject(
        "Role",
        "The role a user holds in one org.",
        """
roleType      enum:roleType     R
role          ext:userRoleV1p2  R
org           ref:org           R
userProfile   uri
beginDate     date
endDate       date
""",
    ),
    NestedObject(
        "UserProfile",
        "An account of the user in some system, app or tool.",
        """
profileId       uri                R
profileType     string             R
vendorId        string             R
applicationId   string
description     string
credentials     objs:Credential
""",
    ),
    NestedObject(
        "Credential",
        "A credential for one user profile.",
        """
type       string   R
username   string   R
password   string
""",
        open_ended=True,
    ),
)

V1P2_GRADEBOOK = (
    Entity(
        "Category",
        "categories",
        "category",
        "A grouping of line items, optionally weighted (percent).",
        """
title    string   R
weight   number
""",
    ),
    Entity(
        "LineItem",
        "lineItems",
        "lineItem",
        "An assignment or other gradable activity of a class.",
        """
title                  string                    R
description            string
assignDate             datetime                  R
dueDate                datetime                  R
class                  ref:class                 R
school                 ref:org                   R
category               ref:category              R
gradingPeriod          ref:academicSession
academicSession        ref:academicSession
scoreScale             ref:scoreScale
resultValueMin         number
resultValueMax         number
learningObjectiveSet   objs:LearningObjectiveSet
""",
    ),
    Entity(
        "Result",
        "results",
        "result",
        "One student's score on one line item.",
        """
lineItem               ref:lineItem                    R
student                ref:user                        R
class                  ref:class
scoreScale             ref:scoreScale
scoreStatus            ext:scoreStatus                 R
score                  number
textScore              string
scoreDate              date                            R
comment                string
learningObjectiveSet   objs:LearningObjectiveScoreSet
inProgress             bool
incomplete             bool
late                   bool
missing                bool
""",
    ),
    Entity(
        "ScoreScale",
        "scoreScales",
        "scoreScale",
        "A mapping from scores to grade labels, for a class or course.",
        """
title             string                  R
type              string                  R
class             ref:class               R
course            ref:course
scoreScaleValue   objs+:ScoreScaleValue   R
""",
    ),
)

V1P2_GRADEBOOK_NESTED = (
    NestedObject(
        "LearningObjectiveSet",
        "Learning objectives a line item assesses.",
        """
source                 ext:learningObjectiveSource   R
learningObjectiveIds   strings                       R
""",
    ),
    NestedObject(
        "LearningObjectiveScoreSet",
        "Per-objective scores within a result.",
        """
source                     ext:learningObjectiveSource     R
learningObjectiveResults   objs:LearningObjectiveResult    R
""",
    ),
    NestedObject(
        "LearningObjectiveResult",
        "The score for one learning objective.",
        """
learningObjectiveId   string   R
score                 number
textScore             string
""",
    ),
    NestedObject(
        "ScoreScaleValue",
        "One score-to-label pair of a score scale.",
        """
itemValueLHS   string   R
itemValueRHS   string   R
""",
    ),
)

V1P2_RESOURCES = (
    Entity(
        "Resource",
        "resources",
        "resource",
        "Learning content a vendor makes available to classes, courses or users.",
        """
title              string
roles              exts:resourceRole
importance         enum:importance
vendorResourceId   string              R
vendorId           string
applicationId      string
""",
    ),
)

# GUIDRef kinds and the `type` values each accepts.
V1P2_REFERENCE_TYPES = {
    "academicSession": ("academicSession",),
    "category": ("category",),
    "class": ("class",),
    "course": ("course",),
    "lineItem": ("lineItem",),
    "org": ("org",),
    "resource": ("resource",),
    "scoreScale": ("scoreScale",),
    "user": ("user",),
}

# ---------------------------------------------------------------- OneRoster 1.1

V1P1_ENTITIES = (
    Entity(
        "AcademicSession",
        "academicSessions",
        "academicSession",
        "A span of school time: school year, semester, term or grading period.",
        """
title        string               R
startDate    date                 R
endDate      date                 R
type         ext:sessionType      R
parent       ref:academicSession
children     refs:academicSession
schoolYear   year                 R
""",
    ),
    Entity(
        "Class",
        "classes",
        "class",
        "A scheduled offering of a course in a school.",
        """
title         string                 R
classCode     string
classType     ext:classType
location      string
grades        strings
subjects      strings
course        ref:course             R
school        ref:org                R
terms         refs+:academicSession  R
subjectCodes  strings
periods       strings
resources     refs:resource
""",
    ),
    Entity(
        "Course",
        "courses",
        "course",
        "A programme of study that classes are instances of.",
        """
title         string               R
schoolYear    ref:academicSession
courseCode    string               R
grades        strings
subjects      strings
org           ref:org
subjectCodes  strings
resources     refs:resource
""",
    ),
    Entity(
        "Demographics",
        "demographics",
        "demographics",
        "Sensitive personal data about one user; its sourcedId is the user's.",
        """
birthDate                              date
sex                                    ext:sexV1p1
americanIndianOrAlaskaNative           bool
asian                                  bool
blackOrAfricanAmerican                 bool
nativeHawaiianOrOtherPacificIslander   bool
white                                  bool
demographicRaceTwoOrMoreRaces          bool
hispanicOrLatinoEthnicity              bool
countryOfBirthCode                     string
stateOfBirthAbbreviation               string
cityOfBirth                            string
publicSchoolResidenceStatus            string
""",
    ),
    Entity(
        "Enrollment",
        "enrollments",
        "enrollment",
        "One user taking part in one class in a given role.",
        """
user        ref:user             R
class       ref:class            R
school      ref:org              R
role        ext:enrollmentRole   R
primary     bool
beginDate   date
endDate     date
""",
    ),
    Entity(
        "Org",
        "orgs",
        "org",
        "An organisation: district, school, department and the like.",
        """
name         string        R
type         ext:orgType   R
identifier   string
parent       ref:org
children     refs:org
""",
    ),
    Entity(
        "User",
        "users",
        "user",
        "A person with one role and the orgs it applies in.",
        """
username      string              R
userIds       objs:UserId
enabledUser   bool                R
givenName     string              R
familyName    string              R
middleName    string
role          ext:userRoleV1p1    R
identifier    string
email         string
sms           string
phone         string
agents        refs:user
orgs          refs+:org           R
grades        strings
password      string
""",
    ),
    Entity(
        "Category",
        "categories",
        "category",
        "A grouping of line items.",
        """
title   string   R
""",
    ),
    Entity(
        "LineItem",
        "lineItems",
        "lineItem",
        "An assignment or other gradable activity of a class.",
        """
title            string                R
description      string
assignDate       datetime              R
dueDate          datetime              R
class            ref:class             R
category         ref:category          R
gradingPeriod    ref:academicSession   R
resultValueMin   number                R
resultValueMax   number                R
""",
    ),
    Entity(
        "Result",
        "results",
        "result",
        "One student's score on one line item.",
        """
lineItem      ref:lineItem      R
student       ref:user          R
scoreStatus   ext:scoreStatus   R
score         number            R
scoreDate     date              R
comment       string
""",
    ),
    Entity(
        "Resource",
        "resources",
        "resource",
        "Learning content a vendor makes available to classes or courses.",
        """
title              string
roles              exts:resourceRole
importance         enum:importance
vendorResourceId   string              R
vendorId           string
applicationId      string
""",
    ),
)

V1P1_NESTED = (
    NestedObject(
        "UserId",
        "An identifier of the user in another system.",
        """
type         string   R
identifier   string   R
""",
    ),
)

# 1.1 references may name the subtype (term, student ...) in `type`.
V1P1_REFERENCE_TYPES = {
    "academicSession": ("academicSession", "gradingPeriod", "term"),
    "category": ("category",),
    "class": ("class",),
    "course": ("course",),
    "lineItem": ("lineItem",),
    "org": ("org",),
    "resource": ("resource",),
    "user": ("user", "student", "teacher"),
}

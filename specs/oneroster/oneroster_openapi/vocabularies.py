"""OneRoster vocabularies, one tuple per enumerated term list.

Kept apart from the entity tables because 1.1 and 1.2 share most of them and the
differences (user roles, sex) are easier to audit side by side.
"""

# Proprietary terms in an extensible vocabulary carry this prefix (1.2 "Extending" rules).
EXTENSION_PATTERN = r"^ext:[a-zA-Z0-9\.\-_]+$"

STATUS = ("active", "tobedeleted")
BOOLEAN_STRING = ("true", "false")

ORG_TYPE = ("department", "district", "local", "national", "school", "state")
SESSION_TYPE = ("gradingPeriod", "semester", "schoolYear", "term")
CLASS_TYPE = ("homeroom", "scheduled")
ENROLLMENT_ROLE = ("administrator", "proctor", "student", "teacher")
SCORE_STATUS = ("exempt", "fully graded", "not submitted", "partially graded", "submitted")
IMPORTANCE = ("primary", "secondary")

# 1.1: one role per user; also the vocabulary of resource roles in both versions.
USER_ROLE_V1P1 = (
    "administrator",
    "aide",
    "guardian",
    "parent",
    "proctor",
    "relative",
    "student",
    "teacher",
)
RESOURCE_ROLE = USER_ROLE_V1P1

# 1.2: the role inside a user's role/org tuple.
USER_ROLE_V1P2 = (
    "aide",
    "counselor",
    "districtAdministrator",
    "guardian",
    "parent",
    "principal",
    "proctor",
    "relative",
    "siteAdministrator",
    "student",
    "systemAdministrator",
    "teacher",
)
ROLE_TYPE = ("primary", "secondary")

SEX_V1P1 = ("male", "female")
SEX_V1P2 = ("male", "female", "unspecified", "other")

LEARNING_OBJECTIVE_SOURCE = ("case", "unknown")

# codeMinor values. 1.1 spells several with spaces; 1.2 joins them.
CODE_MINOR_V1P1 = (
    "full success",
    "unknown object",
    "invalid data",
    "unauthorized",
    "forbidden",
    "server_busy",
    "invalid_sort_field",
    "invalid_filter_field",
    "invalid_selection_field",
    "invalid_blank_selection_field",
)
CODE_MINOR_V1P2 = (
    "fullsuccess",
    "invalid_filter_field",
    "invalid_selection_field",
    "invaliddata",
    "unauthorisedrequest",
    "forbidden",
    "server_busy",
    "unknownobject",
    "internal_server_error",
)
# The gradebook service also reports failed deletes and unsupported requests.
CODE_MINOR_V1P2_GRADEBOOK = CODE_MINOR_V1P2 + ("deletefailure", "invalid_sort_field", "unsupported")

CODE_MAJOR = ("success", "processing", "failure", "unsupported")
SEVERITY = ("status", "warning", "error")

# Every vocabulary a field may name in the entity tables, by short name.
NAMED = {
    "status": STATUS,
    "bool": BOOLEAN_STRING,
    "orgType": ORG_TYPE,
    "sessionType": SESSION_TYPE,
    "classType": CLASS_TYPE,
    "enrollmentRole": ENROLLMENT_ROLE,
    "scoreStatus": SCORE_STATUS,
    "importance": IMPORTANCE,
    "userRoleV1p1": USER_ROLE_V1P1,
    "userRoleV1p2": USER_ROLE_V1P2,
    "resourceRole": RESOURCE_ROLE,
    "roleType": ROLE_TYPE,
    "sexV1p1": SEX_V1P1,
    "sexV1p2": SEX_V1P2,
    "learningObjectiveSource": LEARNING_OBJECTIVE_SOURCE,
}

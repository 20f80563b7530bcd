"""What OneRoster serves where a source left out a value the 1.2 binding requires.

OneRoster CSV and vendor exports may omit an org's identifier or a course's code, a person
written through Ed-Fi may hold no role yet, and a user profile's sourcedId is seldom a URI; the
official 1.2 document requires all of them. Each rule here is a pure function of stored rows,
documented in the README (OneRoster REST), and applies to 1.1 and 1.2 alike:

* org `identifier`: the org's sourcedId;
* course `courseCode`: the course's sourcedId (as Ed-Fi's courseCode);
* a user holding no role: one role per school of its active enrollments (primary, the
  enrollment's role as a user role); else one primary role at its primaryOrg, else at the
  district (the first district org by sourcedId), as its Ed-Fi person kind says (student,
  guardian for a contact, `ext:staff`), else `ext:unassigned`;
* `profileId` and a role's `userProfile`: the profile's sourcedId when it already is an absolute
  URI, else `urn:school-data-gateway:userProfile:` and the sourcedId percent-encoded.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from rfc3986_validator import validate_rfc3986

PROFILE_URN = "urn:school-data-gateway:userProfile:"
UNASSIGNED = "ext:unassigned"
ENROLLED_AS = {"student": "student", "teacher": "teacher", "proctor": "proctor",
               "administrator": "siteAdministrator"}
PERSON_KIND_ROLE = {"student": "student", "contact": "guardian", "staff": "ext:staff"}


def org_identifier(sourced_id: str) -> str:
    return sourced_id


def course_code(sourced_id: str) -> str:
    return sourced_id


def profile_uri(sourced_id: str) -> str:
    if validate_rfc3986(sourced_id, rule="URI"):
        return sourced_id
    return PROFILE_URN + quote(sourced_id, safe="")


def add_enrolled_role(roles: list[dict[str, Any]], school: str, enrollment_role: str) -> None:
    """One role per school: the first enrollment there says which (one primary role per org)."""
    if any(r["org"] == school for r in roles):
        return
    roles.append({"roleType": "primary", "org": school,
                  "role": ENROLLED_AS.get(enrollment_role, enrollment_role)})


def person_role(user: dict[str, Any], org: str) -> dict[str, Any]:
    return {"roleType": "primary", "org": org,
            "role": PERSON_KIND_ROLE.get(str(user.get("personKind")), UNASSIGNED)}

"""Canonical (OneRoster) roles as LTI role URIs (LTI Core appendix A.2). Full URIs always:
tools must accept short names, but platforms should not send them."""

from __future__ import annotations

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
MEMBERSHIP = LIS + "membership#"
INSTITUTION = LIS + "institution/person#"
SYSTEM = LIS + "system/person#"

# Enrollment role in the class -> context (membership) role.
CONTEXT_ROLES = {
    "student": MEMBERSHIP + "Learner",
    "teacher": MEMBERSHIP + "Instructor",
    "administrator": MEMBERSHIP + "Administrator",
    "proctor": LIS + "membership/Instructor#Grader",
    "aide": LIS + "membership/Instructor#TeachingAssistant",
    # not an enrollment role: a guardian launching into a child's class (see roster.mentor)
    "mentor": MEMBERSHIP + "Mentor",
}
# A user's role at an org -> institution role.
INSTITUTION_ROLES = {
    "student": INSTITUTION + "Student",
    "teacher": INSTITUTION + "Instructor",
    "aide": INSTITUTION + "Staff",
    "proctor": INSTITUTION + "Staff",
    "administrator": INSTITUTION + "Administrator",
    "districtAdministrator": INSTITUTION + "Administrator",
    "siteAdministrator": INSTITUTION + "Administrator",
    "principal": INSTITUTION + "Administrator",
    "counselor": INSTITUTION + "Staff",
    "guardian": INSTITUTION + "Mentor",
    "parent": INSTITUTION + "Mentor",
    "relative": INSTITUTION + "Mentor",
}
SYSTEM_ROLES = {"systemAdministrator": SYSTEM + "Administrator"}


def context_role(enrollment_role: str) -> str:
    return CONTEXT_ROLES.get(enrollment_role, MEMBERSHIP + "Member")


def launch_roles(enrollment_role: str, user_roles: list[str]) -> list[str]:
    """The roles claim: the context role first, then institution and system roles."""
    found = [context_role(enrollment_role)]
    for role in user_roles:
        uri = INSTITUTION_ROLES.get(role) or SYSTEM_ROLES.get(role)
        if uri and uri not in found:
            found.append(uri)
    return found


def enrollment_roles_for(filter_value: str) -> tuple[str, ...] | None:
    """The enrollment roles an NRPS `role` filter (a full URI or a short context role name,
    compared case-insensitively: pylti1p3 lowercases paging URLs) selects; None when it names
    no role we serve (the answer is then an empty page)."""
    wanted = filter_value.strip().casefold()
    found = tuple(role for role, uri in CONTEXT_ROLES.items()
                  if wanted in (uri.casefold(), uri.rsplit("#", 1)[1].casefold()))
    return found or None

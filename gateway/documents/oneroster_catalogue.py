"""How canonical families appear on the OneRoster wire, per version: envelope keys, GUIDRef
types and targets, and which fields each version carries (1.1 is a projection of 1.2)."""

from __future__ import annotations

from dataclasses import dataclass

from adapters.canonical import FAMILIES

V1P1, V1P2 = "1.1", "1.2"

# family -> (collection key, single key)
ENVELOPES: dict[str, tuple[str, str]] = {
    "orgs": ("orgs", "org"),
    "academicSessions": ("academicSessions", "academicSession"),
    "courses": ("courses", "course"),
    "classes": ("classes", "class"),
    "users": ("users", "user"),
    "enrollments": ("enrollments", "enrollment"),
    "demographics": ("demographics", "demographics"),
    "categories": ("categories", "category"),
    "lineItems": ("lineItems", "lineItem"),
    "results": ("results", "result"),
    "scoreScales": ("scoreScales", "scoreScale"),
    "resources": ("resources", "resource"),
}


@dataclass(frozen=True)
class RefTarget:
    service: str  # rostering | gradebook | resources
    collection: str
    type: str


REF_TARGETS: dict[str, RefTarget] = {
    "orgs": RefTarget("rostering", "orgs", "org"),
    "academicSessions": RefTarget("rostering", "academicSessions", "academicSession"),
    "courses": RefTarget("rostering", "courses", "course"),
    "classes": RefTarget("rostering", "classes", "class"),
    "users": RefTarget("rostering", "users", "user"),
    "categories": RefTarget("gradebook", "categories", "category"),
    "lineItems": RefTarget("gradebook", "lineItems", "lineItem"),
    "scoreScales": RefTarget("gradebook", "scoreScales", "scoreScale"),
    "results": RefTarget("gradebook", "results", "result"),
    "resources": RefTarget("resources", "resources", "resource"),
}

BASE_FIELDS = ("sourcedId", "status", "dateLastModified")

# Fields 1.2 has and 1.1 does not (per family), and 1.1 renames (1.1 name -> canonical name).
ONLY_V1P2: dict[str, frozenset[str]] = {
    "users": frozenset(
        {
            "userMasterIdentifier",
            "preferredFirstName",
            "preferredMiddleName",
            "preferredLastName",
            "primaryOrg",
            "pronouns",
            "roles",
            "userProfiles",
        }
    ),
    "categories": frozenset({"weight"}),
    "lineItems": frozenset({"school"}),
    "results": frozenset({"textScore", "class", "inProgress", "incomplete", "late", "missing"}),
}
V1P1_RENAMES: dict[str, dict[str, str]] = {"lineItems": {"gradingPeriod": "academicSession"}}
# 1.1 user fields derived from 1.2 roles.
V1P1_USER_DERIVED = ("role", "orgs")
USER_DERIVED_V1P2 = ("roles", "userProfiles")
# Fields both versions derive from other rows of the family: an org's or a session's children.
CHILDREN = {"orgs": ("children",), "academicSessions": ("children",)}

# 1.2 user roles -> the 1.1 user role vocabulary.
V1P1_ROLE = {
    "districtAdministrator": "administrator",
    "siteAdministrator": "administrator",
    "systemAdministrator": "administrator",
    "principal": "administrator",
    "counselor": "administrator",
}


def wire_fields(family: str, version: str) -> tuple[str, ...]:
    """Every field a full object of `family` may carry in `version`, in output order."""
    names = [f.name for f in FAMILIES[family].fields if f.oneroster]
    names += list(CHILDREN.get(family, ()))
    if family == "users":
        names += list(USER_DERIVED_V1P2)
    if version == V1P1:
        drop = ONLY_V1P2.get(family, frozenset())
        renames = {v: k for k, v in V1P1_RENAMES.get(family, {}).items()}
        names = [renames.get(n, n) for n in names if n not in drop]
        if family == "users":
            names += list(V1P1_USER_DERIVED)
    return BASE_FIELDS + tuple(names)


def canonical_name(family: str, version: str, wire: str) -> str:
    """The canonical field (for allowlists) behind a wire field."""
    if version == V1P1:
        if family == "users" and wire in V1P1_USER_DERIVED:
            return "roles"
        return V1P1_RENAMES.get(family, {}).get(wire, wire)
    return wire

"""OAuth 2 scopes per OneRoster version and the scope groups the operation table names.

A group is a list of alternatives: a token holding any one of them may call the
operation. (The published 1.2 files list both scopes in one requirement, which in
OpenAPI would mean *both* are needed; the standard's prose says either suffices.)
"""

PREFIX = {
    "11": "https://purl.imsglobal.org/spec/or/v1p1/scope/",
    "12": "https://purl.imsglobal.org/spec/or/v1p2/scope/",
}

DESCRIPTIONS = {
    "roster-core.readonly": "Read the core rostering collections and single objects.",
    "roster.readonly": "Read every rostering collection and object except demographics.",
    "roster-demographics.readonly": "Read demographics records.",
    "gradebook-core.readonly": "Read categories, line items, results and score scales.",
    "gradebook.readonly": "Read every gradebook collection and object.",
    "gradebook.createput": "Create or replace gradebook objects with PUT.",
    "gradebook.createpost": "Create gradebook objects in bulk with POST.",
    "gradebook.delete": "Delete gradebook objects.",
    "resource-core.readonly": "Read resources and single resources.",
    "resource.readonly": "Read every resources collection and object.",
}

_SAME_IN_BOTH = {
    "core": [["roster-core.readonly"], ["roster.readonly"]],
    "roster": [["roster.readonly"]],
    "demographics": [["roster-demographics.readonly"]],
    "gradebook": [["gradebook.readonly"]],
    "createput": [["gradebook.createput"]],
    "createpost": [["gradebook.createpost"]],
    "delete": [["gradebook.delete"]],
    "resource": [["resource.readonly"]],
}

# The "-core" gradebook and resource scopes arrived with 1.2.
_BY_VERSION = {
    "11": {
        "gradebook-core": [["gradebook.readonly"]],
        "resource-core": [["resource.readonly"]],
    },
    "12": {
        "gradebook-core": [["gradebook-core.readonly"], ["gradebook.readonly"]],
        "resource-core": [["resource-core.readonly"], ["resource.readonly"]],
    },
}


def alternatives(version: str, group: str) -> list[list[str]]:
    """Full scope URIs, one list per acceptable alternative."""
    table = {**_SAME_IN_BOTH, **_BY_VERSION[version]}
    if group not in table:
        raise KeyError(f"unknown scope group {group!r} for OneRoster {version}")
    return [[PREFIX[version] + name for name in option] for option in table[group]]


def describe(scope_uri: str) -> str:
    return DESCRIPTIONS[scope_uri.rsplit("/", 1)[1]]

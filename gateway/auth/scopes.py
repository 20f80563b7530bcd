"""The scope catalogue: every OneRoster 1.1 and 1.2 scope URI, the gateway's Ed-Fi scopes, and
the bare-name aliases.

Outputs are strict (tokens always carry full URIs); inputs are tolerant (an agreement or a token
request may say `roster-core.readonly`, which means that scope in every version that has it).
"""

from __future__ import annotations

from adapters.edfi_mapping.resources import WRITABLE

ONEROSTER_V1P1 = "https://purl.imsglobal.org/spec/or/v1p1/scope/"
ONEROSTER_V1P2 = "https://purl.imsglobal.org/spec/or/v1p2/scope/"

V1P1_NAMES = (
    "roster-core.readonly", "roster.readonly", "roster-demographics.readonly",
    "resource.readonly", "gradebook.readonly", "gradebook.createput", "gradebook.delete",
)
V1P2_NAMES = (
    "roster-core.readonly", "roster.readonly", "roster-demographics.readonly",
    "gradebook-core.readonly", "gradebook.readonly", "gradebook.createput",
    "gradebook.createpost", "gradebook.delete", "resource-core.readonly", "resource.readonly",
    "assessment.readonly", "assessment.createput", "assessment.delete",
)

# Ed-Fi has no OAuth scope vocabulary of its own (the ODS/API grants by claim set); these are
# the gateway's: `edfi.readonly` reads every served resource the agreement lets the app see,
# `edfi.write` writes every writable resource, `edfi.write.{resource}` only that resource.
# The writable resources are read from the resource table (adapters/edfi_mapping), never
# listed here, so a resource made writable there gets its scope without a second edit.
EDFI = "urn:school-data-gateway:scope:edfi/"
EDFI_WRITABLE: tuple[str, ...] = tuple(sorted(WRITABLE))
EDFI_WRITABLE += ("descriptors",)  # edfi.write.descriptors: every /ed-fi/{xyz}Descriptors
EDFI_READ = EDFI + "edfi.readonly"
EDFI_WRITE = EDFI + "edfi.write"
EDFI_NAMES = ("edfi.readonly", "edfi.write", *(f"edfi.write.{r}" for r in EDFI_WRITABLE))

CATALOGUE: frozenset[str] = frozenset(
    [ONEROSTER_V1P1 + n for n in V1P1_NAMES] + [ONEROSTER_V1P2 + n for n in V1P2_NAMES]
    + [EDFI + n for n in EDFI_NAMES]
)


class UnknownScope(ValueError):
    pass


def expand(scope: str) -> frozenset[str]:
    """Full URIs meant by one requested scope (a URI, or a bare name for every version)."""
    if scope in CATALOGUE:
        return frozenset({scope})
    matches = frozenset(uri for uri in CATALOGUE if uri.rsplit("/", 1)[1] == scope)
    if not matches:
        raise UnknownScope(scope)
    return matches


def expand_all(scopes: list[str] | tuple[str, ...] | set[str]) -> frozenset[str]:
    out: set[str] = set()
    for scope in scopes:
        out |= expand(scope)
    return frozenset(out)


def narrow(requested: str | None, allowed: frozenset[str]) -> frozenset[str]:
    """What a token request gets: everything `allowed` when it names no scope; otherwise the
    requested scopes (URIs or bare names) that `allowed` holds, silently dropping the rest,
    unknown names included, as RFC 6749 section 3.3 permits."""
    names = (requested or "").split()
    if not names:
        return allowed
    granted: set[str] = set()
    for name in names:
        try:
            granted |= expand(name) & allowed
        except UnknownScope:
            continue
    return frozenset(granted)

"""An app's field allowlist, read as an Ed-Fi read profile.

A property is shown when the agreement allows every canonical field it is made from (its
`sources`); identity properties (the natural key), `id`, `_etag` and `_lastModifiedDate` are
always kept. The profile is named after the agreement; a client may ask for it by media type
(`application/vnd.ed-fi.{resource}.{profile}.readable+json`), and the response's Content-Type
names the profile whenever one narrowed what it shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from adapters.edfi_mapping.resources import RESOURCES
from gateway.edfi.problems import EdFiProblem
from gateway.policy.agreement import Agreement

ALWAYS = frozenset({"id", "_etag", "_lastModifiedDate"})
_MEDIA = re.compile(r"application/vnd\.ed-fi\.([a-z0-9]+)\.([a-z0-9._-]+)\.readable\+json",
                    re.IGNORECASE)


def profile_name(agreement: Agreement) -> str:
    return re.sub(r"[^a-z0-9]+", "-", agreement.name.lower()).strip("-") or "agreement"


@dataclass(frozen=True)
class Profile:
    name: str
    shown: frozenset[str]  # top-level properties kept
    narrows: bool  # the agreement hides at least one property of this resource
    requested: bool

    def apply(self, obj: dict) -> dict:
        return {k: v for k, v in obj.items() if k in self.shown}

    def content_type(self, resource: str) -> str:
        if self.narrows or self.requested:
            return f"application/vnd.ed-fi.{resource.lower()}.{self.name}.readable+json"
        return "application/json"

    def disclosed_fields(self, resource: str) -> tuple[str, ...]:
        """Canonical `family.field` names the shown properties come from (disclosure log)."""
        res = RESOURCES[resource]
        return tuple(sorted({s for p in res.props if p.name in self.shown for s in p.sources}))


def _allowed(agreement: Agreement, source: str) -> bool:
    family, field = source.split(".")
    if not agreement.may_read_family(family):
        return False
    return field in agreement.allowed_fields(family)


def read_profile(resource: str, agreement: Agreement, accept: str | None) -> Profile:
    res = RESOURCES[resource]
    name = profile_name(agreement)
    requested = False
    match = _MEDIA.search(accept or "")
    if match:
        if match.group(1).lower() != resource.lower():
            raise EdFiProblem("security:data-policy:incorrect-usage",
                              f"the profile media type names resource {match.group(1)!r}, but "
                              f"this is {resource}")
        if match.group(2).lower() != name:
            raise EdFiProblem("security:data-policy:incorrect-usage",
                              f"profile {match.group(2)!r} is not assigned to this app; its "
                              f"profile is {name!r}")
        requested = True
    shown = set(ALWAYS)
    narrows = False
    for prop in res.props:
        if prop.identity or all(_allowed(agreement, s) for s in prop.sources):
            shown.add(prop.name)
        else:
            narrows = True
    return Profile(name, frozenset(shown), narrows, requested)

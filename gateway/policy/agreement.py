"""Data-sharing agreements: what one app may see, for what purpose, until when.

District IT writes an agreement as a small TOML file; it is validated here, stored with the app,
and consulted on every token request and every read. The default is to share as little as
possible: sensitive categories are off unless granted, and purposes that exploit student data
cannot be registered at all.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from adapters.canonical import FAMILIES
from gateway.auth.scopes import UnknownScope, expand_all

PURPOSES = frozenset({
    "instruction", "assessment", "rostering", "communication", "district-operations",
    "research", "accessibility",
})
FORBIDDEN_PURPOSES = frozenset({
    "marketing", "advertising", "targeted-advertising", "sale", "data-sale", "profiling",
    "data-brokerage",
})


def _sensitive() -> dict[str, frozenset[tuple[str, str]]]:
    """Sensitive categories, as the canonical model declares them: (family, field) pairs an
    app receives only where its agreement grants the category. A family-wide category
    (demographics) covers every field of the family."""
    found: dict[str, set[tuple[str, str]]] = {}
    for family in FAMILIES.values():
        if family.sensitive:
            found.setdefault(family.sensitive, set()).update(
                (family.name, f.name) for f in family.fields)
        for f in family.fields:
            if f.sensitive:
                found.setdefault(f.sensitive, set()).add((family.name, f.name))
    return {category: frozenset(pairs) for category, pairs in found.items()}


SENSITIVE: dict[str, frozenset[tuple[str, str]]] = _sensitive()
# A category without which a family is not served at all.
FAMILY_GATES = {f.name: f.sensitive for f in FAMILIES.values() if f.sensitive}
IDENTITY = frozenset({"sourcedId", "status", "dateLastModified"})
# Wire fields assembled from other rows: a user's roles (and 1.1 `role`/`orgs`, which are
# projections of them) and userProfiles; an org's or a session's children. They are allowlisted
# like the family's own fields.
DERIVED: dict[str, frozenset[str]] = {"users": frozenset({"roles", "userProfiles"}),
                                      "orgs": frozenset({"children"}),
                                      "academicSessions": frozenset({"children"})}


def family_fields(family: str) -> frozenset[str]:
    return frozenset(f.name for f in FAMILIES[family].fields) | DERIVED.get(family, frozenset())


class AgreementError(ValueError):
    """An agreement file is wrong; the message names the key and the reason."""


@dataclass(frozen=True)
class Agreement:
    name: str
    purpose: str
    expires: date
    scopes: frozenset[str]
    schools: frozenset[str] | None  # None: every school of the district
    sensitive: frozenset[str] = frozenset()
    fields: dict[str, frozenset[str]] = field(default_factory=dict)
    # What the app sees as per-app pseudonyms instead of the district's ids: "people" (users
    # and every row that is one person's: demographics, enrollments, results) and "classes".
    pseudonymous_ids: frozenset[str] = frozenset()
    # Ed-Fi descriptor namespaces the app may write values in (each covers its own paths);
    # empty: it writes no descriptors. The official uri://ed-fi.org is never one of them.
    descriptor_namespaces: frozenset[str] = frozenset()

    def may_write_namespace(self, namespace: str) -> bool:
        folded = namespace.casefold()
        return any(folded == ns.casefold() or folded.startswith(ns.casefold().rstrip("/") + "/")
                   for ns in self.descriptor_namespaces)

    def expired(self, today: date) -> bool:
        return today > self.expires

    def allowed_fields(self, family: str) -> frozenset[str]:
        """Canonical fields of `family` this app may receive (identity fields always)."""
        declared = self.fields.get(family)
        names = declared if declared is not None else family_fields(family)
        withheld = {
            fname for category, pairs in SENSITIVE.items() if category not in self.sensitive
            for fam, fname in pairs if fam == family
        }
        if family == "users" and "people" in self.pseudonymous_ids:
            withheld |= PSEUDONYMOUS_WITHHELD
        return IDENTITY | (names - withheld)

    def pseudonymous(self, kind: str) -> bool:
        """Whether this app is shown pseudonyms of `kind` ("people" or "classes")."""
        return kind in self.pseudonymous_ids

    def may_read_family(self, family: str) -> bool:
        gate = FAMILY_GATES.get(family)
        return gate is None or gate in self.sensitive

    def document(self) -> dict[str, Any]:
        """JSON form kept in the store."""
        return {
            "name": self.name, "purpose": self.purpose, "expires": self.expires.isoformat(),
            "scopes": sorted(self.scopes),
            "schools": None if self.schools is None else sorted(self.schools),
            "sensitive": sorted(self.sensitive),
            "fields": {k: sorted(v) for k, v in self.fields.items()},
            "pseudonymous_ids": sorted(self.pseudonymous_ids),
            "descriptor_namespaces": sorted(self.descriptor_namespaces),
        }


def from_document(doc: dict[str, Any]) -> Agreement:
    return Agreement(
        name=doc["name"], purpose=doc["purpose"], expires=date.fromisoformat(doc["expires"]),
        scopes=frozenset(doc["scopes"]),
        schools=None if doc["schools"] is None else frozenset(doc["schools"]),
        sensitive=frozenset(doc["sensitive"]),
        fields={k: frozenset(v) for k, v in doc["fields"].items()},
        pseudonymous_ids=_stored_pseudonymous(doc.get("pseudonymous_ids")),
        descriptor_namespaces=frozenset(doc.get("descriptor_namespaces", [])),
    )


_KEYS = {"name", "purpose", "expires", "scopes", "schools", "sensitive", "fields",
         "pseudonymous_ids", "descriptor_namespaces"}
OFFICIAL_EDFI_NAMESPACE = "uri://ed-fi.org"
PSEUDONYMOUS_KINDS = ("people", "classes")
# A user's fields that are the district's ids of the person under another name: a login name
# (often the SIS id or the e-mail's local part) and the profiles' credentials. An app shown
# pseudonyms of people never receives them, whatever its field allowlist says.
PSEUDONYMOUS_WITHHELD = frozenset({"username", "userProfiles"})


def _stored_pseudonymous(value: Any) -> frozenset[str]:
    """The stored form; an agreement stored before pseudonyms existed held a boolean (false)."""
    if isinstance(value, list):
        return frozenset(value)
    return frozenset({"people"}) if value else frozenset()


def _pseudonymous_ids(raw: dict[str, Any], where: str,
                      sensitive: list[str]) -> frozenset[str]:
    """`pseudonymous_ids = true` (people) or a list of kinds ("people", "classes").

    Refused with the `identifiers` category: the district's ids of a person (SIS id,
    userIds, userMasterIdentifier) would let the app, and any other app granted them, join
    what the pseudonyms keep apart; an agreement that promises both promises nothing.
    Pseudonymous classes hold on every path, Ed-Fi's included: a section's identifier and
    every reference to it carry the app's pseudonym of the class
    (gateway/policy/edfi/class_keys.py)."""
    value = raw.get("pseudonymous_ids", False)
    if isinstance(value, bool):
        kinds = frozenset({"people"}) if value else frozenset()
    elif isinstance(value, list) and all(isinstance(v, str) for v in value) \
            and set(value) <= set(PSEUDONYMOUS_KINDS):
        kinds = frozenset(value)
    else:
        raise AgreementError(f"{where}: pseudonymous_ids must be true, false or a list of "
                             f"{', '.join(repr(k) for k in PSEUDONYMOUS_KINDS)}")
    if kinds and "identifiers" in sensitive:
        raise AgreementError(f"{where}: pseudonymous_ids cannot be combined with the "
                             "'identifiers' sensitive category: the district's ids of a person "
                             "would undo the pseudonyms; grant one or the other")
    return kinds


def _descriptor_namespaces(raw: Any, where: str) -> frozenset[str]:
    """Namespaces an app may write descriptor values in: `uri://` URIs, never the official
    Ed-Fi namespace (shared by every app, read-only)."""
    if not isinstance(raw, list) or not all(isinstance(n, str) for n in raw):
        raise AgreementError(f"{where}: descriptor_namespaces must be a list of namespace URIs "
                             "(\"uri://district.example.org\")")
    for namespace in raw:
        folded = namespace.strip().casefold()
        if not folded.startswith("uri://") or "#" in folded or folded == "uri://":
            raise AgreementError(f"{where}: descriptor_namespaces: {namespace!r} is not a "
                                 "namespace URI of the form uri://authority[/path], without '#'")
        if folded.rstrip("/") == OFFICIAL_EDFI_NAMESPACE or folded.startswith(
                OFFICIAL_EDFI_NAMESPACE + "/"):
            raise AgreementError(f"{where}: descriptor_namespaces: {namespace!r} is the "
                                 "official Ed-Fi namespace, which is read-only to apps")
    return frozenset(n.strip() for n in raw)


def parse_agreement(raw: dict[str, Any], where: str = "agreement") -> Agreement:
    unknown = set(raw) - _KEYS
    if unknown:
        raise AgreementError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    for key in ("name", "purpose", "expires", "scopes"):
        if key not in raw:
            raise AgreementError(f"{where}: {key} is required")
    purpose = str(raw["purpose"]).strip().lower()
    if purpose in FORBIDDEN_PURPOSES:
        raise AgreementError(
            f"{where}: purpose {purpose!r} cannot be registered: student data may not be used "
            "for marketing, advertising, profiling or sale"
        )
    if purpose not in PURPOSES:
        raise AgreementError(f"{where}: purpose must be one of {', '.join(sorted(PURPOSES))}")
    expires = raw["expires"]
    if not isinstance(expires, date):
        try:
            expires = date.fromisoformat(str(expires))
        except ValueError:
            raise AgreementError(f"{where}: expires must be a date (YYYY-MM-DD)") from None
    scopes = raw["scopes"]
    if not isinstance(scopes, list) or not scopes:
        raise AgreementError(f"{where}: scopes must be a non-empty list")
    try:
        full_scopes = expand_all(scopes)
    except UnknownScope as exc:
        raise AgreementError(f"{where}: unknown scope {exc}") from None
    schools = raw.get("schools", "all")
    if schools != "all" and not (isinstance(schools, list) and all(
            isinstance(s, str) and s for s in schools)):
        raise AgreementError(f"{where}: schools must be \"all\" or a list of org sourcedIds")
    sensitive = raw.get("sensitive", [])
    if not isinstance(sensitive, list) or set(sensitive) - set(SENSITIVE):
        raise AgreementError(
            f"{where}: sensitive must list categories from {', '.join(sorted(SENSITIVE))}"
        )
    fields = raw.get("fields", {})
    if not isinstance(fields, dict):
        raise AgreementError(f"{where}: [fields] must be a table of family = [field, ...]")
    allow: dict[str, frozenset[str]] = {}
    for family, names in fields.items():
        if family not in FAMILIES:
            raise AgreementError(f"{where}: fields.{family}: unknown family")
        known = family_fields(family) | IDENTITY
        if not isinstance(names, list) or set(names) - known:
            bad = sorted(set(names) - known) if isinstance(names, list) else names
            raise AgreementError(f"{where}: fields.{family}: unknown field(s) {bad}")
        allow[family] = frozenset(names)
    pseudonymous = _pseudonymous_ids(raw, where, sensitive)
    return Agreement(
        name=str(raw["name"]), purpose=purpose, expires=expires, scopes=full_scopes,
        schools=None if schools == "all" else frozenset(schools),
        sensitive=frozenset(sensitive), fields=allow,
        pseudonymous_ids=pseudonymous,
        descriptor_namespaces=_descriptor_namespaces(raw.get("descriptor_namespaces", []),
                                                     where),
    )


def load_agreement(path: Path) -> Agreement:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AgreementError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise AgreementError(f"{path}: {exc}") from None
    return parse_agreement(raw, str(path))

"""The agreement form: what the console shows of an agreement, and the agreement a submitted
form describes (validated by the same `parse_agreement` as an agreement file, so the console
cannot register what the CLI would refuse).

The field allowlist is exactly what is ticked; a sensitive field (contact details, identifiers,
birth date, every demographics field) is shown as such, unticked on a new agreement, and is
sent only where its category is granted too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.datastructures import MultiDict

from adapters.canonical import FAMILIES
from gateway.auth.scopes import V1P1_NAMES, V1P2_NAMES
from gateway.policy.agreement import (
    IDENTITY,
    PSEUDONYMOUS_KINDS,
    PURPOSES,
    SENSITIVE,
    Agreement,
    family_fields,
    parse_agreement,
)

SCOPE_NAMES = tuple(dict.fromkeys((*V1P2_NAMES, *V1P1_NAMES, "edfi.readonly", "edfi.write")))
SENSITIVE_OF: dict[tuple[str, str], str] = {pair: category for category, pairs
                                            in SENSITIVE.items() for pair in pairs}


@dataclass(frozen=True)
class FieldChoice:
    name: str
    sensitive: str | None
    checked: bool


@dataclass(frozen=True)
class FamilyChoice:
    family: str
    gate: str | None
    fields: tuple[FieldChoice, ...]


def _bare(scope: str) -> str:
    return scope.rsplit("/", 1)[-1]


def form_values(agreement: Agreement | None, app_name: str = "") -> dict[str, Any]:
    """What the form shows: an existing agreement's terms, or a new one's defaults (nothing
    sensitive, a year from today)."""
    families = []
    for family in FAMILIES.values():
        choices = []
        for name in sorted(family_fields(family.name) - IDENTITY):
            sensitive = SENSITIVE_OF.get((family.name, name))
            if agreement is None:
                checked = sensitive is None
            else:
                checked = name in agreement.allowed_fields(family.name)
            choices.append(FieldChoice(name, sensitive, checked))
        families.append(FamilyChoice(family.name, family.sensitive, tuple(choices)))
    expires = (datetime.now(UTC).date() + timedelta(days=365)) if agreement is None \
        else agreement.expires
    return {
        "app_name": app_name,
        "agreement_name": agreement.name if agreement else "",
        "purpose": agreement.purpose if agreement else "instruction",
        "purposes": sorted(PURPOSES),
        "expires": expires.isoformat(),
        "scope_names": SCOPE_NAMES,
        "scopes": set() if agreement is None else {_bare(s) for s in agreement.scopes},
        "all_schools": agreement is None or agreement.schools is None,
        "schools_chosen": set() if agreement is None or agreement.schools is None
        else set(agreement.schools),
        "categories": sorted(SENSITIVE),
        "sensitive": set() if agreement is None else set(agreement.sensitive),
        "families": families,
        "pseudonymous_kinds": PSEUDONYMOUS_KINDS,
        "pseudonymous": set() if agreement is None else set(agreement.pseudonymous_ids),
    }


class FormError(ValueError):
    pass


def agreement_from_form(form: MultiDict) -> Agreement:
    """The agreement the form describes, or AgreementError / FormError naming the field."""
    sensitive = form.getlist("sensitive")
    fields: dict[str, list[str]] = {}
    for family in FAMILIES.values():
        every = family_fields(family.name) - IDENTITY
        ticked = set(form.getlist(f"fields.{family.name}")) & every
        for name in sorted(ticked):
            category = SENSITIVE_OF.get((family.name, name))
            if category is not None and category not in sensitive:
                raise FormError(f"{family.name}.{name} is in the sensitive category "
                                f"{category!r}: grant the category too, or untick the field")
        if ticked != every:
            fields[family.name] = sorted(ticked)
    raw: dict[str, Any] = {
        "name": form.get("agreement_name", "").strip(),
        "purpose": form.get("purpose", ""),
        "expires": form.get("expires", ""),
        "scopes": form.getlist("scopes"),
        "schools": "all" if form.get("schools_mode", "all") == "all"
        else form.getlist("schools"),
        "sensitive": sensitive,
        "fields": fields,
        "pseudonymous_ids": form.getlist("pseudonymous_ids"),
    }
    if not raw["name"]:
        raise FormError("the agreement needs a name")
    if raw["schools"] != "all" and not raw["schools"]:
        raise FormError("choose at least one school, or every school")
    return parse_agreement(raw, "agreement")

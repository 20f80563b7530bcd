"""Pseudonymous classes on Ed-Fi: the section keys an app under an agreement with
`pseudonymous_ids = [..., "classes"]` is shown, and the district's keys behind the ones it sends.

Ed-Fi names a class by its section's natural key (localCourseCode, schoolId, schoolYear,
sectionIdentifier, sessionName) and its course offering's (the same without sectionIdentifier).
The district's values of two of those parts are, or may be, its class ids: a section identifier
falls back to the class's sourcedId, and so does a course code (adapters/edfi_mapping/
derived_keys.py). Such an app is shown instead:
- as every section's `sectionIdentifier` (in sections and in every sectionReference): the app's
  pseudonym of the class (gateway/policy/pseudonyms.py, kind "classes"), the very value its
  OneRoster reads show as the class's sourcedId and LTI as its course_section_sourcedid. Always,
  not only where the identifier falls back to the sourcedId: an Ed-Fi source's section
  identifier is the district's key of the class as much as its sourcedId is.
- as a `localCourseCode` that is a class's sourcedId (the fallback, or a code an app wrote by
  copying one): the app's pseudonym of that class. Other codes (a class code, an Ed-Fi source's
  local course code) are shown as they are, as OneRoster shows a class's classCode.

What the app sends back (query by example, the keys of section references in write bodies) is
mapped to the district's values. A value that is not one of its pseudonyms names nothing: the
district's own section identifier answers exactly as an unknown one does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, false

from adapters.edfi_mapping import derived_keys
from adapters.edfi_mapping.resources import RESOURCES
from gateway.model import ROSTER_TABLES
from gateway.policy.edfi.lookups import Lookups
from gateway.policy.edfi.offerings import offering_code
from gateway.policy.shown_ids import ShownIds

CLASSES = ROSTER_TABLES["classes"]
SECTION, CODE = "sectionIdentifier", "localCourseCode"
# A value no section identifier or course code has (the mapping's "names nothing"): stored
# values never hold a control character (gateway/sync/validate.py), and a key part that is not
# empty still makes a complete key, so a reference to it is refused as unresolved, exactly as
# one with an unknown value.
NOWHERE = "\x1fnothing"
# A value the app sent -> the class its pseudonym names (None: none); None: district keys.
ClassOf = Callable[[str], str | None] | None


@dataclass(frozen=True)
class ClassKeys:
    """How one app's class keys read: `shown` renders a class's pseudonym, `class_of` maps
    one back to the class (both None: the district's own keys)."""

    shown: Callable[[str], str] | None = None
    class_of: ClassOf = None


def class_keys(shown: ShownIds | None) -> ClassKeys:
    """The app's class pseudonyms when its agreement asks for them: the ones OneRoster and
    LTI show it (one `ShownIds` map per app and kind)."""
    if shown is None or not shown.active("classes"):
        return ClassKeys()
    ids = shown

    def of(sourced_id: str) -> str:
        return ids.shown("classes", sourced_id)

    def back(value: str) -> str | None:
        return ids.real("classes", value) or None

    return ClassKeys(of, back)


def shown_section_identifier(shown: Callable[[str], str] | None, class_id: str,
                             data: dict[str, Any]) -> str:
    if shown is not None:
        return shown(class_id)
    return derived_keys.section_identifier(class_id, data)


def shown_course_code(shown: Callable[[str], str] | None, look: Lookups, class_id: str,
                      data: dict[str, Any]) -> str:
    code = derived_keys.local_course_code(class_id, data)
    if shown is not None and (code == class_id or look.is_class(code)):
        return shown(code)
    return code


def preload(look: Lookups, datas: list[tuple[str, dict[str, Any]]]) -> None:
    """Before a page renders course codes for an app shown pseudonyms: which of the codes
    that are not their own class's sourcedId name a class, in one query."""
    look.load_class_ids(code for sid, data in datas
                        if (code := derived_keys.local_course_code(sid, data)) != sid)


def class_example(resource: str, name: str, value: str, look: Lookups,
                  class_of: ClassOf) -> ColumnElement[bool] | None:
    """Query by example on a class key part, for an app shown pseudonyms: by the class its
    pseudonym names (or nothing). None: not a class key part, or district keys (the usual
    condition applies)."""
    if class_of is None or RESOURCES[resource].family != "classes" or name not in (SECTION,
                                                                                    CODE):
        return None
    found = class_of(value)
    if name == SECTION:
        return false() if found is None else CLASSES.c.sourced_id == found
    if found is not None:  # a code shown as a pseudonym is the sourcedId of the class it names
        return offering_code(CLASSES) == found
    if look.is_class(value):  # a district class id: shown to this app only as a pseudonym
        return false()
    return None


@dataclass
class DistrictKeys:
    """A write body's class key parts mapped to the district's values; `named` keeps, per
    district section identifier (casefolded), the classes the app named by pseudonym, so that
    a section found by that identifier is accepted only if it is the one the app named."""

    named: dict[str, set[str]] = field(default_factory=dict)

    def names(self, class_id: str, key: dict[str, Any]) -> bool:
        """Whether the app named this class by the section key it sent."""
        value = key.get(SECTION)
        return value is None or class_id in self.named.get(str(value).casefold(), set())


def district_keys(body: Any, look: Lookups, class_of: Callable[[str], str | None],  # noqa: ANN401
                  mapped: DistrictKeys) -> Any:  # noqa: ANN401
    """`body` with every section identifier and course code (at any depth: the section's own,
    its references') as the district spells it."""
    def section(value: str) -> str:
        found = class_of(value)
        if found is None:
            return NOWHERE
        district = derived_keys.section_identifier(found, look.row("classes", found))
        mapped.named.setdefault(district.casefold(), set()).add(found)
        return district

    def code(value: str) -> str:
        found = class_of(value)
        if found is not None:
            return found
        return NOWHERE if look.is_class(value) else value

    def walk(value: Any) -> Any:  # noqa: ANN401
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if k == SECTION and isinstance(v, str):
                    out[k] = section(v)
                elif k == CODE and isinstance(v, str):
                    out[k] = code(v)
                else:
                    out[k] = walk(v)
            return out
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return walk(body)


# The key-change log (gateway/edfi/writes.py) holds the district's keys; each entry of a
# resource keyed by a class also names the class under this member, so that the key can be
# shown with that class's pseudonym even after the row moved to another class.
LOGGED_CLASS = "@class"


def class_named(resource: str, sourced_id: str, data: dict[str, Any]) -> str | None:
    """The class whose keys are part of this item's natural key (None: no class)."""
    family = RESOURCES[resource].family
    if family == "classes":
        return sourced_id
    if family == "enrollments":
        return data.get("class")
    return None


def logged(key: dict[str, Any], class_id: str | None) -> dict[str, Any]:
    """A key as the log keeps it: with the class it names."""
    return key if class_id is None else {**key, LOGGED_CLASS: class_id}


def shown_logged(key: dict[str, Any], current: str | None,
                 shown: Callable[[str], str] | None, look: Lookups) -> dict[str, Any]:
    """A logged key as the app is shown keys: without the log's own member, and with its
    class's pseudonym in the section key parts where it is shown pseudonyms (`current`: the
    row's class now, for entries logged without one)."""
    key = dict(key)
    class_id = key.pop(LOGGED_CLASS, None) or current
    if shown is None or class_id is None:
        return key
    if SECTION in key:
        key[SECTION] = shown(class_id)
    code = key.get(CODE)
    if isinstance(code, str) and (code == class_id or look.is_class(code)):
        key[CODE] = shown(code)
    return key

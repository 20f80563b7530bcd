"""Ed-Fi query by example as SQL on a resource's canonical table, ANDed after the policy's own
predicate by the read engine (so paging and Total-Count stay honest).

gateway/edfi/query.py decides which parameters are properties the app may query (the field
policy: a property its profile hides is refused like one that does not exist); this module
turns each into a condition. A person's unique id compares with what the app is shown: the
district's id where the agreement grants identifiers, else the app's pseudonym (`persons`
maps a pseudonym back; the district's id then matches nothing, as an unknown id does). So
does a section identifier or course code of an app shown pseudonyms of classes (`class_of`,
gateway/policy/edfi/class_keys.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Table, false, func, select

from adapters.edfi_mapping.resources import REFERENCES, RESOURCES, Resource
from gateway.model import ROSTER_TABLES
from gateway.model.columns import indexed_column
from gateway.policy.edfi.class_keys import ClassOf, class_example
from gateway.policy.edfi.lookups import Lookups
from gateway.store.json_fields import json_text

USERS = ROSTER_TABLES["users"]
UNIQUE = ("studentUniqueId", "staffUniqueId", "contactUniqueId", "parentUniqueId")
_EDORG = ("schoolId", "localEducationAgencyId", "educationOrganizationId")
_PERSON_REF = {"roles": "user_id", "enrollments": "user_id"}
_EDORG_REF = {"roles": "org_id", "courses": "org_id", "classes": "school_id",
              "enrollments": "school_id"}
# A pseudonym -> the person's sourcedId (None: an unknown pseudonym); None: district ids.
PersonOf = Callable[[str], str | None] | None


class ExampleError(ValueError):
    """A query-by-example value this resource cannot be queried with (a 400)."""


def table_of(resource: str) -> Table:
    return ROSTER_TABLES[RESOURCES[resource].family]


def example_condition(resource: str, name: str, value: str, look: Lookups,
                      person_of: PersonOf = None,
                      class_of: ClassOf = None) -> ColumnElement[bool]:
    res = RESOURCES[resource]
    table = table_of(resource)
    by_class = class_example(resource, name, value, look, class_of)
    if by_class is not None:
        return by_class
    if name in UNIQUE:
        if person_of is None:
            people: Any = select(USERS.c.sourced_id).where(func.coalesce(
                json_text(USERS.c.data, "identifier"), USERS.c.sourced_id) == value)
        else:
            person = person_of(value)
            people = [] if person is None else [person]
        if res.family == "users":
            return table.c.sourced_id.in_(people) if people != [] else false()
        if res.family in _PERSON_REF:
            column = table.c[_person_column(res, name)]
            return column.in_(people) if people != [] else false()
    if name in _EDORG:
        try:
            orgs = look.orgs_with_id(int(value))
        except ValueError:
            raise ExampleError(f"{name} must be an integer, got {value!r}") from None
        if res.family == "orgs":
            return table.c.sourced_id.in_(orgs)
        if res.family in _EDORG_REF:
            return table.c[_EDORG_REF[res.family]].in_(orgs)
    prop = res.prop(name)
    if prop is not None and len(prop.sources) == 1:
        family, field = prop.sources[0].split(".")
        if family == res.family:
            if prop.kind == "integer" and not value.lstrip("-").isdigit():
                raise ExampleError(f"{name} must be an integer, got {value!r}")
            return json_text(table.c.data, field) == value
    raise ExampleError(f"query by {name} is not supported on {resource}")


def _person_column(res: Resource, unique: str) -> str:
    """The column of the person a unique id names: the reference's own source field (a contact
    association names its student in `roles.student`), else the row's user."""
    for prop in res.identity_props:
        parts = {k for k, _ in REFERENCES.get(prop.reference or "", ("", ()))[1]}
        if unique in parts and len(prop.sources) == 1:
            return indexed_column(prop.sources[0].split(".")[1], "ref")
    return _PERSON_REF[res.family]


def version_window(column: ColumnElement, low: int | None,
                   high: int | None) -> list[ColumnElement[bool]]:
    """minChangeVersion / maxChangeVersion (both inclusive) as predicates on `column`."""
    where = []
    if low is not None:
        where.append(column >= low)
    if high is not None:
        where.append(column <= high)
    return where


def changed_between(resource: str, low: int | None,
                    high: int | None) -> list[ColumnElement[bool]]:
    """A collection's change-version window, on the resource's own rows."""
    return version_window(table_of(resource).c.change_version, low, high)

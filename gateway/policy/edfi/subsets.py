"""Which canonical rows a resource covers, as SQL on the family's own table: the resource
catalogue's `Subset` made concrete. ANDed with the policy layer's predicate, never instead of it."""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, or_, true

from adapters.edfi_mapping.resources import PERSON_KINDS, RESOURCES
from gateway.model import ROSTER_TABLES
from gateway.model.columns import indexed_column
from gateway.policy.edfi.offerings import representative
from gateway.store.json_fields import json_text

ROLES = ROSTER_TABLES["roles"]


def subset(resource: str, *, any_status: bool = False) -> ColumnElement[bool]:
    """`any_status`: also count tombstoned roles (a deleted student's roles are deleted too)."""
    res = RESOURCES[resource]
    table = ROSTER_TABLES[res.family]
    if resource == "courseOfferings":  # one per natural key, not one per class
        return representative(table)
    if res.subset is None:
        return true()
    values = sorted(res.subset.values)
    if res.family != "users":
        rows = table.c[res.subset.field].in_(values)
        if res.subset.present is not None:  # e.g. contact roles towards one student
            rows = rows & table.c[indexed_column(res.subset.present, "ref")].is_not(None)
        return rows
    roles = ROLES.alias("edfi_roles")
    holds_role = exists().where(roles.c.user_id == table.c.sourced_id, roles.c.role.in_(values))
    if not any_status:
        holds_role = holds_role.where(roles.c.status == "active")
    return or_(holds_role, json_text(table.c.data, "personKind") == PERSON_KINDS[resource])

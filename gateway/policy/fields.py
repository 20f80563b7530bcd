"""Which wire fields one app may filter, sort and select, and the SQL behind each.

A field outside the app's agreement is treated exactly like an unknown field: it can be neither
returned, nor filtered or sorted on (a filter on a hidden field would leak it one bit at a time).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Float, Table, cast, exists

from adapters.canonical import FAMILIES
from gateway.documents.oneroster_catalogue import V1P1, V1P1_ROLE, canonical_name, wire_fields
from gateway.model import LINK_TABLES, ROSTER_TABLES
from gateway.model.columns import indexed_column
from gateway.policy.agreement import Agreement
from gateway.policy.filter_sql import FilterField, InvalidFilterValue, compare, list_field
from gateway.policy.pseudonym_order import ORDER, ordered, ref_sort_key
from gateway.policy.scoping import Scope
from gateway.policy.shown_ids import OWN_KIND, REF_KIND, ShownIds
from gateway.store.json_fields import json_list_contains, json_text

ROLES = ROSTER_TABLES["roles"]
_SCALAR_KIND = {
    "string": "string",
    "enum": "string",
    "year": "string",
    "ref": "string",
    "date": "date",
    "datetime": "datetime",
    "bool": "bool",
    "number": "number",
}


class FieldRules:
    """The wire fields of one family, in one version, for one app."""

    def __init__(self, family: str, version: str, agreement: Agreement,
                 scope: Scope | None = None, shown: ShownIds | None = None) -> None:
        """`scope`, when given, bounds what a filter through a reference may reach to what the
        app may see (without it, only fields of the row itself are filterable safely).
        `shown`, for an app under a pseudonymous agreement: ids in filters are its
        pseudonyms, compared as the district's ids they stand for."""
        self.family = family
        self.agreement = agreement
        self.shown = shown
        self.scope = scope
        self.version = version
        self.table: Table = ROSTER_TABLES[family]
        allowed = agreement.allowed_fields(family)
        self.visible = tuple(
            w for w in wire_fields(family, version) if canonical_name(family, version, w) in allowed
        )
        self._visible = frozenset(self.visible)
        self._fields = FAMILIES[family].by_name

    def known(self, wire: str) -> bool:
        return wire in self._visible

    def sortable(self, wire: str) -> bool:
        return self.sort_expr(wire) is not None

    # -- filter ------------------------------------------------------------------------------
    def resolve(self, path: str) -> FilterField | None:
        found = self._resolve(path)
        if found is None or self.shown is None:
            return found
        kind = self._id_kind(path)
        if not self.shown.active(kind):
            return found
        return _pseudonymous(found, self.shown, kind)

    def _id_kind(self, path: str) -> str | None:
        """The kind of pseudonym a filter path compares (None: not an id)."""
        head, _, rest = path.partition(".")
        if head == "sourcedId" and not rest:
            return OWN_KIND.get(self.family)
        field = self._fields.get(canonical_name(self.family, self.version, head))
        if field is not None and field.kind in ("ref", "refs") and rest in ("", "sourcedId"):
            return REF_KIND.get(field.target or "")
        return None

    def _resolve(self, path: str) -> FilterField | None:
        head, _, rest = path.partition(".")
        if not self.known(head):
            return None
        table = self.table
        if head == "sourcedId" and not rest:
            return FilterField(table.c.sourced_id)
        if head == "status" and not rest:
            return FilterField(table.c.status)
        if head == "dateLastModified" and not rest:
            return FilterField(table.c.date_last_modified, "datetime")
        if self.family == "users" and head in ("role", "orgs", "roles"):
            return self._role_field(head, rest)
        name = canonical_name(self.family, self.version, head)
        field = self._fields.get(name)
        if field is None:
            return None
        if field.kind in ("ref", "refs") and rest not in ("", "sourcedId"):
            return None
        if field.kind not in ("ref", "refs") and rest:
            return None
        return self._canonical_field(field)

    def _canonical_field(self, field) -> FilterField | None:  # noqa: ANN001
        table = self.table
        if field.indexed:
            return FilterField(table.c[indexed_column(field.name, field.kind)])
        if field.kind in _SCALAR_KIND:
            return FilterField(json_text(table.c.data, field.name), _SCALAR_KIND[field.kind])
        if field.linked:
            link = LINK_TABLES[self.family][field.name]
            condition = link.c.owner_id == table.c.sourced_id
            if self.scope is not None and field.target is not None:
                condition = condition & link.c.target_id.in_(self.scope.visible_ids(field.target))
            return list_field(condition, link.c.target_id)
        if field.kind in ("strings", "enums"):
            return FilterField(None, "list", list_predicate=self._json_list(field.name))
        return None

    def _json_list(self, name: str):  # noqa: ANN202
        data = self.table.c.data

        def predicate(op: str, value: str) -> ColumnElement[bool]:
            if op == "=":
                return json_list_contains(data, name, value)
            if op == "!=":
                return ~json_list_contains(data, name, value)
            raise InvalidFilterValue(f"{name} is a list: only = and != apply")

        return predicate

    def _role_field(self, head: str, rest: str) -> FilterField | None:
        """1.1 `role` and `orgs.sourcedId`, 1.2 `roles.role` / `roles.org.sourcedId`."""
        user_id = self.table.c.sourced_id
        roles = ROLES.alias("filter_roles")
        link = (roles.c.user_id == user_id) & (roles.c.status == "active")
        if self.scope is not None:
            link = link & self.scope.roles_visible_on(roles)
        if (head, rest) == ("orgs", "sourcedId") and self.version == V1P1:
            return list_field(link, roles.c.org_id)
        if (head, rest) == ("roles", "org.sourcedId") and self.version != V1P1:
            return list_field(link, roles.c.org_id)
        if (head, rest) == ("roles", "role") and self.version != V1P1:
            return list_field(link, roles.c.role)
        if (head, rest) == ("role", "") and self.version == V1P1:

            def predicate(op: str, value: str) -> ColumnElement[bool]:
                names = [v for v, old in V1P1_ROLE.items() if old == value] + [value]
                if op not in ("=", "!="):
                    compare(roles.c.role, "string", op, value)  # validates the value
                    return exists().where(link, compare(roles.c.role, "string", op, value))
                found = exists().where(
                    link, roles.c.role.in_(names), json_text(roles.c.data, "roleType") == "primary"
                )
                return found if op == "=" else ~found

            return FilterField(None, "list", list_predicate=predicate)
        return None

    # -- sort --------------------------------------------------------------------------------
    def sort_expr(self, wire: str) -> ColumnElement | None:
        """The SQL a sort key orders by. For an app shown pseudonyms, ids sort as the ids it
        is shown (gateway/policy/pseudonym_order.py): its own key of the row (the read
        engine joins it into such a listing) or of the row a reference names; the
        district's order of them is never what it sees."""
        if not self.known(wire):
            return None
        own_key = ordered(self.agreement, self.family)
        base = {
            "sourcedId": ORDER.c.sort_key if own_key else self.table.c.sourced_id,
            "status": self.table.c.status,
            "dateLastModified": self.table.c.date_last_modified,
        }
        if wire in base:
            return base[wire]
        field = self._fields.get(canonical_name(self.family, self.version, wire))
        if field is None or field.kind not in _SCALAR_KIND:
            return None
        if field.kind == "ref" and self.shown is not None and field.target is not None \
                and ordered(self.agreement, field.target):
            column = self.table.c[indexed_column(field.name, field.kind)] if field.indexed \
                else json_text(self.table.c.data, field.name)
            return ref_sort_key(self.shown.app_id, field.target, column)
        if field.indexed:
            return self.table.c[indexed_column(field.name, field.kind)]
        expr = json_text(self.table.c.data, field.name)
        return cast(expr, Float) if field.kind == "number" else expr


def _pseudonymous(found: FilterField, shown: ShownIds, kind: str | None) -> FilterField:
    """An id field as a pseudonymous app filters it: by its pseudonyms, with = and != only
    (an order or a substring of the district's ids would leak them a bit at a time)."""

    def predicate(op: str, value: str) -> ColumnElement[bool]:
        if op not in ("=", "!="):
            raise InvalidFilterValue(f"ids are pseudonyms for this app: only = and != apply, "
                                     f"not {op}")
        real = shown.real(kind, value)
        if found.list_predicate is not None:
            return found.list_predicate(op, real)
        assert found.expr is not None
        return compare(found.expr, found.kind, op, real)

    return FilterField(None, "list", list_predicate=predicate)

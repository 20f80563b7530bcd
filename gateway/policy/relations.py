"""How listed rows relate to a parent in a nested path, and typed subsets of a family, as SQL
on the family's table: the read engine ANDs them after the policy's own predicate.

The wire layers name them (OneRoster's operation table, later NRPS and the console) and pass
their parameters; only this module knows the tables behind them.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import ColumnElement, and_, exists, select

from gateway.model import LINK_TABLES, ROSTER_TABLES

T = ROSTER_TABLES
CLASSES, USERS, ORGS = T["classes"], T["users"], T["orgs"]
ROLES, ENROLLMENTS, SESSIONS = T["roles"], T["enrollments"], T["academicSessions"]
COURSES, LINE_ITEMS, RESULTS = T["courses"], T["lineItems"], T["results"]
SCORE_SCALES, RESOURCES = T["scoreScales"], T["resources"]
CLASS_TERMS = LINK_TABLES["classes"]["terms"]

Params = dict[str, str]
Relation = Callable[[Params], ColumnElement]


def subset_predicate(family: str, subset: str | None, table=None) -> ColumnElement | None:  # noqa: ANN001
    """Typed collections: /students, /teachers, /schools, /terms, /gradingPeriods."""
    if subset is None:
        return None
    if family == "users":
        table = USERS if table is None else table
        roles = ROLES.alias("subset_roles")
        return exists().where(
            roles.c.user_id == table.c.sourced_id,
            roles.c.role == subset,
            roles.c.status == "active",
        )
    if family == "orgs":
        return (ORGS if table is None else table).c.type == subset
    if family == "academicSessions":
        return (SESSIONS if table is None else table).c.type == subset
    raise ValueError(f"no subset {subset} of {family}")


# Each relation is an uncorrelated IN (subquery) on the parent's own index: the database reads
# the parent's few members first, then fetches them, where a correlated EXISTS would walk the
# whole family in sourcedId order testing each row (a class's 25 students among 200k users).
def enrolled(role: str | None, class_param: str, school_param: str | None = None) -> Relation:
    def relation(p: Params) -> ColumnElement:
        e = ENROLLMENTS.alias("rel_enrollments")
        members = select(e.c.user_id).where(e.c.class_id == p[class_param],
                                            e.c.status == "active")
        if role:
            members = members.where(e.c.role == role)
        if school_param:
            members = members.where(e.c.school_id == p[school_param])
        return USERS.c.sourced_id.in_(members)

    return relation


def classes_of_user(role: str | None, param: str) -> Relation:
    def relation(p: Params) -> ColumnElement:
        e = ENROLLMENTS.alias("rel_enrollments")
        classes = select(e.c.class_id).where(e.c.user_id == p[param], e.c.status == "active")
        if role:
            classes = classes.where(e.c.role == role)
        return CLASSES.c.sourced_id.in_(classes)

    return relation


def role_at_school(role: str) -> Relation:
    def relation(p: Params) -> ColumnElement:
        r = ROLES.alias("rel_roles")
        return USERS.c.sourced_id.in_(select(r.c.user_id).where(
            r.c.org_id == p["schoolSourcedId"], r.c.role == role, r.c.status == "active"))

    return relation


def terms_of_school(p: Params) -> ColumnElement:
    c = CLASSES.alias("rel_classes")
    return SESSIONS.c.sourced_id.in_(
        select(CLASS_TERMS.c.target_id).join(c, c.c.sourced_id == CLASS_TERMS.c.owner_id)
        .where(c.c.school_id == p["schoolSourcedId"], c.c.status == "active"))


def classes_of_term(p: Params) -> ColumnElement:
    return CLASSES.c.sourced_id.in_(select(CLASS_TERMS.c.owner_id).where(
        CLASS_TERMS.c.target_id == p["termSourcedId"]))


def categories_of_class(p: Params) -> ColumnElement:
    items = LINE_ITEMS.alias("rel_items")
    categories = T["categories"]
    return categories.c.sourced_id.in_(select(items.c.category_id).where(
        items.c.class_id == p["classSourcedId"], items.c.status == "active"))


def results_of_class(p: Params) -> ColumnElement:
    items = LINE_ITEMS.alias("rel_items")
    return RESULTS.c.line_item_id.in_(select(items.c.sourced_id).where(
        items.c.class_id == p["classSourcedId"]))


def resources_via(link_family: str, column: str, param: str) -> Relation:
    def relation(p: Params) -> ColumnElement:
        link = T[link_family].alias("rel_links")
        return RESOURCES.c.sourced_id.in_(select(link.c.resource_id).where(
            link.c[column] == p[param], link.c.status == "active"))

    return relation


def column_is(family: str, column: str, param: str) -> Relation:
    """Rows whose indexed reference column names the path's parent."""
    table = T[family]

    def relation(p: Params) -> ColumnElement:
        return table.c[column] == p[param]

    return relation


def two_columns_are(family: str, *pairs: tuple[str, str]) -> Relation:
    table = T[family]

    def relation(p: Params) -> ColumnElement:
        return and_(*(table.c[column] == p[param] for column, param in pairs))

    return relation


def results_of_line_item_in_class(p: Params) -> ColumnElement:
    return (RESULTS.c.line_item_id == p["lineItemSourcedId"]) & results_of_class(p)


def results_of_student_in_class(p: Params) -> ColumnElement:
    return (RESULTS.c.student_id == p["studentSourcedId"]) & results_of_class(p)


def class_in_school(p: Params) -> ColumnElement:
    """The path's class belongs to the path's school (a parent check, on classes)."""
    return CLASSES.c.school_id == p["schoolSourcedId"]


def enrollments_of_class(class_id: str, roles: tuple[str, ...] | None) -> ColumnElement:
    """A class's enrollments, optionally only those in some roles (LTI's roster service)."""
    where = ENROLLMENTS.c.class_id == class_id
    return where if roles is None else where & ENROLLMENTS.c.role.in_(roles)


def sourced_ids_in(family: str, ids: tuple[str, ...]) -> ColumnElement:
    """Rows named by sourcedId (the users of one roster page)."""
    return T[family].c.sourced_id.in_(ids)


def enrollments_changed_since(version: int) -> ColumnElement:
    """A class's enrollments that changed after a change version, or whose user did (a new
    name): what an NRPS differences query reports."""
    users = USERS.alias("rel_changed_users")
    return (ENROLLMENTS.c.change_version > version) | ENROLLMENTS.c.user_id.in_(
        select(users.c.sourced_id).where(users.c.change_version > version))

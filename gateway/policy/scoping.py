"""What one app may see: SQL predicates per family, from its agreement and parents' opt-outs.

Applied in the query, not after it, so paging and X-Total-Count stay honest. Every predicate is
a correlated condition on the family's own table (`ROSTER_TABLES[family]`), meant to be ANDed
with whatever the request asks for.
"""

from __future__ import annotations

import copy

from sqlalchemy import ColumnElement, Connection, exists, or_, select, true

from adapters.canonical import FAMILIES
from gateway.model import LINK_TABLES, ROSTER_TABLES, OptOut

ORGS = ROSTER_TABLES["orgs"]
USERS = ROSTER_TABLES["users"]
ROLES = ROSTER_TABLES["roles"]
ENROLLMENTS = ROSTER_TABLES["enrollments"]
CLASSES = ROSTER_TABLES["classes"]
COURSES = ROSTER_TABLES["courses"]
LINE_ITEMS = ROSTER_TABLES["lineItems"]
RESULTS = ROSTER_TABLES["results"]
SESSIONS = ROSTER_TABLES["academicSessions"]
CLASS_TERMS = LINK_TABLES["classes"]["terms"]


class MissingVisibilityRule(LookupError):
    """A family has no declared visibility rule: the gateway refuses to serve rather than fall
    back to showing every row (fail closed)."""


def check_rules() -> None:
    """Every canonical family declares its rule. Called when the web app is built and when an
    app is registered, so a family added to the model without a rule stops the gateway at
    start-up instead of opening a hole at the first read."""
    missing = sorted(f for f in FAMILIES if not callable(getattr(Scope, f"_{f}", None)))
    if missing:
        raise MissingVisibilityRule(
            "no visibility rule in gateway.policy.scoping.Scope for: " + ", ".join(missing))


class Scope:
    """The visibility rules of one app, resolved once per request. Each canonical family has a
    rule method `_<family>`; there is no default."""

    def __init__(self, conn: Connection, app_id: int, schools: frozenset[str] | None) -> None:
        self.app_id = app_id
        self.schools = None if schools is None else sorted(schools)
        self.orgs = None if schools is None else self._with_ancestors(conn, schools)

    def for_app(self, app_id: int) -> Scope:
        """The same schools (and the orgs above them, already read) for another app: the
        read engine caches the org walk per set of schools and store version."""
        scope = copy.copy(self)
        scope.app_id = app_id
        return scope

    @staticmethod
    def _with_ancestors(conn: Connection, schools: frozenset[str]) -> list[str]:
        """The granted schools and the orgs above them (their district), which an app needs to
        make sense of a school, and which carry no student data."""
        seen: set[str] = set(schools)
        frontier = set(schools)
        while frontier:
            parents = set(conn.execute(
                select(ORGS.c.parent_id).where(ORGS.c.sourced_id.in_(sorted(frontier)),
                                               ORGS.c.parent_id.is_not(None))
            ).scalars()) - seen
            seen |= parents
            frontier = parents
        return sorted(seen)

    # -- opt-outs ----------------------------------------------------------------------------
    def opted_out(self):  # noqa: ANN201
        """sourcedIds of students whose parents opted them out of this app."""
        table = OptOut.__table__
        return select(table.c.student_id).where(
            or_(table.c.app_id.is_(None), table.c.app_id == self.app_id)
        )

    def student_allowed(self, column: ColumnElement) -> ColumnElement:
        return column.not_in(self.opted_out())

    # -- values a query may reach --------------------------------------------------------------
    def visible_ids(self, family: str):  # noqa: ANN201
        """The sourcedIds of `family` this app may see, as an uncorrelated subquery: a filter on a
        reference may only match targets the app could read, or it becomes an oracle for rows
        it may not (`agents.sourcedId='<opted-out student>'`)."""
        table = ROSTER_TABLES[family]
        return select(table.c.sourced_id).where(
            table.c.status == "active", self.visible(family)).correlate(None)

    def roles_visible_on(self, roles) -> ColumnElement:  # noqa: ANN001
        """The policy on an alias of the roles table, for filters that look through a user's
        roles: a role at an org outside the agreement must not answer
        `roles.org.sourcedId='<school outside>'`."""
        allowed = roles.c.status == "active"
        return allowed if self.orgs is None else allowed & roles.c.org_id.in_(self.orgs)

    # -- per family --------------------------------------------------------------------------
    def visible(self, family: str) -> ColumnElement:
        rule = getattr(self, f"_{family}", None)
        if family not in FAMILIES or not callable(rule):
            raise MissingVisibilityRule(f"no visibility rule for family {family!r}")
        return rule()

    # District-wide families: calendars, categories, resource catalogues and descriptor values
    # name no person and belong to no single school, so every app of the district sees them.
    def _district_wide(self) -> ColumnElement:
        return true()

    _academicSessions = _district_wide  # noqa: N815
    _categories = _district_wide
    _resources = _district_wide
    _descriptors = _district_wide

    # Families that hang off another: visible exactly when their parent row is.
    def _courseResources(self) -> ColumnElement:  # noqa: N802
        return ROSTER_TABLES["courseResources"].c.course_id.in_(self.visible_ids("courses"))

    def _classResources(self) -> ColumnElement:  # noqa: N802
        return ROSTER_TABLES["classResources"].c.class_id.in_(self.visible_ids("classes"))

    def _userResources(self) -> ColumnElement:  # noqa: N802
        return ROSTER_TABLES["userResources"].c.user_id.in_(self.visible_ids("users"))

    def _lineItemLearningObjectiveIds(self) -> ColumnElement:  # noqa: N802
        table = ROSTER_TABLES["lineItemLearningObjectiveIds"]
        return table.c.line_item_id.in_(self.visible_ids("lineItems"))

    def _lineItemScoreScales(self) -> ColumnElement:  # noqa: N802
        table = ROSTER_TABLES["lineItemScoreScales"]
        return table.c.line_item_id.in_(self.visible_ids("lineItems"))

    def _resultLearningObjectiveIds(self) -> ColumnElement:  # noqa: N802
        table = ROSTER_TABLES["resultLearningObjectiveIds"]
        return table.c.result_id.in_(self.visible_ids("results"))

    def _resultScoreScales(self) -> ColumnElement:  # noqa: N802
        table = ROSTER_TABLES["resultScoreScales"]
        return table.c.result_id.in_(self.visible_ids("results"))

    def _orgs(self) -> ColumnElement:
        return true() if self.orgs is None else ORGS.c.sourced_id.in_(self.orgs)

    def _courses(self) -> ColumnElement:
        return true() if self.orgs is None else COURSES.c.org_id.in_(self.orgs)

    def _classes(self) -> ColumnElement:
        return true() if self.schools is None else CLASSES.c.school_id.in_(self.schools)

    def _users(self) -> ColumnElement:
        return self._users_on(USERS)

    def _roles(self) -> ColumnElement:
        allowed = self.student_allowed(ROLES.c.user_id) & self._role_student_visible()
        return allowed if self.orgs is None else allowed & ROLES.c.org_id.in_(self.orgs)

    def _role_student_visible(self) -> ColumnElement:
        """A contact's role towards one student (`student_id`) names that student: hidden when
        the student is opted out or holds no active role at an org the app may see, so the
        student's id never travels on a contact's row."""
        student = ROLES.c.student_id
        if self.orgs is None:
            return student.is_(None) | student.not_in(self.opted_out())
        roles = ROLES.alias("scope_student_roles")
        return student.is_(None) | (student.not_in(self.opted_out()) & exists().where(
            roles.c.user_id == student, roles.c.status == "active",
            roles.c.org_id.in_(self.orgs)))

    def _userProfiles(self) -> ColumnElement:  # noqa: N802
        table = ROSTER_TABLES["userProfiles"]
        users = USERS.alias("scope_users")
        return exists().where(users.c.sourced_id == table.c.user_id,
                              self._users_on(users))

    def _users_on(self, users) -> ColumnElement:  # noqa: ANN001
        allowed = users.c.sourced_id.not_in(self.opted_out())
        if self.orgs is None:
            return allowed
        roles = ROLES.alias("scope_roles")
        return allowed & exists().where(
            roles.c.user_id == users.c.sourced_id, roles.c.status == "active",
            roles.c.org_id.in_(self.orgs),
        )

    def _enrollments(self) -> ColumnElement:
        allowed = self.student_allowed(ENROLLMENTS.c.user_id)
        if self.schools is None:
            return allowed
        return allowed & ENROLLMENTS.c.school_id.in_(self.schools)

    def _demographics(self) -> ColumnElement:
        table = ROSTER_TABLES["demographics"]
        users = USERS.alias("scope_users")
        return exists().where(users.c.sourced_id == table.c.sourced_id, self._users_on(users))

    def _lineItems(self) -> ColumnElement:  # noqa: N802
        if self.schools is None:
            return true()
        classes = CLASSES.alias("scope_classes")
        return exists().where(classes.c.sourced_id == LINE_ITEMS.c.class_id,
                              classes.c.school_id.in_(self.schools))

    def _results(self) -> ColumnElement:
        allowed = self.student_allowed(RESULTS.c.student_id)
        if self.schools is None:
            return allowed
        items = LINE_ITEMS.alias("scope_items")
        classes = CLASSES.alias("scope_classes")
        return allowed & exists().where(
            items.c.sourced_id == RESULTS.c.line_item_id,
            classes.c.sourced_id == items.c.class_id, classes.c.school_id.in_(self.schools),
        )

    def _scoreScales(self) -> ColumnElement:  # noqa: N802
        table = ROSTER_TABLES["scoreScales"]
        if self.schools is None:
            return true()
        classes = CLASSES.alias("scope_classes")
        return exists().where(classes.c.sourced_id == table.c.class_id,
                              classes.c.school_id.in_(self.schools))

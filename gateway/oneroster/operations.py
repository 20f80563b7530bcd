"""What each OneRoster read operation returns, keyed by the standard's operationId.

The routes themselves come from `specs/oneroster/` (paths, scopes); this table says, for each
operation, which family it lists, which subset of it (students are users with a student role),
which parents in the path must exist and be visible (else 404 unknownobject), and how the
listed rows relate to those parents.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists

from gateway.model import LINK_TABLES, ROSTER_TABLES

T = ROSTER_TABLES
CLASSES, USERS, ORGS = T["classes"], T["users"], T["orgs"]
ROLES, ENROLLMENTS, SESSIONS = T["roles"], T["enrollments"], T["academicSessions"]
COURSES, LINE_ITEMS, RESULTS = T["courses"], T["lineItems"], T["results"]
SCORE_SCALES, RESOURCES = T["scoreScales"], T["resources"]
CLASS_TERMS = LINK_TABLES["classes"]["terms"]

Params = dict[str, str]
Relation = Callable[[Params], ColumnElement]


@dataclass(frozen=True)
class Parent:
    param: str
    family: str
    subset: str | None = None


@dataclass(frozen=True)
class Read:
    family: str
    subset: str | None = None
    single: bool = False
    parents: tuple[Parent, ...] = ()
    relation: Relation | None = None


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


def _enrolled(role: str | None, class_param: str, school_param: str | None = None) -> Relation:
    def relation(p: Params) -> ColumnElement:
        e = ENROLLMENTS.alias("rel_enrollments")
        conditions = [
            e.c.user_id == USERS.c.sourced_id,
            e.c.class_id == p[class_param],
            e.c.status == "active",
        ]
        if role:
            conditions.append(e.c.role == role)
        if school_param:
            conditions.append(e.c.school_id == p[school_param])
        return exists().where(*conditions)

    return relation


def _classes_of_user(role: str | None, param: str) -> Relation:
    def relation(p: Params) -> ColumnElement:
        e = ENROLLMENTS.alias("rel_enrollments")
        conditions = [
            e.c.class_id == CLASSES.c.sourced_id,
            e.c.user_id == p[param],
            e.c.status == "active",
        ]
        if role:
            conditions.append(e.c.role == role)
        return exists().where(*conditions)

    return relation


def _role_at_school(role: str) -> Relation:
    def relation(p: Params) -> ColumnElement:
        r = ROLES.alias("rel_roles")
        return exists().where(
            r.c.user_id == USERS.c.sourced_id,
            r.c.role == role,
            r.c.org_id == p["schoolSourcedId"],
            r.c.status == "active",
        )

    return relation


def _terms_of_school(p: Params) -> ColumnElement:
    c = CLASSES.alias("rel_classes")
    return exists().where(
        CLASS_TERMS.c.target_id == SESSIONS.c.sourced_id,
        CLASS_TERMS.c.owner_id == c.c.sourced_id,
        c.c.school_id == p["schoolSourcedId"],
        c.c.status == "active",
    )


def _classes_of_term(p: Params) -> ColumnElement:
    return exists().where(
        CLASS_TERMS.c.owner_id == CLASSES.c.sourced_id,
        CLASS_TERMS.c.target_id == p["termSourcedId"],
    )


def _categories_of_class(p: Params) -> ColumnElement:
    items = LINE_ITEMS.alias("rel_items")
    categories = T["categories"]
    return exists().where(
        items.c.category_id == categories.c.sourced_id,
        items.c.class_id == p["classSourcedId"],
        items.c.status == "active",
    )


def _results_of_class(p: Params) -> ColumnElement:
    items = LINE_ITEMS.alias("rel_items")
    return exists().where(
        items.c.sourced_id == RESULTS.c.line_item_id, items.c.class_id == p["classSourcedId"]
    )


def _resources_via(link_family: str, column: str, param: str) -> Relation:
    def relation(p: Params) -> ColumnElement:
        link = T[link_family].alias("rel_links")
        return exists().where(
            link.c.resource_id == RESOURCES.c.sourced_id,
            link.c[column] == p[param],
            link.c.status == "active",
        )

    return relation


CLASS = Parent("classSourcedId", "classes")
SCHOOL = Parent("schoolSourcedId", "orgs", "school")
COURSE = Parent("courseSourcedId", "courses")
TERM = Parent("termSourcedId", "academicSessions", "term")
STUDENT = Parent("studentSourcedId", "users", "student")
TEACHER = Parent("teacherSourcedId", "users", "teacher")
USER = Parent("userSourcedId", "users")
LINE_ITEM = Parent("lineItemSourcedId", "lineItems")


def _all_and_one(name: str, plural: str, family: str, subset: str | None = None) -> dict:
    return {f"getAll{plural}": Read(family, subset), f"get{name}": Read(family, subset, True)}


READS: dict[str, Read] = {
    **_all_and_one("AcademicSession", "AcademicSessions", "academicSessions"),
    **_all_and_one("Class", "Classes", "classes"),
    **_all_and_one("Course", "Courses", "courses"),
    "getAllDemographics": Read("demographics"),
    "getDemographics": Read("demographics", single=True),
    **_all_and_one("Enrollment", "Enrollments", "enrollments"),
    **_all_and_one("GradingPeriod", "GradingPeriods", "academicSessions", "gradingPeriod"),
    **_all_and_one("Org", "Orgs", "orgs"),
    **_all_and_one("School", "Schools", "orgs", "school"),
    **_all_and_one("Student", "Students", "users", "student"),
    **_all_and_one("Teacher", "Teachers", "users", "teacher"),
    **_all_and_one("Term", "Terms", "academicSessions", "term"),
    **_all_and_one("User", "Users", "users"),
    "getStudentsForClass": Read(
        "users", "student", parents=(CLASS,), relation=_enrolled("student", "classSourcedId")
    ),
    "getTeachersForClass": Read(
        "users", "teacher", parents=(CLASS,), relation=_enrolled("teacher", "classSourcedId")
    ),
    "getClassesForCourse": Read(
        "classes", parents=(COURSE,), relation=lambda p: CLASSES.c.course_id == p["courseSourcedId"]
    ),
    "getClassesForSchool": Read(
        "classes", parents=(SCHOOL,), relation=lambda p: CLASSES.c.school_id == p["schoolSourcedId"]
    ),
    "getEnrollmentsForClassInSchool": Read(
        "enrollments",
        parents=(SCHOOL, CLASS),
        relation=lambda p: (
            (ENROLLMENTS.c.school_id == p["schoolSourcedId"])
            & (ENROLLMENTS.c.class_id == p["classSourcedId"])
        ),
    ),
    "getStudentsForClassInSchool": Read(
        "users",
        "student",
        parents=(SCHOOL, CLASS),
        relation=_enrolled("student", "classSourcedId", "schoolSourcedId"),
    ),
    "getTeachersForClassInSchool": Read(
        "users",
        "teacher",
        parents=(SCHOOL, CLASS),
        relation=_enrolled("teacher", "classSourcedId", "schoolSourcedId"),
    ),
    "getCoursesForSchool": Read(
        "courses", parents=(SCHOOL,), relation=lambda p: COURSES.c.org_id == p["schoolSourcedId"]
    ),
    "getEnrollmentsForSchool": Read(
        "enrollments",
        parents=(SCHOOL,),
        relation=lambda p: ENROLLMENTS.c.school_id == p["schoolSourcedId"],
    ),
    "getStudentsForSchool": Read(
        "users", "student", parents=(SCHOOL,), relation=_role_at_school("student")
    ),
    "getTeachersForSchool": Read(
        "users", "teacher", parents=(SCHOOL,), relation=_role_at_school("teacher")
    ),
    "getTermsForSchool": Read(
        "academicSessions", "term", parents=(SCHOOL,), relation=_terms_of_school
    ),
    "getClassesForStudent": Read(
        "classes", parents=(STUDENT,), relation=_classes_of_user("student", "studentSourcedId")
    ),
    "getClassesForTeacher": Read(
        "classes", parents=(TEACHER,), relation=_classes_of_user("teacher", "teacherSourcedId")
    ),
    "getClassesForTerm": Read("classes", parents=(TERM,), relation=_classes_of_term),
    "getGradingPeriodsForTerm": Read(
        "academicSessions",
        "gradingPeriod",
        parents=(TERM,),
        relation=lambda p: SESSIONS.c.parent_id == p["termSourcedId"],
    ),
    "getClassesForUser": Read(
        "classes", parents=(USER,), relation=_classes_of_user(None, "userSourcedId")
    ),
    # gradebook
    **_all_and_one("Category", "Categories", "categories"),
    **_all_and_one("LineItem", "LineItems", "lineItems"),
    **_all_and_one("Result", "Results", "results"),
    **_all_and_one("ScoreScale", "ScoreScales", "scoreScales"),
    "getCategoriesForClass": Read("categories", parents=(CLASS,), relation=_categories_of_class),
    "getLineItemsForClass": Read(
        "lineItems",
        parents=(CLASS,),
        relation=lambda p: LINE_ITEMS.c.class_id == p["classSourcedId"],
    ),
    "getResultsForClass": Read("results", parents=(CLASS,), relation=_results_of_class),
    "getResultsForLineItemForClass": Read(
        "results",
        parents=(CLASS, LINE_ITEM),
        relation=lambda p: (
            (RESULTS.c.line_item_id == p["lineItemSourcedId"]) & _results_of_class(p)
        ),
    ),
    "getResultsForStudentForClass": Read(
        "results",
        parents=(CLASS, STUDENT),
        relation=lambda p: (RESULTS.c.student_id == p["studentSourcedId"]) & _results_of_class(p),
    ),
    "getScoreScalesForClass": Read(
        "scoreScales",
        parents=(CLASS,),
        relation=lambda p: SCORE_SCALES.c.class_id == p["classSourcedId"],
    ),
    "getScoreScalesForSchool": Read(
        "scoreScales",
        parents=(SCHOOL,),
        relation=lambda p: SCORE_SCALES.c.org_id == p["schoolSourcedId"],
    ),
    # resources
    **_all_and_one("Resource", "Resources", "resources"),
    "getResourcesForCourse": Read(
        "resources",
        parents=(COURSE,),
        relation=_resources_via("courseResources", "course_id", "courseSourcedId"),
    ),
    "getResourcesForClass": Read(
        "resources",
        parents=(CLASS,),
        relation=_resources_via("classResources", "class_id", "classSourcedId"),
    ),
    "getResourcesForUser": Read(
        "resources",
        parents=(USER,),
        relation=_resources_via("userResources", "user_id", "userSourcedId"),
    ),
}

"""What each OneRoster read operation returns, keyed by the standard's operationId.

The routes themselves come from `specs/oneroster/` (paths, scopes); this table says, for each
operation, which family it lists, which subset of it (students are users with a student role),
which parents in the path must exist and be visible (else 404 unknownobject), and how the
listed rows relate to those parents (relations the policy layer builds: gateway.policy.relations).
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.policy.relations import (
    Relation,
    categories_of_class,
    classes_of_term,
    classes_of_user,
    column_is,
    enrolled,
    resources_via,
    results_of_class,
    results_of_line_item_in_class,
    results_of_student_in_class,
    role_at_school,
    terms_of_school,
    two_columns_are,
)


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
        "users", "student", parents=(CLASS,), relation=enrolled("student", "classSourcedId")
    ),
    "getTeachersForClass": Read(
        "users", "teacher", parents=(CLASS,), relation=enrolled("teacher", "classSourcedId")
    ),
    "getClassesForCourse": Read(
        "classes", parents=(COURSE,), relation=column_is("classes", "course_id", "courseSourcedId")
    ),
    "getClassesForSchool": Read(
        "classes", parents=(SCHOOL,), relation=column_is("classes", "school_id", "schoolSourcedId")
    ),
    "getEnrollmentsForClassInSchool": Read(
        "enrollments",
        parents=(SCHOOL, CLASS),
        relation=two_columns_are("enrollments", ("school_id", "schoolSourcedId"),
                                 ("class_id", "classSourcedId")),
    ),
    "getStudentsForClassInSchool": Read(
        "users",
        "student",
        parents=(SCHOOL, CLASS),
        relation=enrolled("student", "classSourcedId", "schoolSourcedId"),
    ),
    "getTeachersForClassInSchool": Read(
        "users",
        "teacher",
        parents=(SCHOOL, CLASS),
        relation=enrolled("teacher", "classSourcedId", "schoolSourcedId"),
    ),
    "getCoursesForSchool": Read(
        "courses", parents=(SCHOOL,), relation=column_is("courses", "org_id", "schoolSourcedId")
    ),
    "getEnrollmentsForSchool": Read(
        "enrollments",
        parents=(SCHOOL,),
        relation=column_is("enrollments", "school_id", "schoolSourcedId"),
    ),
    "getStudentsForSchool": Read(
        "users", "student", parents=(SCHOOL,), relation=role_at_school("student")
    ),
    "getTeachersForSchool": Read(
        "users", "teacher", parents=(SCHOOL,), relation=role_at_school("teacher")
    ),
    "getTermsForSchool": Read(
        "academicSessions", "term", parents=(SCHOOL,), relation=terms_of_school
    ),
    "getClassesForStudent": Read(
        "classes", parents=(STUDENT,), relation=classes_of_user("student", "studentSourcedId")
    ),
    "getClassesForTeacher": Read(
        "classes", parents=(TEACHER,), relation=classes_of_user("teacher", "teacherSourcedId")
    ),
    "getClassesForTerm": Read("classes", parents=(TERM,), relation=classes_of_term),
    "getGradingPeriodsForTerm": Read(
        "academicSessions",
        "gradingPeriod",
        parents=(TERM,),
        relation=column_is("academicSessions", "parent_id", "termSourcedId"),
    ),
    "getClassesForUser": Read(
        "classes", parents=(USER,), relation=classes_of_user(None, "userSourcedId")
    ),
    # gradebook
    **_all_and_one("Category", "Categories", "categories"),
    **_all_and_one("LineItem", "LineItems", "lineItems"),
    **_all_and_one("Result", "Results", "results"),
    **_all_and_one("ScoreScale", "ScoreScales", "scoreScales"),
    "getCategoriesForClass": Read("categories", parents=(CLASS,), relation=categories_of_class),
    "getLineItemsForClass": Read(
        "lineItems",
        parents=(CLASS,),
        relation=column_is("lineItems", "class_id", "classSourcedId"),
    ),
    "getResultsForClass": Read("results", parents=(CLASS,), relation=results_of_class),
    "getResultsForLineItemForClass": Read(
        "results",
        parents=(CLASS, LINE_ITEM),
        relation=results_of_line_item_in_class,
    ),
    "getResultsForStudentForClass": Read(
        "results",
        parents=(CLASS, STUDENT),
        relation=results_of_student_in_class,
    ),
    "getScoreScalesForClass": Read(
        "scoreScales",
        parents=(CLASS,),
        relation=column_is("scoreScales", "class_id", "classSourcedId"),
    ),
    "getScoreScalesForSchool": Read(
        "scoreScales",
        parents=(SCHOOL,),
        relation=column_is("scoreScales", "org_id", "schoolSourcedId"),
    ),
    # resources
    **_all_and_one("Resource", "Resources", "resources"),
    "getResourcesForCourse": Read(
        "resources",
        parents=(COURSE,),
        relation=resources_via("courseResources", "course_id", "courseSourcedId"),
    ),
    "getResourcesForClass": Read(
        "resources",
        parents=(CLASS,),
        relation=resources_via("classResources", "class_id", "classSourcedId"),
    ),
    "getResourcesForUser": Read(
        "resources",
        parents=(USER,),
        relation=resources_via("userResources", "user_id", "userSourcedId"),
    ),
}

"""The oneroster-csv demo is a valid OneRoster CSV bulk package (binding 1.2.1, and 1.1)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date
from typing import Any

BASE = ["sourcedId", "status", "dateLastModified"]

# Header rows as the CSV binding tables list them, column for column.
BINDING_1_2 = {
    "orgs.csv": BASE + ["name", "type", "identifier", "parentSourcedId"],
    "academicSessions.csv": BASE
    + ["title", "type", "startDate", "endDate", "parentSourcedId", "schoolYear"],
    "courses.csv": BASE + ["schoolYearSourcedId", "title", "courseCode", "grades",
                           "orgSourcedId", "subjects", "subjectCodes"],
    "classes.csv": BASE + ["title", "grades", "courseSourcedId", "classCode", "classType",
                           "location", "schoolSourcedId", "termSourcedIds", "subjects",
                           "subjectCodes", "periods"],
    "users.csv": BASE + ["enabledUser", "username", "userIds", "givenName", "familyName",
                         "middleName", "identifier", "email", "sms", "phone", "agentSourcedIds",
                         "grades", "password", "userMasterIdentifier", "preferredGivenName",
                         "preferredMiddleName", "preferredFamilyName", "primaryOrgSourcedId",
                         "pronouns"],
    "roles.csv": BASE + ["userSourcedId", "roleType", "role", "beginDate", "endDate",
                         "orgSourcedId", "userProfileSourcedId"],
    "enrollments.csv": BASE + ["classSourcedId", "schoolSourcedId", "userSourcedId", "role",
                               "primary", "beginDate", "endDate"],
    "demographics.csv": BASE + ["birthDate", "sex", "americanIndianOrAlaskaNative", "asian",
                                "blackOrAfricanAmerican", "nativeHawaiianOrOtherPacificIslander",
                                "white", "demographicRaceTwoOrMoreRaces",
                                "hispanicOrLatinoEthnicity", "countryOfBirthCode",
                                "stateOfBirthAbbreviation", "cityOfBirth",
                                "publicSchoolResidenceStatus"],
    "categories.csv": BASE + ["title", "weight"],
    "lineItems.csv": BASE + ["title", "description", "assignDate", "dueDate", "classSourcedId",
                             "categorySourcedId", "academicSessionSourcedId", "resultValueMin",
                             "resultValueMax", "schoolSourcedId"],
}
BINDING_1_1_CHANGES = {
    "users.csv": BASE + ["enabledUser", "orgSourcedIds", "role", "username", "userIds",
                         "givenName", "familyName", "middleName", "identifier", "email", "sms",
                         "phone", "agentSourcedIds", "grades", "password"],
    "categories.csv": BASE + ["title"],
    "lineItems.csv": BASE + ["title", "description", "assignDate", "dueDate", "classSourcedId",
                             "categorySourcedId", "gradingPeriodSourcedId", "resultValueMin",
                             "resultValueMax"],
}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
CSV_FILES_1_2 = sorted(BINDING_1_2) + ["manifest.csv"]


def _by_id(table: Any) -> dict[str, dict[str, str]]:
    return {row["sourcedId"]: row for row in table.rows}


def _list(value: str) -> list[str]:
    return value.split(",") if value else []


def test_the_package_holds_exactly_the_written_files(oneroster12: Any) -> None:
    assert sorted(p.name for p in oneroster12.folder.iterdir()) == sorted(CSV_FILES_1_2)


def test_headers_are_exactly_those_of_the_1_2_binding(oneroster12: Any, csv_table: Any) -> None:
    for name, header in BINDING_1_2.items():
        assert csv_table(oneroster12.folder / name).header == header, name


def test_manifest_declares_1_2_and_bulk_for_present_files_only(oneroster12: Any) -> None:
    rows = oneroster12.table("manifest.csv")
    manifest = {row["propertyName"]: row["value"] for row in rows.rows}
    assert rows.header == ["propertyName", "value"]
    assert manifest["manifest.version"] == "1.0"
    assert manifest["oneroster.version"] == "1.2"
    present = {name.removesuffix(".csv") for name in BINDING_1_2}
    declared = {k.removeprefix("file."): v for k, v in manifest.items() if k.startswith("file.")}
    assert {name for name, mode in declared.items() if mode == "bulk"} == present
    assert set(declared.values()) == {"bulk", "absent"}
    assert {"roles", "userProfiles", "scoreScales", "results"} <= set(declared)


def test_bulk_rows_leave_status_and_date_last_modified_empty(oneroster12: Any) -> None:
    for name in BINDING_1_2:
        for row in oneroster12.table(name).rows:
            assert row["status"] == "" and row["dateLastModified"] == "", name


def test_sourced_ids_are_opaque_uuids_unique_per_file(oneroster12: Any) -> None:
    for name in BINDING_1_2:
        ids = [row["sourcedId"] for row in oneroster12.table(name).rows]
        assert all(UUID.match(i) for i in ids), name
        if name != "demographics.csv":  # demographics reuse their student's sourcedId
            assert len(ids) == len(set(ids)), name


def test_every_reference_resolves_inside_the_package(oneroster12: Any) -> None:
    t = oneroster12.table
    orgs, sessions, courses = _by_id(t("orgs.csv")), _by_id(t("academicSessions.csv")), _by_id(
        t("courses.csv")
    )
    classes, users = _by_id(t("classes.csv")), _by_id(t("users.csv"))
    categories = _by_id(t("categories.csv"))

    for org in orgs.values():
        assert org["parentSourcedId"] in orgs or org["type"] == "district"
    for session in sessions.values():
        assert session["parentSourcedId"] in sessions or session["type"] == "schoolYear"
    for course in courses.values():
        assert course["orgSourcedId"] in orgs and course["schoolYearSourcedId"] in sessions
    for cls in classes.values():
        assert cls["courseSourcedId"] in courses and cls["schoolSourcedId"] in orgs
        assert _list(cls["termSourcedIds"]) and set(_list(cls["termSourcedIds"])) <= set(sessions)
    for user in users.values():
        assert set(_list(user["agentSourcedIds"])) <= set(users)
        assert user["primaryOrgSourcedId"] in orgs
    for role in t("roles.csv").rows:
        assert role["userSourcedId"] in users and role["orgSourcedId"] in orgs
    for enrollment in t("enrollments.csv").rows:
        assert enrollment["classSourcedId"] in classes
        assert enrollment["userSourcedId"] in users and enrollment["schoolSourcedId"] in orgs
    for demographic in t("demographics.csv").rows:
        assert demographic["sourcedId"] in users
    for item in t("lineItems.csv").rows:
        assert item["classSourcedId"] in classes and item["categorySourcedId"] in categories
        assert sessions[item["academicSessionSourcedId"]]["type"] == "gradingPeriod"
        assert item["schoolSourcedId"] == classes[item["classSourcedId"]]["schoolSourcedId"]


def test_each_school_has_a_year_two_terms_and_four_grading_periods(oneroster12: Any) -> None:
    sessions = oneroster12.table("academicSessions.csv").rows
    schools = [o for o in oneroster12.table("orgs.csv").rows if o["type"] == "school"]
    types = Counter(s["type"] for s in sessions)
    assert types == {
        "schoolYear": len(schools), "term": 2 * len(schools), "gradingPeriod": 4 * len(schools)
    }
    assert {s["schoolYear"] for s in sessions} == {"2027"}
    assert len(schools) == 4 and oneroster12.summary.schools == 4


def test_every_class_has_exactly_one_primary_teacher(oneroster12: Any) -> None:
    classes = _by_id(oneroster12.table("classes.csv"))
    primaries = Counter(
        e["classSourcedId"]
        for e in oneroster12.table("enrollments.csv").rows
        if e["role"] == "teacher" and e["primary"] == "true"
    )
    assert set(primaries) == set(classes)
    assert set(primaries.values()) == {1}


def test_every_student_has_six_to_eight_classes_of_their_school_and_grade(
    oneroster12: Any,
) -> None:
    users = _by_id(oneroster12.table("users.csv"))
    classes = _by_id(oneroster12.table("classes.csv"))
    roles = {r["userSourcedId"]: r for r in oneroster12.table("roles.csv").rows}
    per_student: dict[str, list[dict[str, str]]] = defaultdict(list)
    for enrollment in oneroster12.table("enrollments.csv").rows:
        if enrollment["role"] == "student":
            assert enrollment["primary"] == "false"
            per_student[enrollment["userSourcedId"]].append(classes[enrollment["classSourcedId"]])

    students = [u for u in users.values() if roles[u["sourcedId"]]["role"] == "student"]
    assert len(students) == 2000 and set(per_student) == {s["sourcedId"] for s in students}
    for student in students:
        taken = per_student[student["sourcedId"]]
        assert 6 <= len(taken) <= 8
        assert {c["schoolSourcedId"] for c in taken} == {student["primaryOrgSourcedId"]}
        assert all(student["grades"] in _list(c["grades"]) for c in taken)
        slots = Counter((c["periods"], term) for c in taken for term in _list(c["termSourcedIds"]))
        assert max(slots.values()) == 1, "two classes in the same period and term"


def test_users_have_one_primary_role_at_their_primary_org(oneroster12: Any) -> None:
    users = _by_id(oneroster12.table("users.csv"))
    roles = oneroster12.table("roles.csv").rows
    assert sorted(r["userSourcedId"] for r in roles) == sorted(users)
    for role in roles:
        assert role["roleType"] == "primary"
        assert role["orgSourcedId"] == users[role["userSourcedId"]]["primaryOrgSourcedId"]
    assert {r["role"] for r in roles} == {"teacher", "student", "parent", "guardian"}


def test_guardians_and_students_point_at_each_other(oneroster12: Any) -> None:
    users = _by_id(oneroster12.table("users.csv"))
    role_of = {r["userSourcedId"]: r["role"] for r in oneroster12.table("roles.csv").rows}
    guardians = [u for u in users.values() if role_of[u["sourcedId"]] in ("parent", "guardian")]
    students = [u for u in users.values() if role_of[u["sourcedId"]] == "student"]

    for student in students:
        agents = _list(student["agentSourcedIds"])
        assert 1 <= len(agents) <= 2
        for agent in agents:
            assert role_of[agent] in ("parent", "guardian")
            assert student["sourcedId"] in _list(users[agent]["agentSourcedIds"])
    for guardian in guardians:
        for child in _list(guardian["agentSourcedIds"]):
            assert guardian["sourcedId"] in _list(users[child]["agentSourcedIds"])
    assert any(len(_list(g["agentSourcedIds"])) > 1 for g in guardians), "no shared guardian"
    assert all(role_of[u["sourcedId"]] != "teacher" or not u["agentSourcedIds"]
               for u in users.values())


def test_user_fields_follow_the_binding_formats(oneroster12: Any) -> None:
    users = oneroster12.table("users.csv").rows
    for user in users:
        assert user["enabledUser"] in ("true", "false")
        assert re.fullmatch(r"\{\w+:[^{},]+\}(,\{\w+:[^{},]+\})*", user["userIds"])
        assert user["email"].split("@")[0] in (user["username"], f"guardian{user['identifier']}")
        assert user["sourcedId"] not in user["email"]
    names = " ".join(u["givenName"] + " " + u["familyName"] for u in users)
    assert not names.isascii(), "the demo must exercise non-ASCII names"
    assert "’" in names, "typographic apostrophes (O’Brien) must appear"
    raw = (oneroster12.folder / "users.csv").read_text(encoding="utf-8")
    assert re.search(r',"\{state:\d+\},\{sis:\d+\}",', raw), "lists must be quoted"


def test_classes_list_both_terms_of_a_year_long_class_as_a_quoted_list(oneroster12: Any) -> None:
    raw = (oneroster12.folder / "classes.csv").read_text(encoding="utf-8")
    two_terms = re.compile(r',"[0-9a-f-]{36},[0-9a-f-]{36}",')
    assert two_terms.search(raw)
    assert (oneroster12.folder / "classes.csv").read_bytes().endswith(b"\r\n")


def test_demographics_are_complete_and_consistent_with_grade(oneroster12: Any) -> None:
    users = _by_id(oneroster12.table("users.csv"))
    rows = oneroster12.table("demographics.csv").rows
    race_columns = ["americanIndianOrAlaskaNative", "asian", "blackOrAfricanAmerican",
                    "nativeHawaiianOrOtherPacificIslander", "white"]
    assert len(rows) == 2000
    for row in rows:
        grade = users[row["sourcedId"]]["grades"]
        level = 0 if grade == "KG" else int(grade)
        born = date.fromisoformat(row["birthDate"])
        cutoff = date(2026, 9, 1)
        age = cutoff.year - born.year - ((cutoff.month, cutoff.day) < (born.month, born.day))
        assert age in (5 + level, 6 + level), (grade, row["birthDate"])
        assert row["sex"] in ("male", "female", "other")
        races = [row[c] for c in race_columns]
        assert set(races) <= {"true", "false"} and "true" in races
        assert row["demographicRaceTwoOrMoreRaces"] == ("true" if races.count("true") > 1
                                                       else "false")
        assert row["hispanicOrLatinoEthnicity"] in ("true", "false")
    assert {r["hispanicOrLatinoEthnicity"] for r in rows} == {"true", "false"}


def test_each_class_has_a_homework_and_a_test_line_item(oneroster12: Any) -> None:
    categories = {c["sourcedId"]: c["title"] for c in oneroster12.table("categories.csv").rows}
    assert sorted(categories.values()) == ["Homework", "Tests"]
    per_class: dict[str, list[str]] = defaultdict(list)
    for item in oneroster12.table("lineItems.csv").rows:
        per_class[item["classSourcedId"]].append(categories[item["categorySourcedId"]])
        assert date.fromisoformat(item["assignDate"]) <= date.fromisoformat(item["dueDate"])
    assert len(per_class) == oneroster12.summary.classes
    assert all(sorted(kinds) == ["Homework", "Tests"] for kinds in per_class.values())


def test_transferred_students_are_disabled_and_their_classes_end(oneroster12: Any) -> None:
    users = _by_id(oneroster12.table("users.csv"))
    disabled = {
        u["sourcedId"] for u in users.values() if u["enabledUser"] == "false" and u["grades"]
    }
    assert 0 < len(disabled) < 0.05 * 2000
    for enrollment in oneroster12.table("enrollments.csv").rows:
        if enrollment["userSourcedId"] in disabled:
            assert date.fromisoformat(enrollment["endDate"]) <= date(2026, 11, 28)
        elif enrollment["role"] == "student":
            assert enrollment["endDate"] == ""


def test_1_1_package_uses_the_1_1_files(oneroster11: Any, csv_table: Any) -> None:
    folder = oneroster11.folder
    assert not (folder / "roles.csv").exists()
    for name in BINDING_1_2:
        if name == "roles.csv":
            continue
        expected = BINDING_1_1_CHANGES.get(name, BINDING_1_2[name])
        assert csv_table(folder / name).header == expected, name
    manifest = {r["propertyName"]: r["value"] for r in csv_table(folder / "manifest.csv").rows}
    assert manifest["oneroster.version"] == "1.1"
    assert "file.roles" not in manifest and "file.scoreScales" not in manifest
    assert manifest["file.users"] == "bulk" and manifest["file.results"] == "absent"


def test_1_1_users_carry_their_role_and_org(oneroster11: Any, csv_table: Any) -> None:
    folder = oneroster11.folder
    orgs = {o["sourcedId"] for o in csv_table(folder / "orgs.csv").rows}
    users = csv_table(folder / "users.csv").rows
    assert {u["role"] for u in users} == {"teacher", "student", "parent", "guardian"}
    assert all(u["orgSourcedIds"] in orgs for u in users)
    sexes = {d["sex"] for d in csv_table(folder / "demographics.csv").rows}
    assert sexes <= {"male", "female", ""}  # 1.1 has no 'other'
    items = csv_table(folder / "lineItems.csv").rows
    periods = {s["sourcedId"]: s["type"] for s in csv_table(folder / "academicSessions.csv").rows}
    assert {periods[i["gradingPeriodSourcedId"]] for i in items} == {"gradingPeriod"}

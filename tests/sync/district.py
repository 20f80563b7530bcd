"""A small district as adapter events, built in code so each test can bend one thing."""

from __future__ import annotations

from adapters.records import Event, FamilyMode, Record


def district(students: int = 20, *, skip: set[str] = frozenset(), change: dict | None = None,
             extra: list[Record] | None = None) -> list[Event]:
    """orgs, one term, one course, one class, a teacher and `students` students enrolled.

    `skip` leaves out records by sourcedId; `change` maps sourcedId -> fields to override.
    """
    change = change or {}
    records: list[Record] = [
        Record("orgs", "d1", {"name": "Lakeside District", "type": "district"}),
        Record("orgs", "s1", {"name": "Lakeside High", "type": "school", "identifier": "NCES1",
                              "parent": "d1"}),
        Record("academicSessions", "y1", {"title": "2026-2027", "type": "schoolYear",
                                          "startDate": "2026-08-19", "endDate": "2027-06-05",
                                          "schoolYear": "2027"}),
        Record("academicSessions", "t1", {"title": "Fall", "type": "term",
                                          "startDate": "2026-08-19", "endDate": "2027-01-16",
                                          "parent": "y1", "schoolYear": "2027"}),
        Record("courses", "c1", {"title": "Algebra I", "org": "s1", "courseCode": "MA1"}),
        Record("classes", "k1", {"title": "Algebra I - P1", "classType": "scheduled",
                                 "course": "c1", "school": "s1", "terms": ["t1"],
                                 "periods": ["1"]}),
        Record("users", "tch1", {"enabledUser": "true", "username": "tch1",
                                 "givenName": "Ada", "familyName": "Byron"}),
        Record("roles", "r-tch1", {"user": "tch1", "roleType": "primary", "role": "teacher",
                                   "org": "s1"}),
        Record("enrollments", "e-tch1", {"class": "k1", "school": "s1", "user": "tch1",
                                         "role": "teacher", "primary": "true"}),
    ]
    for n in range(1, students + 1):
        sid = f"stu{n}"
        records += [
            Record("users", sid, {"enabledUser": "true", "username": sid, "givenName": f"G{n}",
                                  "familyName": "Student", "grades": ["09"]}),
            Record("roles", f"r-{sid}", {"user": sid, "roleType": "primary", "role": "student",
                                         "org": "s1"}),
            Record("enrollments", f"e-{sid}", {"class": "k1", "school": "s1", "user": sid,
                                               "role": "student"}),
        ]
    records += extra or []
    out: list[Event] = []
    declared: set[str] = set()
    for line, record in enumerate(records, start=2):
        if record.sourced_id in skip:
            continue
        if record.sourced_id in change:
            record.fields = {**record.fields, **change[record.sourced_id]}
        if record.line is None:
            record.file, record.line = f"{record.family}.csv", line
        if record.family not in declared:
            declared.add(record.family)
            out.append(FamilyMode(record.family, "bulk", f"{record.family}.csv"))
        out.append(record)
    return out

"""Two schools of one district, as adapter events: enough to test scoping between schools."""

from __future__ import annotations

from adapters.records import Event, FamilyMode, Record


def two_schools() -> list[Event]:
    r: list[Record] = [
        Record("orgs", "dist", {"name": "Riverside USD", "type": "district", "identifier": "D1"}),
        Record("orgs", "sch-a", {"name": "Alder High", "type": "school", "identifier": "A1",
                                 "parent": "dist"}),
        Record("orgs", "sch-b", {"name": "Birch High", "type": "school", "identifier": "B1",
                                 "parent": "dist"}),
        Record("academicSessions", "y27", {"title": "2026-2027", "type": "schoolYear",
                                           "startDate": "2026-08-19", "endDate": "2027-06-05",
                                           "schoolYear": "2027"}),
        Record("academicSessions", "fall", {"title": "Fall", "type": "term",
                                            "startDate": "2026-08-19", "endDate": "2027-01-16",
                                            "parent": "y27", "schoolYear": "2027"}),
        Record("academicSessions", "q1", {"title": "Q1", "type": "gradingPeriod",
                                          "startDate": "2026-08-19", "endDate": "2026-10-20",
                                          "parent": "fall", "schoolYear": "2027"}),
        Record("categories", "cat-hw", {"title": "Homework", "weight": "40"}),
    ]
    for school in ("a", "b"):
        sch = f"sch-{school}"
        r += [
            Record("courses", f"crs-{school}", {"title": "Algebra I", "courseCode": "MA1",
                                                "org": sch, "grades": ["09"]}),
            Record("classes", f"cls-{school}", {"title": f"Algebra I ({school.upper()})",
                                                "classType": "scheduled",
                                                "course": f"crs-{school}", "school": sch,
                                                "terms": ["fall"], "periods": ["1"],
                                                "grades": ["09"]}),
            Record("users", f"tch-{school}", {"enabledUser": "true", "username": f"t{school}",
                                              "givenName": "Tess", "familyName": f"Teach{school}",
                                              "email": f"t{school}@example.org"}),
            Record("roles", f"r-tch-{school}", {"user": f"tch-{school}", "roleType": "primary",
                                                "role": "teacher", "org": sch}),
            Record("enrollments", f"e-tch-{school}", {"class": f"cls-{school}", "school": sch,
                                                      "user": f"tch-{school}", "role": "teacher",
                                                      "primary": "true"}),
            Record("lineItems", f"li-{school}", {"title": "Quiz 1",
                                                 "assignDate": "2026-09-01T00:00:00Z",
                                                 "dueDate": "2026-09-08T00:00:00Z",
                                                 "class": f"cls-{school}", "category": "cat-hw",
                                                 "academicSession": "q1", "school": sch,
                                                 "resultValueMin": "0",
                                                 "resultValueMax": "100"}),
        ]
        for n in range(1, 6):
            stu = f"stu-{school}{n}"
            r += [
                Record("users", stu, {"enabledUser": "true", "username": stu,
                                      "givenName": ["Ana", "Ben", "Zoë", "Dev", "O'Neil"][n - 1],
                                      "familyName": f"Pupil{school}", "grades": ["09"],
                                      "email": f"{stu}@example.org",
                                      "agents": [f"par-{school}{n}"]}),
                Record("users", f"par-{school}{n}", {"enabledUser": "true",
                                                     "username": f"par-{school}{n}",
                                                     "givenName": "Pat", "familyName": "Parent",
                                                     "agents": [stu]}),
                Record("roles", f"r-{stu}", {"user": stu, "roleType": "primary",
                                             "role": "student", "org": sch}),
                Record("roles", f"r-par-{school}{n}", {"user": f"par-{school}{n}",
                                                       "roleType": "primary",
                                                       "role": "parent", "org": sch}),
                Record("enrollments", f"e-{stu}", {"class": f"cls-{school}", "school": sch,
                                                   "user": stu, "role": "student"}),
                Record("demographics", stu, {"birthDate": "2011-03-0" + str(n), "sex": "female",
                                             "hispanicOrLatinoEthnicity": "false"}),
                Record("results", f"res-{stu}", {"lineItem": f"li-{school}", "student": stu,
                                                 "scoreStatus": "fully graded",
                                                 "score": str(70 + n),
                                                 "scoreDate": "2026-09-09",
                                                 "class": f"cls-{school}"}),
            ]
    return _bulk_events(r)


FAMILY_NAMES = ("Ash", "Birch", "Cedar", "Dogwood", "Elm")


def one_school(students: int) -> list[Event]:
    """One school, one class, `students` students each enrolled in it with a result: enough
    rows for several pages and for the deep-page path (offsets past 200). A student's
    givenName is its district id's number (what a test reads back from a pseudonymous page),
    and its familyName one of five, so a sort on it has ties."""
    sch = "sch-a"
    r: list[Record] = [
        Record("orgs", "dist", {"name": "Riverside USD", "type": "district", "identifier": "D1"}),
        Record("orgs", sch, {"name": "Alder High", "type": "school", "identifier": "A1",
                             "parent": "dist"}),
        Record("academicSessions", "y27", {"title": "2026-2027", "type": "schoolYear",
                                           "startDate": "2026-08-19", "endDate": "2027-06-05",
                                           "schoolYear": "2027"}),
        Record("categories", "cat-hw", {"title": "Homework", "weight": "40"}),
        Record("courses", "crs-a", {"title": "Algebra I", "courseCode": "MA1", "org": sch}),
        Record("classes", "cls-a", {"title": "Algebra I", "classType": "scheduled",
                                    "course": "crs-a", "school": sch, "terms": ["y27"]}),
        Record("lineItems", "li-a", {"title": "Quiz 1", "assignDate": "2026-09-01T00:00:00Z",
                                     "dueDate": "2026-09-08T00:00:00Z", "class": "cls-a",
                                     "category": "cat-hw", "academicSession": "y27",
                                     "school": sch, "resultValueMin": "0",
                                     "resultValueMax": "100"}),
    ]
    for n in range(students):
        stu = f"stu-{n:04d}"
        r += [
            Record("users", stu, {"enabledUser": "true", "username": stu,
                                  "givenName": f"{n:04d}",
                                  "familyName": FAMILY_NAMES[n % len(FAMILY_NAMES)]}),
            Record("roles", f"r-{stu}", {"user": stu, "roleType": "primary", "role": "student",
                                         "org": sch}),
            Record("enrollments", f"e-{stu}", {"class": "cls-a", "school": sch, "user": stu,
                                               "role": "student"}),
            Record("results", f"res-{stu}", {"lineItem": "li-a", "student": stu,
                                             "scoreStatus": "fully graded", "score": "70",
                                             "scoreDate": "2026-09-09", "class": "cls-a"}),
        ]
    return _bulk_events(r)


def _bulk_events(records: list[Record]) -> list[Event]:
    """The records as an adapter sends them: families in the order the engine applies them
    (users before the roles that point at them), each opened as a bulk file."""
    from adapters.canonical import APPLY_ORDER

    records.sort(key=lambda rec: APPLY_ORDER.index(rec.family))
    events: list[Event] = []
    seen: set[str] = set()
    for line, rec in enumerate(records, start=2):
        rec.file, rec.line = f"{rec.family}.csv", line
        if rec.family not in seen:
            seen.add(rec.family)
            events.append(FamilyMode(rec.family, "bulk", rec.file))
        events.append(rec)
    return events

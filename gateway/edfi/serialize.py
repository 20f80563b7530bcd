"""Canonical rows -> Ed-Fi resource objects (Data Standard 5.x JSON).

Each resource is a view of one canonical row; references carry the referenced row's natural key
and a `link` to it; descriptors are full URIs from the crosswalk; school years are integers.
Rows without Ed-Fi natural keys get derived ones (adapters/edfi_mapping/derived_keys.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

import orjson

from adapters.edfi_mapping import derived_keys
from adapters.edfi_mapping.descriptors import crosswalk
from adapters.edfi_mapping.identity import edfi_id as _edfi_id
from adapters.edfi_mapping.resources import REFERENCES, RESOURCES
from gateway.policy.edfi.class_keys import preload, shown_course_code, shown_section_identifier
from gateway.policy.edfi.lookups import Lookups

# A person's unique id as the app is shown it: (sourcedId, the user's data) -> the key.
PersonKey = Callable[[str, dict[str, Any]], str]

RACES = ("americanIndianOrAlaskaNative", "asian", "blackOrAfricanAmerican",
         "nativeHawaiianOrOtherPacificIslander", "white")
UNKNOWN_GRADE = "Other"  # canonical grade served where DS 5.0 requires one and none is known
UNKNOWN_BIRTH_DATE = "1900-01-01"  # served where DS 5.0 requires a birth date and none is known
_LINK_REL = {"localEducationAgencies": "LocalEducationAgency", "schools": "School",
             "sessions": "Session", "courses": "Course", "courseOfferings": "CourseOffering",
             "sections": "Section", "students": "Student", "staffs": "Staff",
             "contacts": "Contact"}


# A page of 500 names each row and the rows it links to by Ed-Fi id (a UUID5 apiece): the
# same ids recur page after page, so a process remembers the most recent ones.
edfi_id = lru_cache(maxsize=1 << 16)(_edfi_id)


def timestamp(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _link(resource: str, sourced_id: str,
          shown_id: Callable[[str], str] | None = None) -> dict[str, str]:
    the_id = edfi_id(resource, sourced_id)
    return {"rel": _LINK_REL.get(resource, resource), "href":
            f"/ed-fi/{resource}/{the_id if shown_id is None else shown_id(the_id)}"}


@lru_cache(maxsize=4096)  # the crosswalk is the process's own (loaded once)
def _uri(descriptor: str, canonical: str | None) -> str | None:
    return None if canonical is None else crosswalk().to_uri(descriptor, canonical)


def _weekdays(start: str | None, end: str | None) -> int:
    """Days Monday to Friday from start to end: the instructional-day count when a source gives
    none (Ed-Fi requires one; OneRoster has no such field)."""
    if not start or not end:
        return 0
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    days = (last - first).days + 1
    return sum(1 for n in range(max(days, 0)) if (first + timedelta(n)).weekday() < 5)


def _season(session: dict[str, Any]) -> str:
    if session.get("type") == "schoolYear":
        return "schoolYear"
    month = int(str(session.get("startDate", "2000-09-01"))[5:7])
    return "fall" if month >= 8 else "spring" if month <= 5 else "summer"


class EdFiSerializer:
    """`person_key`: the district's unique id (derived_keys.unique_id) unless the app is
    shown pseudonyms (gateway.policy.pseudonyms); `shown_id`: the Ed-Fi id the app is shown
    for the district's (gateway.policy.shown_edfi_ids), in `id` and link hrefs alike (None:
    the district's own); `class_key`: the app's pseudonym of a class, shown in section keys
    (gateway.policy.edfi.class_keys; None: the district's keys)."""

    def __init__(self, lookups: Lookups, person_key: PersonKey | None = None,
                 shown: frozenset[str] | None = None,
                 shown_id: Callable[[str], str] | None = None,
                 class_key: Callable[[str], str] | None = None) -> None:
        """`shown`: the properties the app's profile keeps (None: all), so that a page does
        not read rows only a withheld property needs (demographics for birthDate)."""
        self.look = lookups
        self.shown = shown
        self.person_key: PersonKey = person_key or derived_keys.unique_id
        self.shown_id = shown_id
        self.class_key = class_key

    def _link(self, resource: str, sourced_id: str) -> dict[str, str]:
        return _link(resource, sourced_id, self.shown_id)

    # -- references --------------------------------------------------------------------------
    def edorg_ref(self, name: str, org: str) -> dict[str, Any]:
        part = REFERENCES[name][1][0][0]
        kind = self.look.orgs.get(org, {}).get("type")
        target = "localEducationAgencies" if kind == "district" else "schools"
        return {part: self.look.edorg_id(org), "link": self._link(target, org)}

    def person_ref(self, resource: str, user: str) -> dict[str, Any]:
        unique = {"students": "studentUniqueId", "staffs": "staffUniqueId",
                  "contacts": "contactUniqueId"}[resource]
        data = self.look.row("users", user)
        return {unique: self.person_key(user, data), "link": self._link(resource, user)}

    def session_key(self, session_id: str, school: str | None) -> dict[str, Any]:
        session = self.look.sessions.get(session_id, {})
        school = school or self.look.session_school(session_id)
        return {"schoolId": self.look.edorg_id(school) if school else 0,
                "schoolYear": int(session.get("schoolYear") or 0),
                "sessionName": session.get("title", "")}

    def offering_key(self, class_id: str, data: dict[str, Any]) -> dict[str, Any]:
        session = self.look.offering_session(data)
        return {"localCourseCode": shown_course_code(self.class_key, self.look, class_id,
                                                     data),
                "schoolId": self.look.edorg_id(data.get("school", "")),
                "schoolYear": int(session.get("schoolYear") or 0),
                "sessionName": session.get("title", "")}

    def section_ref(self, class_id: str) -> dict[str, Any]:
        data = self.look.row("classes", class_id)
        key = self.offering_key(class_id, data)
        key["sectionIdentifier"] = shown_section_identifier(self.class_key, class_id, data)
        return {**dict(sorted(key.items())), "link": self._link("sections", class_id)}

    # -- resources ---------------------------------------------------------------------------
    def render(self, resource: str, rows: Sequence[Any]) -> list[dict[str, Any]]:
        """`rows` carry sourced_id, date_last_modified, change_version and data."""
        build: Callable[[str, dict[str, Any]], dict[str, Any]] = getattr(
            self, "_" + resource)
        datas = [orjson.loads(r.data) for r in rows]
        self._prefetch(resource, rows, datas)
        out = []
        for row, data in zip(rows, datas, strict=True):
            the_id = edfi_id(resource, row.sourced_id)
            obj = {"id": the_id if self.shown_id is None else self.shown_id(the_id)}
            obj.update({k: v for k, v in build(row.sourced_id, data).items()
                        if v not in (None, [], "")})
            obj["_etag"] = str(row.change_version)
            obj["_lastModifiedDate"] = timestamp(row.date_last_modified)
            out.append(obj)
        return out

    def _prefetch(self, resource: str, rows: Sequence[Any],
                  datas: list[dict[str, Any]]) -> None:
        family = RESOURCES[resource].family
        if family in ("roles", "enrollments"):
            self.look.load("users", [d.get(f) for d in datas for f in ("user", "student")])
        if resource == "studentEducationOrganizationAssociations":
            self.look.load("demographics", [d.get("user") for d in datas])
        if family == "enrollments":
            self.look.load("classes", [d.get("class") for d in datas])
            if self.class_key is not None:
                preload(self.look, [(c, self.look.row("classes", c)) for d in datas
                                    if (c := d.get("class"))])
        if family == "classes" and self.class_key is not None:
            preload(self.look, [(r.sourced_id, d) for r, d in zip(rows, datas, strict=True)])
        if resource == "sections":
            self.look.load_offerings([r.sourced_id for r in rows])
        if resource == "students":
            pass  # demographics are loaded by the caller, which knows the page's ids

    def _localEducationAgencies(self, sid: str, d: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        category = _uri("EducationOrganizationCategoryDescriptor", "district")
        return {"localEducationAgencyId": self.look.edorg_id(sid),
                "nameOfInstitution": d.get("name"),
                "localEducationAgencyCategoryDescriptor":
                    _uri("LocalEducationAgencyCategoryDescriptor", "district"),
                "categories": [{"educationOrganizationCategoryDescriptor": category}]}

    def _schools(self, sid: str, d: dict[str, Any]) -> dict[str, Any]:
        grades = list(dict.fromkeys(map(self._grade, d.get("grades") or [])))
        out: dict[str, Any] = {
            "schoolId": self.look.edorg_id(sid), "nameOfInstitution": d.get("name"),
            "educationOrganizationCategories": [{"educationOrganizationCategoryDescriptor":
                                                 _uri("EducationOrganizationCategoryDescriptor",
                                                      "school")}],
            "gradeLevels": [{"gradeLevelDescriptor": g} for g in grades or [self._grade(None)]]}
        parent = d.get("parent")
        if parent and self.look.orgs.get(parent, {}).get("type") == "district":
            out["localEducationAgencyReference"] = self.edorg_ref(
                "localEducationAgencyReference", parent)
        return out

    @staticmethod
    def _grade(canonical: str | None) -> str:
        """A grade level's URI; one the crosswalk does not map, or none, is served as Other
        (DS 5.0 requires a grade level where the source may have none)."""
        return (_uri("GradeLevelDescriptor", canonical) if canonical else None) or str(
            _uri("GradeLevelDescriptor", UNKNOWN_GRADE))

    def _session_common(self, sid: str, d: dict[str, Any]) -> dict[str, Any]:
        school = d.get("school") or self.look.session_school(sid)
        return {
            "schoolReference": self.edorg_ref("schoolReference", school) if school else None,
            "schoolYearTypeReference": {"schoolYear": int(d.get("schoolYear") or 0)},
            "beginDate": d.get("startDate"), "endDate": d.get("endDate"),
            "totalInstructionalDays": _weekdays(d.get("startDate"), d.get("endDate")),
        }

    def _sessions(self, sid: str, d: dict[str, Any]) -> dict[str, Any]:
        return {"sessionName": d.get("title"), **self._session_common(sid, d),
                "termDescriptor": _uri("TermDescriptor", _season(d))}

    def _gradingPeriods(self, sid: str, d: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        title = str(d.get("title", ""))
        descriptor = (_uri("GradingPeriodDescriptor", title.casefold())
                      or _uri("GradingPeriodDescriptor", "gradingPeriod"))
        return {"gradingPeriodDescriptor": descriptor, "gradingPeriodName": title,
                **self._session_common(sid, d)}

    def _courses(self, sid: str, d: dict[str, Any]) -> dict[str, Any]:
        grades = [_uri("GradeLevelDescriptor", g) for g in d.get("grades") or []]
        code = derived_keys.course_code(sid, d)
        return {"courseCode": code,
                "educationOrganizationReference": self.edorg_ref(
                    "educationOrganizationReference", d["org"]),
                "courseTitle": d.get("title"), "numberOfParts": 1,
                "identificationCodes": [{
                    "courseIdentificationSystemDescriptor":
                        _uri("CourseIdentificationSystemDescriptor", "courseCode"),
                    "identificationCode": code}],
                "offeredGradeLevels": [{"gradeLevelDescriptor": g} for g in grades if g]}

    def _courseOfferings(self, sid: str, d: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        key = self.offering_key(sid, d)
        session_id = next(
            (s for s, v in self.look.sessions.items() if v is self.look.offering_session(d)), "")
        course = self.look.row("courses", d.get("course", ""))
        return {
            "localCourseCode": key["localCourseCode"],
            "schoolReference": self.edorg_ref("schoolReference", d["school"]),
            "sessionReference": {"schoolId": key["schoolId"], "schoolYear": key["schoolYear"],
                                 "sessionName": key["sessionName"],
                                 "link": self._link("sessions", session_id)},
            "courseReference": {"courseCode": derived_keys.course_code(d.get("course", ""),
                                                                       course),
                                "educationOrganizationId": self.look.edorg_id(
                                    course.get("org", "")),
                                "link": self._link("courses", d.get("course", ""))},
            "localCourseTitle": d.get("localCourseTitle") or d.get("title"),
        }

    def _sections(self, sid: str, d: dict[str, Any]) -> dict[str, Any]:
        key = self.offering_key(sid, d)
        offering = self.look.offering_of(sid)
        return {
            "sectionIdentifier": shown_section_identifier(self.class_key, sid, d),
            "courseOfferingReference": {**key, "link": self._link("courseOfferings", offering)},
            "sectionName": d.get("title"),
            "classPeriods": [{"classPeriodReference": {"classPeriodName": p,
                                                       "schoolId": key["schoolId"]}}
                             for p in d.get("periods") or []],
        }

    def _person(self, unique: str, sid: str, d: dict[str, Any]) -> dict[str, Any]:
        return {unique: self.person_key(sid, d), "firstName": d.get("givenName"),
                "middleName": d.get("middleName"), "lastSurname": d.get("familyName"),
                "preferredFirstName": d.get("preferredFirstName"),
                "preferredLastSurname": d.get("preferredLastName")}

    def _emails(self, d: dict[str, Any], kind: str) -> list[dict[str, Any]]:
        if not d.get("email"):
            return []
        return [{"electronicMailAddress": d["email"],
                 "electronicMailTypeDescriptor": _uri("ElectronicMailTypeDescriptor", kind)}]

    def _students(self, sid: str, d: dict[str, Any]) -> dict[str, Any]:
        if self.shown is not None and "birthDate" not in self.shown:
            return self._person("studentUniqueId", sid, d)
        birth = self.look.row("demographics", sid).get("birthDate") or UNKNOWN_BIRTH_DATE
        return {**self._person("studentUniqueId", sid, d), "birthDate": birth}

    def _staffs(self, sid: str, d: dict[str, Any]) -> dict[str, Any]:
        return {**self._person("staffUniqueId", sid, d),
                "electronicMails": self._emails(d, "staff")}

    def _contacts(self, sid: str, d: dict[str, Any]) -> dict[str, Any]:
        return {**self._person("contactUniqueId", sid, d),
                "electronicMails": self._emails(d, "student")}

    def _parents(self, sid: str, d: dict[str, Any]) -> dict[str, Any]:
        return {**self._person("parentUniqueId", sid, d),
                "electronicMails": self._emails(d, "student")}

    def _studentSchoolAssociations(self, sid: str, d: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        grades = self.look.row("users", d["user"]).get("grades") or [None]
        return {"studentReference": self.person_ref("students", d["user"]),
                "schoolReference": self.edorg_ref("schoolReference", d["org"]),
                "entryDate": d.get("beginDate") or self.look.year_start(),
                "entryGradeLevelDescriptor": self._grade(d.get("entryGradeLevel") or grades[0]),
                "exitWithdrawDate": d.get("endDate")}

    def _studentEducationOrganizationAssociations(self, sid: str,  # noqa: N802
                                                  d: dict[str, Any]) -> dict[str, Any]:
        demo = self.look.row("demographics", d["user"])
        user = self.look.row("users", d["user"])
        races = [{"raceDescriptor": _uri("RaceDescriptor", r)} for r in RACES
                 if demo.get(r) is True]
        ethnicity = demo.get("hispanicOrLatinoEthnicity")
        return {"studentReference": self.person_ref("students", d["user"]),
                "educationOrganizationReference": self.edorg_ref(
                    "educationOrganizationReference", d["org"]),
                "sexDescriptor": _uri("SexDescriptor", demo.get("sex")),
                "hispanicLatinoEthnicity": ethnicity if isinstance(ethnicity, bool) else None,
                "races": races, "electronicMails": self._emails(user, "student")}

    def _staffEducationOrganizationAssignmentAssociations(self, sid: str,  # noqa: N802
                                                          d: dict[str, Any]) -> dict[str, Any]:
        classification = (_uri("StaffClassificationDescriptor", d.get("role", ""))
                          or _uri("StaffClassificationDescriptor", "teacher"))
        return {"staffReference": self.person_ref("staffs", d["user"]),
                "educationOrganizationReference": self.edorg_ref(
                    "educationOrganizationReference", d["org"]),
                "beginDate": d.get("beginDate") or self.look.year_start(),
                "staffClassificationDescriptor": classification, "endDate": d.get("endDate")}

    def _studentContactAssociations(self, sid: str,  # noqa: N802
                                    d: dict[str, Any]) -> dict[str, Any]:
        """One contact role towards one student (`student`); the role is the relation."""
        relation = (_uri("RelationDescriptor", d.get("role"))
                    or _uri("RelationDescriptor", "guardian"))
        return {"studentReference": self.person_ref("students", d["student"]),
                "contactReference": self.person_ref("contacts", d["user"]),
                "relationDescriptor": relation}

    def _enrollment(self, d: dict[str, Any], person: str) -> dict[str, Any]:
        return {f"{person[:-1]}Reference": self.person_ref(person, d["user"]),
                "sectionReference": self.section_ref(d["class"]),
                "beginDate": d.get("beginDate") or self.look.year_start(),
                "endDate": d.get("endDate")}

    def _studentSectionAssociations(self, sid: str, d: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return self._enrollment(d, "students")

    def _staffSectionAssociations(self, sid: str, d: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        role = d.get("role", "")
        position = "teacher-secondary" if role == "teacher" and d.get("primary") is False else role
        return {**self._enrollment(d, "staffs"),
                "classroomPositionDescriptor": _uri("ClassroomPositionDescriptor", position)
                or _uri("ClassroomPositionDescriptor", "teacher")}


def flatten_key(resource: str, obj: dict[str, Any]) -> dict[str, Any]:
    """The natural key of a rendered object, reference parts under their own names."""
    key: dict[str, Any] = {}
    for prop in RESOURCES[resource].identity_props:
        value = obj.get(prop.name)
        if prop.kind == "reference" and isinstance(value, dict):
            key.update({k: v for k, v in value.items() if k != "link"})
        else:
            key[prop.name] = value
    return key

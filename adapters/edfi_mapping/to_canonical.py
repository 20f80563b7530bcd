"""Ed-Fi resource bodies (JSON shape, already type-checked) -> canonical records.

Used by the REST API's POST/PUT and meant for the XML adapter too: an interchange element, read
into the same dict shape, maps through the same functions. References are turned into canonical
sourcedIds by a `Resolver` the caller supplies: the REST API looks the referenced row up in the
store (it may have come from any source); an adapter without a store uses `deterministic`, the
sourcedId an Ed-Fi source would have given the referenced record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from adapters.edfi_mapping.descriptors import UnknownDescriptor, crosswalk
from adapters.edfi_mapping.gradebook import ENTRY_DUE, GRADEBOOK_BUILDERS, SOURCE_ONLY
from adapters.edfi_mapping.identity import sourced_id_for
from adapters.edfi_mapping.resources import REFERENCES, RESOURCES, Prop, Resource
from adapters.edfi_mapping.resources import WRITABLE as WRITABLE  # re-exported: see the end
from adapters.edfi_mapping.school_years import SchoolYearError, parse_school_year
from adapters.records import Record

# (target resource, key values) -> canonical sourcedId, or None when nothing has that key
Resolver = Callable[[str, dict[str, Any]], str | None]
EDORG_RESOURCES = frozenset({"schools", "localEducationAgencies"})
# Resolver targets that are not resources: a section names its course only through its course
# offering, and a contact association names no school; a source that knows them (the XML
# adapter, from its own files) answers these, `deterministic` cannot.
OFFERED_COURSE = "courseOfferings.course"
STUDENT_SCHOOL = "students.school"
# A descriptor value a store holds beyond the crosswalk (key: descriptor name and the URI as
# given; answer: the stored value's URI), e.g. one a SIS posted in its district namespace.
DESCRIPTOR_VALUES = "descriptors"

# Resources an Ed-Fi source sends that the REST API does not serve as such: the DS 4 name of
# the student-contact association (an interchange's StudentParentAssociation) becomes the same
# contact role, towards one student, that `studentContactAssociations` serves.
_ASSOCIATION_ONLY: dict[str, Resource] = {r.name: r for r in (
    Resource("studentParentAssociations", "roles", None, (
        Prop("studentReference", "reference", identity=True, reference="studentReference"),
        Prop("parentReference", "reference", identity=True, reference="parentReference"),
        Prop("relationDescriptor", "descriptor", descriptor="RelationDescriptor"),
    ), order=20),
)}


def resource_named(name: str) -> Resource:
    """A served resource, or one an Ed-Fi source may send without it being served."""
    return RESOURCES.get(name) or _ASSOCIATION_ONLY.get(name) or SOURCE_ONLY[name]


class MappingError(ValueError):
    """A body that cannot become canonical records; `path` is the JSON path of the culprit."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def canonical_sourced_id(resource: str, key: Mapping[str, Any]) -> str:
    """The sourcedId an Ed-Fi source gives the record of `resource` with natural key `key`.
    Education organizations share one id space in Ed-Fi, so all of them hash as one kind."""
    if resource in EDORG_RESOURCES or "educationOrganizationId" in key and len(key) == 1:
        (value,) = key.values()
        return sourced_id_for("educationOrganizations", {"educationOrganizationId": value})
    if resource == "parents":
        return sourced_id_for("contacts", {"contactUniqueId": key["parentUniqueId"]})
    return sourced_id_for(resource, key)


def deterministic(resource: str, key: dict[str, Any]) -> str | None:
    """A Resolver for sources without a store: the id the referenced record was given."""
    if resource in (DESCRIPTOR_VALUES, ENTRY_DUE):  # facts only a store or a whole set holds
        return None
    return canonical_sourced_id(resource, key)


def natural_key(resource: Resource, body: Mapping[str, Any]) -> dict[str, Any]:
    """The flattened natural key of a body (reference parts under their own names)."""
    key: dict[str, Any] = {}
    for prop in resource.identity_props:
        value = body.get(prop.name)
        if prop.kind == "reference":
            ref = value if isinstance(value, dict) else {}
            for part, _kind in REFERENCES[prop.reference or ""][1]:
                key[part] = ref.get(part)
        else:
            key[prop.name] = value
    missing = sorted(k for k, v in key.items() if v in (None, ""))
    if missing:
        raise MappingError("$", f"natural key incomplete: missing {', '.join(missing)}")
    return key


# What an import is told about a descriptor value it read by a stand-in, or left out:
# (JSON path, the reason, the value as given). See `to_records`.
Notes = Callable[[str, str, str], None]


class _Mapper:
    def __init__(self, resource: Resource, body: Mapping[str, Any], resolve: Resolver,
                 notes: Notes | None = None) -> None:
        self.resource = resource
        self.body = body
        self.resolve = resolve
        self.notes = notes

    def reference(self, name: str, required: bool = True) -> str | None:
        ref = self.body.get(name)
        if ref is None:
            if required:
                raise MappingError(f"$.{name}", "is required")
            return None
        target, parts = REFERENCES[name]
        key = {part: ref.get(part) for part, _ in parts}
        if list(key) == ["educationOrganizationId"]:  # any edorg; not a course's key part
            target = "schools"
        found = self.resolve(target, key)
        if found is None:
            shown = ", ".join(f"{k}={v!r}" for k, v in key.items())
            raise MappingError(f"$.{name}", f"no {target} with {shown}")
        return found

    def descriptor(self, path: str, descriptor: str, value: Any, *,
                   required: bool = True) -> str | None:
        """The canonical term of a descriptor value.

        Without `notes` (the REST API) only what the crosswalk lists, or a value a client
        stored, is read: Ed-Fi wants a named descriptor to exist. With `notes` (an import) a
        district's own values are read too, each stand-in is noted, and a value with no
        possible mapping refuses the row only when the field is `required`: an optional one
        is noted and left out (None)."""
        text = str(value)
        try:
            if self.notes is None:
                return crosswalk().to_canonical(descriptor, text)
            reading = crosswalk().read(descriptor, text)
        except UnknownDescriptor as exc:
            stored = self.resolve(DESCRIPTOR_VALUES, {"descriptor": descriptor, "uri": text})
            if stored is not None:
                return _stored_descriptor(path, descriptor, stored)
            if required or self.notes is None:
                raise MappingError(path, str(exc)) from None
            self.notes(path, f"{exc}; the value is left out", text)
            return None
        if reading.note:
            self.notes(path, reading.note, text)
        return reading.canonical

    def lookup(self, target: str, key: dict[str, Any], path: str) -> str:
        """A resolver answer that must exist; `path` names the body part that asked."""
        found = self.resolve(target, key)
        if found is None:
            shown = ", ".join(f"{k}={v!r}" for k, v in key.items())
            raise MappingError(path, f"no {target} with {shown}")
        return found

    def parts(self, name: str) -> dict[str, Any]:
        """The key parts of reference `name` (required), by their own names."""
        ref = self.body.get(name)
        if not isinstance(ref, dict):
            raise MappingError(f"$.{name}", "is required")
        return {part: ref.get(part) for part, _ in REFERENCES[name][1]}

    def school_year(self, name: str) -> str:
        ref = self.body.get(name) or {}
        try:
            return str(parse_school_year(ref.get("schoolYear")))
        except SchoolYearError as exc:
            raise MappingError(f"$.{name}.schoolYear", str(exc)) from None

    def grades(self, name: str, field: str) -> list[str]:
        items = self.body.get(name) or []
        grades = (self.descriptor(f"$.{name}[{i}].{field}", "GradeLevelDescriptor", item[field],
                                  required=False) for i, item in enumerate(items))
        return [grade for grade in grades if grade is not None]

    def set(self, out: dict[str, Any], field: str, prop: str) -> None:
        if self.body.get(prop) not in (None, ""):
            out[field] = self.body[prop]


def _stored_descriptor(path: str, descriptor: str, uri: str) -> str:
    """A stored (district) value maps to the crosswalk term with the same codeValue."""
    try:
        return crosswalk().to_canonical(descriptor, uri.rpartition("#")[2])
    except UnknownDescriptor:
        known = ", ".join(v.code_value for v in crosswalk().values[descriptor])
        raise MappingError(path, f"{uri!r} exists as a {descriptor} but has no canonical "
                                 f"mapping: its codeValue is none of {known}") from None


def to_records(resource_name: str, body: Mapping[str, Any], resolve: Resolver,
               sourced_id: str | None = None, *, notes: Notes | None = None) -> list[Record]:
    """Canonical records for one resource body. `sourced_id` is the existing row's id when the
    body updates a row found by its natural key; else the deterministic one is used. An
    import passes `notes` to read district descriptor values too (see `_Mapper.descriptor`)."""
    resource = resource_named(resource_name)
    key = natural_key(resource, body)
    sid = sourced_id or canonical_sourced_id(resource_name, key)
    mapper = _Mapper(resource, body, resolve, notes)
    build = _BUILDERS.get(resource_name)
    if build is None:
        raise MappingError("$", f"{resource_name} cannot be written through this gateway")
    return build(mapper, sid)


def _edorg(kind: str, id_prop: str) -> Callable[[_Mapper, str], list[Record]]:
    def build(m: _Mapper, sid: str) -> list[Record]:
        fields: dict[str, Any] = {"name": m.body.get("nameOfInstitution") or "",
                                  "type": kind, "identifier": str(m.body[id_prop])}
        if kind == "school":
            parent = m.reference("localEducationAgencyReference", required=False)
            if parent:
                fields["parent"] = parent
            grades = m.grades("gradeLevels", "gradeLevelDescriptor")
            if grades:
                fields["grades"] = grades
        return [Record("orgs", sid, fields)]
    return build


_SEMESTERS = frozenset({"fall", "spring", "summer", "semester"})


def _session(m: _Mapper, sid: str) -> list[Record]:
    term = m.body.get("termDescriptor")
    season = None if term is None else m.descriptor("$.termDescriptor", "TermDescriptor", term,
                                                    required=False)
    kind = "schoolYear" if season == "schoolYear" else "semester" if season in _SEMESTERS \
        else "term"
    fields = {"title": m.body["sessionName"], "type": kind,
              "startDate": m.body.get("beginDate"), "endDate": m.body.get("endDate"),
              "schoolYear": m.school_year("schoolYearTypeReference"),
              "school": m.reference("schoolReference")}
    return [Record("academicSessions", sid, {k: v for k, v in fields.items() if v is not None})]


def _course(m: _Mapper, sid: str) -> list[Record]:
    fields: dict[str, Any] = {"title": m.body.get("courseTitle") or m.body["courseCode"],
                              "courseCode": m.body["courseCode"],
                              "org": m.reference("educationOrganizationReference")}
    grades = m.grades("offeredGradeLevels", "gradeLevelDescriptor")
    if grades:
        fields["grades"] = grades
    return [Record("courses", sid, fields)]


def _person(kind: str, unique: str) -> Callable[[_Mapper, str], list[Record]]:
    def build(m: _Mapper, sid: str) -> list[Record]:
        fields: dict[str, Any] = {"enabledUser": True, "username": m.body[unique],
                                  "identifier": m.body[unique], "personKind": kind,
                                  "givenName": m.body.get("firstName") or "",
                                  "familyName": m.body.get("lastSurname") or ""}
        m.set(fields, "middleName", "middleName")
        m.set(fields, "preferredFirstName", "preferredFirstName")
        m.set(fields, "preferredLastName", "preferredLastSurname")
        mails = m.body.get("electronicMails") or []
        if mails:
            fields["email"] = mails[0].get("electronicMailAddress")
        records = [Record("users", sid, fields)]
        if kind == "student" and m.body.get("birthDate"):
            records.append(Record("demographics", sid, {"birthDate": m.body["birthDate"]}))
        return records
    return build


def _student_school(m: _Mapper, sid: str) -> list[Record]:
    fields: dict[str, Any] = {"user": m.reference("studentReference"), "roleType": "primary",
                              "role": "student", "org": m.reference("schoolReference"),
                              "beginDate": m.body["entryDate"]}
    m.set(fields, "endDate", "exitWithdrawDate")
    if m.body.get("entryGradeLevelDescriptor") is not None:
        grade = m.descriptor("$.entryGradeLevelDescriptor", "GradeLevelDescriptor",
                             m.body["entryGradeLevelDescriptor"], required=False)
        if grade is not None:
            fields["entryGradeLevel"] = grade
    return [Record("roles", sid, fields)]


def _grading_period(m: _Mapper, sid: str) -> list[Record]:
    m.descriptor("$.gradingPeriodDescriptor", "GradingPeriodDescriptor",
                 m.body["gradingPeriodDescriptor"])
    fields = {"title": m.body["gradingPeriodName"], "type": "gradingPeriod",
              "startDate": m.body.get("beginDate"), "endDate": m.body.get("endDate"),
              "schoolYear": m.school_year("schoolYearTypeReference"),
              "school": m.reference("schoolReference")}
    return [Record("academicSessions", sid, {k: v for k, v in fields.items() if v is not None})]


def _session_of(m: _Mapper, offering: dict[str, Any], path: str) -> str:
    key = {"schoolId": offering.get("schoolId"), "schoolYear": offering.get("schoolYear"),
           "sessionName": offering.get("sessionName")}
    return m.lookup("sessions", key, path)


def _course_offering(m: _Mapper, sid: str) -> list[Record]:
    """One offering is one class in the canonical model (its section, when one comes, is the
    same class seen with a section identifier)."""
    code = m.body["localCourseCode"]
    fields: dict[str, Any] = {
        "title": m.body.get("localCourseTitle") or code, "classCode": code,
        "classType": "scheduled", "course": m.reference("courseReference"),
        "school": m.reference("schoolReference"), "localCourseCode": code,
        "terms": [m.reference("sessionReference")]}
    m.set(fields, "localCourseTitle", "localCourseTitle")
    return [Record("classes", sid, fields)]


def _section(m: _Mapper, sid: str) -> list[Record]:
    offering = m.parts("courseOfferingReference")
    where = "$.courseOfferingReference"
    identifier = m.body["sectionIdentifier"]
    fields: dict[str, Any] = {
        "title": m.body.get("sectionName") or identifier, "classCode": identifier,
        "classType": "scheduled",
        "course": m.lookup(OFFERED_COURSE, offering, where),
        "school": m.lookup("schools", {"schoolId": offering["schoolId"]}, where),
        "terms": [_session_of(m, offering, where)],
        "sectionIdentifier": identifier, "localCourseCode": offering["localCourseCode"]}
    periods = [name for name in map(_period_name, m.body.get("classPeriods") or []) if name]
    if periods:
        fields["periods"] = periods
    return [Record("classes", sid, fields)]


def _period_name(item: Mapping[str, Any]) -> str | None:
    """A class period's name: DS 5.0 names it in a classPeriodReference; the XML adapter's
    layout (and DS 4 bodies) give it bare."""
    ref = item.get("classPeriodReference")
    name = ref.get("classPeriodName") if isinstance(ref, Mapping) else item.get("classPeriodName")
    return None if name in (None, "") else str(name)


_RACES = ("americanIndianOrAlaskaNative", "asian", "blackOrAfricanAmerican",
          "nativeHawaiianOrOtherPacificIslander", "white")
_HISPANIC = "hispanicOrLatinoEthnicity"  # a RaceDescriptor term: the ethnicity, not a race


def _student_edorg(m: _Mapper, sid: str) -> list[Record]:
    """Sex, races and ethnicity are the student's demographics (keyed by the student); the
    association itself adds no role: the school association already gives one."""
    user = m.reference("studentReference") or ""
    m.reference("educationOrganizationReference")
    fields: dict[str, Any] = {}
    if m.body.get("sexDescriptor") is not None:
        sex = m.descriptor("$.sexDescriptor", "SexDescriptor", m.body["sexDescriptor"],
                           required=False)
        if sex is not None:
            fields["sex"] = sex
    given = {m.descriptor(f"$.races[{i}].raceDescriptor", "RaceDescriptor",
                          item.get("raceDescriptor"), required=False)
             for i, item in enumerate(m.body.get("races") or [])}
    races = given & set(_RACES)  # DS 5.2 lists Hispanic or Latino, and declining, as races
    if races:
        fields.update({race: race in races for race in _RACES})
        fields["demographicRaceTwoOrMoreRaces"] = len(races) > 1
    if isinstance(m.body.get("hispanicLatinoEthnicity"), bool):
        fields["hispanicOrLatinoEthnicity"] = m.body["hispanicLatinoEthnicity"]
    elif _HISPANIC in given:
        fields["hispanicOrLatinoEthnicity"] = True
    return [Record("demographics", user, fields)]


def _staff_assignment(m: _Mapper, sid: str) -> list[Record]:
    role = m.descriptor("$.staffClassificationDescriptor", "StaffClassificationDescriptor",
                        m.body["staffClassificationDescriptor"])
    fields: dict[str, Any] = {"user": m.reference("staffReference"), "roleType": "primary",
                              "role": role, "org": m.reference("educationOrganizationReference"),
                              "beginDate": m.body["beginDate"]}
    m.set(fields, "endDate", "endDate")
    return [Record("roles", sid, fields)]


def _section_enrollment(person: str) -> Callable[[_Mapper, str], list[Record]]:
    def build(m: _Mapper, sid: str) -> list[Record]:
        section = m.parts("sectionReference")
        fields: dict[str, Any] = {
            "user": m.reference(f"{person}Reference"),
            "class": m.reference("sectionReference"),
            "school": m.lookup("schools", {"schoolId": section["schoolId"]},
                               "$.sectionReference"),
            "role": "student", "beginDate": m.body["beginDate"]}
        if person == "staff":
            given = m.body.get("classroomPositionDescriptor") or "Teacher of Record"
            position = m.descriptor("$.classroomPositionDescriptor",
                                    "ClassroomPositionDescriptor", given)
            fields["role"] = "teacher" if position.startswith("teacher") else position
            fields["primary"] = position == "teacher"
        m.set(fields, "endDate", "endDate")
        return [Record("enrollments", sid, fields)]
    return build


def _student_contact(contact: str) -> Callable[[_Mapper, str], list[Record]]:
    """The contact's role towards one student (`student`), held at the student's school
    (OneRoster roles need an org; Ed-Fi contacts have none of their own). One row per pair, so
    a contact of two children holds two roles, each readable and deletable on its own."""
    def build(m: _Mapper, sid: str) -> list[Record]:
        student = m.parts("studentReference")
        relation = m.body.get("relationDescriptor")
        # No relation given: a guardian, as before DS 5. One given but unreadable: a relative,
        # which carries no parental authority.
        role = "guardian" if relation is None else m.descriptor(
            "$.relationDescriptor", "RelationDescriptor", relation, required=False) or "relative"
        fields: dict[str, Any] = {
            "user": m.reference(f"{contact}Reference"), "roleType": "primary", "role": role,
            "student": m.reference("studentReference"),
            "org": m.lookup(STUDENT_SCHOOL, student, "$.studentReference")}
        return [Record("roles", sid, fields)]
    return build


_BUILDERS: dict[str, Callable[[_Mapper, str], list[Record]]] = {
    "localEducationAgencies": _edorg("district", "localEducationAgencyId"),
    "schools": _edorg("school", "schoolId"),
    "sessions": _session,
    "courses": _course,
    "students": _person("student", "studentUniqueId"),
    "staffs": _person("staff", "staffUniqueId"),
    "studentSchoolAssociations": _student_school,
    "gradingPeriods": _grading_period,
    "courseOfferings": _course_offering,
    "sections": _section,
    "contacts": _person("contact", "contactUniqueId"),
    "parents": _person("contact", "parentUniqueId"),
    "studentEducationOrganizationAssociations": _student_edorg,
    "staffEducationOrganizationAssignmentAssociations": _staff_assignment,
    "studentSectionAssociations": _section_enrollment("student"),
    "staffSectionAssociations": _section_enrollment("staff"),
    "studentContactAssociations": _student_contact("contact"),
    "studentParentAssociations": _student_contact("parent"),
    **GRADEBOOK_BUILDERS,  # source-only: gradebookEntries, studentGradebookEntries
}
# What the REST API accepts: every resource marked `writable` in resources.py (WRITABLE is
# re-exported from there). The REST resolver answers OFFERED_COURSE and STUDENT_SCHOOL from
# the store; the XML adapter answers them from its interchange files.

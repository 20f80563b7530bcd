"""What one Ed-Fi resource says about a record that another one needs, gathered before records
are made (shared by the edfi-xml adapter and the rest-api Ed-Fi assembler).

Ed-Fi spreads a canonical row over several elements: a student's e-mail, sex and races sit on
the StudentEducationOrganizationAssociation, the grade on the school association, a contact's
children on the contact association, a section's course on its course offering. The canonical
row must be whole when it is emitted (families go out in apply order), so these few facts are
read first, keyed by sourcedId. The index grows with the number of people and offerings, not
with file size: a few small values per person.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from adapters.edfi_mapping.descriptors import UnknownDescriptor, crosswalk
from adapters.edfi_mapping.gradebook import ENTRY_DUE, ENTRY_KEY
from adapters.edfi_mapping.identity import normalise_key_value
from adapters.edfi_mapping.to_canonical import (
    OFFERED_COURSE,
    STUDENT_SCHOOL,
    canonical_sourced_id,
    deterministic,
)
from adapters.records import Record


def _offering_key(key: dict[str, Any]) -> tuple[str, ...]:
    return tuple(normalise_key_value(key.get(part)) for part in
                 ("localCourseCode", "schoolId", "schoolYear", "sessionName"))


def _entry_key(body: dict[str, Any]) -> tuple[str, ...]:
    return tuple(normalise_key_value(body.get(part)) for part in ENTRY_KEY)


@dataclass(slots=True)
class StudentFacts:
    """Kept per student for the whole read, so kept small: slots, and demographics shared
    between students with the same ones (a district has a few dozen combinations)."""

    school: str | None = None
    grade: str | None = None
    email: str | None = None
    demographics: dict[str, Any] = field(default_factory=dict)
    contacts: tuple[str, ...] = ()


@dataclass
class PeopleIndex:
    offerings: dict[tuple[str, ...], str] = field(default_factory=dict)
    students: dict[str, StudentFacts] = field(default_factory=dict)
    contacts: dict[str, list[str]] = field(default_factory=dict)  # contact -> students
    _shapes: dict[tuple[tuple[str, Any], ...], dict[str, Any]] = field(default_factory=dict)
    entry_dates: dict[tuple[str, ...], str] = field(default_factory=dict)  # gradebook entries
    period_sessions: dict[str, str] = field(default_factory=dict)  # grading period -> session

    def student(self, sourced_id: str) -> StudentFacts:
        return self.students.setdefault(sourced_id, StudentFacts())

    def add_offering(self, body: dict[str, Any]) -> None:
        course = body.get("courseReference") or {}
        school = (body.get("schoolReference") or {}).get("schoolId")
        session = body.get("sessionReference") or {}
        key = {"localCourseCode": body.get("localCourseCode"), "schoolId": school,
               "schoolYear": session.get("schoolYear"), "sessionName": session.get("sessionName")}
        if course.get("courseCode") and course.get("educationOrganizationId"):
            self.offerings[_offering_key(key)] = canonical_sourced_id("courses", course)

    def add_school_association(self, body: dict[str, Any]) -> None:
        facts = self.student(self._person("students", body, "studentReference"))
        school = (body.get("schoolReference") or {}).get("schoolId")
        if school is not None and facts.school is None:
            facts.school = canonical_sourced_id("schools", {"schoolId": school})
        grade = body.get("entryGradeLevelDescriptor")
        if grade and facts.grade is None:
            try:
                facts.grade = crosswalk().read("GradeLevelDescriptor", grade).canonical
            except UnknownDescriptor:
                pass  # reported when the association itself is read
        return None

    def add_edorg_association(self, body: dict[str, Any], demographics: dict[str, Any]) -> None:
        facts = self.student(self._person("students", body, "studentReference"))
        merged = {**facts.demographics, **demographics}
        facts.demographics = self._shapes.setdefault(tuple(sorted(merged.items())), merged)
        mails = [m.get("electronicMailAddress") for m in body.get("electronicMails") or []]
        if mails and mails[0] and facts.email is None:
            facts.email = mails[0]

    def add_contact_association(self, body: dict[str, Any], contact_ref: str) -> None:
        student = self._person("students", body, "studentReference")
        resource = "contacts" if contact_ref == "contactReference" else "parents"
        contact = self._person(resource, body, contact_ref)
        facts = self.student(student)
        if contact not in facts.contacts:
            facts.contacts = (*facts.contacts, contact)
        children = self.contacts.setdefault(contact, [])
        if student not in children:
            children.append(student)

    def add_session(self, body: dict[str, Any]) -> None:
        """A session lists its grading periods: each one's canonical parent is the session
        (the first that lists it)."""
        periods = body.get("gradingPeriods") or []
        if not periods:
            return
        school = (body.get("schoolReference") or {}).get("schoolId")
        year = (body.get("schoolYearTypeReference") or {}).get("schoolYear")
        session = canonical_sourced_id("sessions", {
            "schoolId": school, "schoolYear": year, "sessionName": body.get("sessionName")})
        for item in periods:
            key = item.get("gradingPeriodReference") or {}
            period = canonical_sourced_id("gradingPeriods", {
                part: key.get(part) for part in ("gradingPeriodDescriptor", "gradingPeriodName",
                                                 "schoolId", "schoolYear")})
            self.period_sessions.setdefault(period, session)

    def add_gradebook_entry(self, body: dict[str, Any]) -> None:
        """Its due date (else date assigned): a student's result without a date fulfilled is
        dated by it."""
        day = body.get("dueDate") or body.get("dateAssigned")
        if day:
            self.entry_dates[_entry_key(body)] = str(day)

    def resolve(self, target: str, key: dict[str, Any]) -> str | None:
        """The adapter's Resolver: the index for what only the files know, else the
        deterministic id of the referenced record."""
        if target == OFFERED_COURSE:
            return self.offerings.get(_offering_key(key))
        if target == ENTRY_DUE:
            return self.entry_dates.get(_entry_key(key))
        if target == STUDENT_SCHOOL:
            sid = canonical_sourced_id("students", {"studentUniqueId":
                                                    key.get("studentUniqueId")})
            facts = self.students.get(sid)
            return facts.school if facts else None
        return deterministic(target, key)

    def complete(self, record: Record) -> None:
        """Adds to a row what other elements said about it: a person's school, grade, e-mail,
        demographics and contacts; a grading period's session."""
        if record.family == "demographics":
            facts = self.students.get(record.sourced_id)
            if facts:
                record.fields = {**facts.demographics, **record.fields}
            return
        if record.family == "academicSessions":
            session = self.period_sessions.get(record.sourced_id)
            if session and record.fields.get("type") == "gradingPeriod":
                record.fields.setdefault("parent", session)
            return
        if record.family != "users":
            return
        kind = record.fields.get("personKind")
        if kind == "student":
            facts = self.students.get(record.sourced_id)
            if facts is None:
                return
            if facts.grade:
                record.fields["grades"] = [facts.grade]
            if facts.school:
                record.fields["primaryOrg"] = facts.school
            if facts.email and not record.fields.get("email"):
                record.fields["email"] = facts.email
            if facts.contacts:
                record.fields["agents"] = list(facts.contacts)
        elif kind == "contact":
            children = self.contacts.get(record.sourced_id)
            if children:
                record.fields["agents"] = list(children)
                school = self.students.get(children[0])
                if school and school.school:
                    record.fields["primaryOrg"] = school.school

    @staticmethod
    def _person(resource: str, body: dict[str, Any], ref: str) -> str:
        key = dict(body.get(ref) or {})
        unique = {"students": "studentUniqueId", "contacts": "contactUniqueId",
                  "parents": "parentUniqueId"}[resource]
        return canonical_sourced_id(resource, {unique: key.get(unique)})

"""The Ed-Fi ODS/API assembler: the code behind `pack:edfi-v3` (the connector's escape hatch).

Ed-Fi spreads one canonical row over several resources (a student's school and grade sit on
the school association, sex and races on the education organization association, a section's
course on its course offering), so its records cannot be mapped one by one. They go through the
same Ed-Fi mapping as the Ed-Fi API's own writes and the edfi-xml adapter
(`adapters.edfi_mapping`), so a record gets the sourcedId it would get from an interchange file
or a POST: the facts other rows need are gathered first (`PeopleIndex`), then the records made.

Incremental runs read each resource's change window (minChangeVersion..maxChangeVersion) and its
`/deletes`. A changed association changes the person it describes, and a changed person needs
every fact about them, so the people and sections a change touches are read again whole, by
example (`?studentUniqueId=...`), before their records are made.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from adapters.edfi_mapping.people_index import PeopleIndex
from adapters.edfi_mapping.to_canonical import (
    MappingError,
    canonical_sourced_id,
    to_records,
)
from adapters.records import Event, Issue, Record
from adapters.rest_api.connector import StreamSpec
from adapters.rest_api.streams import FULL, Located, StreamReader

# Resources that only feed the index, and the family a problem in one of them is reported on.
INDEX_ONLY = {"courseOfferings": "classes",
              "studentEducationOrganizationAssociations": "demographics"}
# Resources whose facts the index gathers (read before any record is made).
GATHERED = ("courseOfferings", "studentSchoolAssociations",
            "studentEducationOrganizationAssociations", "studentContactAssociations")
_STUDENT_FACTS = ("studentSchoolAssociations", "studentEducationOrganizationAssociations",
                  "studentContactAssociations")
_OFFERING_KEY = ("localCourseCode", "schoolId", "schoolYear", "sessionName")


class EdfiAssembler:
    """Turns the Ed-Fi streams of one run into canonical records (see the module docstring).
    A stream is named after its resource; `<resource>.deletes` streams list deletions."""

    def __init__(self, reader: StreamReader) -> None:
        self.reader = reader
        self.streams = {s.name: s for s in reader.connector.streams}
        self.index = PeopleIndex()

    def read(self) -> Iterator[Event]:
        incremental = any(self.reader.mode(s) != FULL for s in self.streams.values())
        for stream in self.streams.values():
            self.reader.start(stream)
        if not incremental:
            yield from self._gather(self._windows(GATHERED))
            for name, stream in self.streams.items():
                if name not in INDEX_ONLY and not stream.deletes:
                    yield from self._records(name, self._read(stream))
            return
        yield from self._changes()

    # -- full runs ----------------------------------------------------------------------------
    def _windows(self, names: tuple[str, ...]) -> Iterator[tuple[str, Located]]:
        for name in names:
            if name in self.streams:
                for item in self._read(self.streams[name]):
                    yield name, item

    def _read(self, stream: StreamSpec, example: dict[str, str] | None = None
              ) -> Iterator[Located]:
        """Items as the Ed-Fi mapping reads them: references hold their key parts only (the
        API adds a `link` to each), bodies no server bookkeeping."""
        for item in self.reader.records(stream, example, window=example is None,
                                        track=example is None):
            if isinstance(item.record, dict):
                item.record = _key_parts_only(item.record)
            yield item

    def _gather(self, items: Iterator[tuple[str, Located]]) -> Iterator[Event]:
        for name, item in items:
            problem = self._add(name, item.record)
            if problem is not None and name in INDEX_ONLY:
                yield _issue(item, problem, INDEX_ONLY[name])

    def _add(self, name: str, body: Any) -> Exception | None:
        try:
            if not isinstance(body, dict):
                raise MappingError("$", f"an item is a {type(body).__name__}, not an object")
            if name == "courseOfferings":
                self.index.add_offering(body)
            elif name == "studentSchoolAssociations":
                self.index.add_school_association(body)
            elif name == "studentEducationOrganizationAssociations":
                [demo] = to_records(name, body, self.index.resolve)
                self.index.add_edorg_association(body, demo.fields)
            else:
                self.index.add_contact_association(body, "contactReference")
        except (MappingError, ValueError) as exc:
            return exc
        return None

    def _records(self, name: str, items: Iterator[Located]) -> Iterator[Event]:
        families = self.streams[name].families
        for item in items:
            try:
                if not isinstance(item.record, dict):
                    raise MappingError("$", f"an item is a {type(item.record).__name__}, "
                                            "not an object")
                records = to_records(name, item.record, self.index.resolve)
            except (MappingError, ValueError) as exc:
                for family in families:
                    yield _issue(item, exc, family)
                continue
            for record in records:
                if record.family not in families:
                    continue
                self.index.complete(record)
                if record.fields or record.family != "demographics":
                    record.file, record.line = item.file, item.line
                    if self.reader.mode(self.streams[name]) != FULL:
                        record.status = "active"
                    yield record

    # -- incremental runs ---------------------------------------------------------------------
    def _changes(self) -> Iterator[Event]:
        """The change windows, widened to every fact about what they touch."""
        changed = {name: list(self._read(stream))
                   for name, stream in self.streams.items() if not stream.deletes}
        students, contacts, offerings = self._touched(changed)
        for student in sorted(students):
            for name in _STUDENT_FACTS:
                yield from self._gather((name, item) for item in
                                        self._example(name, {"studentUniqueId": student}))
        for contact in sorted(contacts):
            for item in self._example("studentContactAssociations",
                                      {"contactUniqueId": contact}):
                yield from self._gather(iter([("studentContactAssociations", item)]))
                child = (item.record.get("studentReference") or {}).get("studentUniqueId")
                if child and child not in students:
                    yield from self._gather(("studentSchoolAssociations", one) for one in
                                            self._example("studentSchoolAssociations",
                                                          {"studentUniqueId": child}))
        for key in sorted(offerings):
            example = dict(zip(_OFFERING_KEY, key, strict=True))
            yield from self._gather(("courseOfferings", item) for item in
                                    self._example("courseOfferings", example))
        yield from self._gather((name, item) for name in GATHERED for item in
                                changed.get(name, ()))
        extra = self._people_and_sections(changed, students, contacts, offerings)
        for name, items in changed.items():
            if name not in INDEX_ONLY:
                yield from self._records(name, iter(items + extra.get(name, [])))
        for name, stream in self.streams.items():
            if stream.deletes:
                yield from self._deletions(name.removesuffix(".deletes"), stream)

    def _touched(self, changed: dict[str, list[Located]]
                 ) -> tuple[set[str], set[str], set[tuple[str, ...]]]:
        """Students and contacts whose records the changed items change, and the course
        offerings of changed sections."""
        students: set[str] = set()
        contacts: set[str] = set()
        offerings: set[tuple[str, ...]] = set()
        for name, items in changed.items():
            for item in items:
                body = item.record if isinstance(item.record, dict) else {}
                student = body.get("studentUniqueId") if name == "students" else \
                    (body.get("studentReference") or {}).get("studentUniqueId")
                if student and (name == "students" or name in _STUDENT_FACTS):
                    students.add(str(student))
                contact = body.get("contactUniqueId") if name == "contacts" else \
                    (body.get("contactReference") or {}).get("contactUniqueId")
                if contact and name in ("contacts", "studentContactAssociations"):
                    contacts.add(str(contact))
                if name in ("sections", "courseOfferings"):
                    ref = body if name == "courseOfferings" else \
                        body.get("courseOfferingReference") or {}
                    school = (body.get("schoolReference") or {}).get("schoolId") \
                        if name == "courseOfferings" else ref.get("schoolId")
                    session = body.get("sessionReference") or {} \
                        if name == "courseOfferings" else ref
                    offerings.add((str(ref.get("localCourseCode")), str(school),
                                   str(session.get("schoolYear")),
                                   str(session.get("sessionName"))))
        return students, contacts, offerings

    def _people_and_sections(self, changed: dict[str, list[Located]], students: set[str],
                             contacts: set[str], offerings: set[tuple[str, ...]]
                             ) -> dict[str, list[Located]]:
        """Bodies to make again that the change windows did not hold: a person whose facts
        changed, the sections of a changed offering."""
        def have(name: str, key: str) -> set[str]:
            return {str(i.record.get(key)) for i in changed.get(name, [])
                    if isinstance(i.record, dict)}

        extra: dict[str, list[Located]] = {}
        for student in sorted(students - have("students", "studentUniqueId")):
            extra.setdefault("students", []).extend(
                self._example("students", {"studentUniqueId": student}))
        for contact in sorted(contacts - have("contacts", "contactUniqueId")):
            extra.setdefault("contacts", []).extend(
                self._example("contacts", {"contactUniqueId": contact}))
        changed_offerings = {(str(i.record.get("localCourseCode")),) for i in
                             changed.get("courseOfferings", []) if isinstance(i.record, dict)}
        if changed_offerings:
            sections = have("sections", "sectionIdentifier")
            for key in sorted(offerings):
                example = dict(zip(_OFFERING_KEY, key, strict=True))
                extra.setdefault("sections", []).extend(
                    i for i in self._example("sections", example)
                    if str(i.record.get("sectionIdentifier")) not in sections)
        return extra

    def _example(self, name: str, example: dict[str, str]) -> list[Located]:
        """Every item of `name` matching `example` (Ed-Fi query by example), read whole."""
        stream = self.streams.get(name)
        if stream is None:
            return []
        return list(self._read(stream, example))

    def _deletions(self, resource: str, stream: StreamSpec) -> Iterator[Event]:
        families = self.streams[resource].families if resource in self.streams \
            else stream.families
        for item in self.reader.records(stream):
            body = item.record if isinstance(item.record, dict) else {}
            key = body.get("keyValues")
            try:
                if not isinstance(key, dict) or not key:
                    raise MappingError("$.keyValues", "a deletion without its key values")
                sourced_id = canonical_sourced_id(resource, key)
            except (MappingError, ValueError) as exc:
                for family in families:
                    yield _issue(item, exc, family)
                continue
            for family in families:
                yield Record(family, sourced_id, {}, item.file, item.line,
                             status="tobedeleted")


_BOOKKEEPING = frozenset({"id", "_etag", "_lastModifiedDate", "link"})


def _key_parts_only(body: dict[str, Any]) -> dict[str, Any]:
    return {k: (_key_parts_only(v) if isinstance(v, dict) else v)
            for k, v in body.items() if k not in _BOOKKEEPING}


def _issue(item: Located, exc: Exception, family: str) -> Issue:
    path = exc.path if isinstance(exc, MappingError) else "$"
    reason = exc.message if isinstance(exc, MappingError) else str(exc)
    return Issue("error", f"{path}: {reason}", item.file, item.line, path, family=family)

"""Ed-Fi gradebooks (Data Standard 5.x `GradebookEntry`, `StudentGradebookEntry`) -> canonical
line items, categories and results.

Source-only: an Ed-Fi source (the XML adapter's InterchangeStudentGradebook) sends them; the
REST API neither serves nor accepts them, so they are not in `resources.RESOURCES` and add no
reference to `resources.REFERENCES` (which drives the served OpenAPI document). What the
standard says, and the rules this module adds where it says nothing:

* A gradebook entry is identified by `gradebookEntryIdentifier` + `namespace`; it names its
  section by `sectionReference` (optional in Ed-Fi; a canonical line item needs its class, so
  an entry without one is rejected), its grading period by `gradingPeriodReference` (canonical
  `academicSession`), and `maxPoints` (canonical `resultValueMax`). Ed-Fi has no minimum.
* `dateAssigned` and `dueDate` are dates; the canonical date-times are midnight UTC of them
  (`dueTime` carries no time zone, so it is not used). Ed-Fi's `dueDate` is optional and the
  canonical one is not: without it, the due date is the date assigned.
* Categories: OneRoster needs one per line item; Ed-Fi has the entry's
  `gradebookEntryTypeDescriptor`, an open list (districts add their own values), so it is not
  a crosswalk entry: any well-formed value is taken, titled with its code value, and an entry
  without a type is "Uncategorized". One category row per type (keyed by the type's URI, so
  every source that sends the type agrees); a source sends each row once per run.
* A student gradebook entry is identified (DS 5) by the gradebook entry and the student (DS 4
  named a student section association instead; that shape is not read). Its body holds the
  gradebook entry's two key parts flat, as `natural_key` would flatten a reference anyway.
  `score` is `pointsEarned` (read against `maxPoints`, which is `resultValueMax`), else
  `numericGradeEarned`; `textScore` is `letterGradeEarned`, else the competency level's code
  value; `comment` is the `diagnosticStatement`; `late` comes from the assignment late status.
* `scoreStatus` comes from `submissionStatusDescriptor` through the crosswalk; without one it
  is "fully graded" when a score or text score is given, else "not submitted".
* `scoreDate` (required in canonical) is `dateFulfilled`; without it, the gradebook entry's due
  date (else its date assigned) when the source can tell it (resolver target `ENTRY_DUE`: the
  XML adapter reads it from the set's own gradebook entries); else the row is rejected, naming
  the element.
* A result's class is not set: DS 5 student gradebook entries name no section, and the line
  item already carries it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from adapters.edfi_mapping.descriptors import UnknownDescriptor, split_uri
from adapters.edfi_mapping.identity import sourced_id_for
from adapters.edfi_mapping.resources import Prop, PropKind, Resource
from adapters.records import Record

if TYPE_CHECKING:
    from adapters.edfi_mapping.to_canonical import _Mapper

ENTRY_TYPE = "GradebookEntryTypeDescriptor"
UNCATEGORIZED = "Uncategorized"
ENTRY_KEY = ("gradebookEntryIdentifier", "namespace")
# Reference objects only gradebook resources use (same shape as resources.REFERENCES).
GRADEBOOK_REFERENCES: dict[str, tuple[str, tuple[tuple[str, PropKind], ...]]] = {
    "gradingPeriodReference": ("gradingPeriods", (
        ("gradingPeriodDescriptor", "descriptor"), ("gradingPeriodName", "string"),
        ("schoolId", "integer"), ("schoolYear", "integer"))),
}

P = Prop


def _ref(name: str, identity: bool = False) -> Prop:
    return P(name, "reference", identity=identity, reference=name)


def _desc(name: str, descriptor: str) -> Prop:
    return P(name, "descriptor", descriptor=descriptor)


SOURCE_ONLY: dict[str, Resource] = {r.name: r for r in (
    Resource("gradebookEntries", "lineItems", None, (
        P("gradebookEntryIdentifier", identity=True, max_length=60),
        P("namespace", identity=True, max_length=255),
        P("sourceSectionIdentifier", max_length=255),
        _ref("sectionReference"),
        P("title", max_length=100),
        P("description", max_length=1024),
        P("dateAssigned", "date"),
        P("dueDate", "date"),
        _desc("gradebookEntryTypeDescriptor", ENTRY_TYPE),
        _ref("gradingPeriodReference"),
        P("maxPoints"),  # a decimal: typed by the builder
    ), order=21, title="An assignment or assessment in a section's gradebook"),
    Resource("studentGradebookEntries", "results", None, (
        P("gradebookEntryIdentifier", identity=True, max_length=60),
        P("namespace", identity=True, max_length=255),
        _ref("studentReference", identity=True),
        P("dateFulfilled", "date"),
        P("letterGradeEarned", max_length=20),
        P("numericGradeEarned"),
        P("pointsEarned"),
        P("diagnosticStatement", max_length=1024),
        _desc("competencyLevelDescriptor", "CompetencyLevelDescriptor"),
        _desc("submissionStatusDescriptor", "SubmissionStatusDescriptor"),
        _desc("assignmentLateStatusDescriptor", "AssignmentLateStatusDescriptor"),
    ), order=22, student_bearing=True, title="A student's score on one gradebook entry"),
)}


def _error(path: str, message: str) -> Exception:
    # Imported here: to_canonical imports this module to register its builders.
    from adapters.edfi_mapping.to_canonical import MappingError
    return MappingError(path, message)


# Resolver target: a gradebook entry's key -> its due date (else date assigned), or None.
ENTRY_DUE = "gradebookEntries.dueDate"


def category_id(entry_type: str) -> str:
    """The category of every gradebook entry of one type (the type's URI, or code value)."""
    return sourced_id_for("gradebookEntryTypes", {"type": entry_type})


def type_title(value: Any) -> str:
    """The category title of an entry type: the descriptor's code value."""
    if value in (None, ""):
        return UNCATEGORIZED
    text = str(value).strip()
    if "#" not in text:
        return text  # a bare code value
    try:
        _namespace, name, code = split_uri(text)
    except UnknownDescriptor as exc:
        raise _error("$.gradebookEntryTypeDescriptor", str(exc)) from None
    if name.casefold() != ENTRY_TYPE.casefold():
        raise _error("$.gradebookEntryTypeDescriptor", f"{text!r} is a {name}, expected a "
                     f"{ENTRY_TYPE}")
    return code.strip()


def _number(m: _Mapper, prop: str) -> float | None:
    value = m.body.get(prop)
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _error(f"$.{prop}", f"must be a number, not {value!r}") from None


def _midnight(day: str) -> str:
    return f"{day}T00:00:00Z"


def _grading_period(m: _Mapper) -> str | None:
    ref = m.body.get("gradingPeriodReference")
    if ref is None:
        return None
    _target, parts = GRADEBOOK_REFERENCES["gradingPeriodReference"]
    key = {part: ref.get(part) for part, _kind in parts}
    missing = sorted(k for k, v in key.items() if v in (None, ""))
    if missing:
        raise _error("$.gradingPeriodReference", f"incomplete: missing {', '.join(missing)}")
    return m.lookup("gradingPeriods", key, "$.gradingPeriodReference")


def gradebook_entry(m: _Mapper, sid: str) -> list[Record]:
    """A line item and its category."""
    title = m.body.get("title")
    if title in (None, ""):
        raise _error("$.title", "is required (a line item needs a title)")
    if m.body.get("sectionReference") is None:
        raise _error("$.sectionReference", "is required: a line item belongs to a class")
    assigned = m.body.get("dateAssigned")
    if assigned in (None, ""):
        raise _error("$.dateAssigned", "is required")
    section = m.parts("sectionReference")
    kind = type_title(m.body.get("gradebookEntryTypeDescriptor"))
    category = category_id(str(m.body.get("gradebookEntryTypeDescriptor") or UNCATEGORIZED))
    fields: dict[str, Any] = {
        "title": title, "assignDate": _midnight(assigned),
        "dueDate": _midnight(m.body.get("dueDate") or assigned),
        "class": m.reference("sectionReference"), "category": category,
        "school": m.lookup("schools", {"schoolId": section["schoolId"]}, "$.sectionReference")}
    m.set(fields, "description", "description")
    period = _grading_period(m)
    if period:
        fields["academicSession"] = period
    top = _number(m, "maxPoints")
    if top is not None:
        fields["resultValueMax"] = top
    return [Record("categories", category, {"title": kind}), Record("lineItems", sid, fields)]


def _status(m: _Mapper, scored: bool) -> str:
    given = m.body.get("submissionStatusDescriptor")
    if given in (None, ""):
        return "fully graded" if scored else "not submitted"
    status = m.descriptor("$.submissionStatusDescriptor", "SubmissionStatusDescriptor", given,
                          required=False)
    return status or ("fully graded" if scored else "not submitted")


def _text_score(m: _Mapper) -> str | None:
    letter = m.body.get("letterGradeEarned")
    if letter not in (None, ""):
        return str(letter)
    level = m.body.get("competencyLevelDescriptor")
    if level in (None, ""):
        return None
    text = str(level).strip()
    if "#" not in text:
        return text
    try:
        return split_uri(text)[2]
    except UnknownDescriptor as exc:
        raise _error("$.competencyLevelDescriptor", str(exc)) from None


def student_gradebook_entry(m: _Mapper, sid: str) -> list[Record]:
    """A student's result on one line item."""
    key = {part: m.body.get(part) for part in ENTRY_KEY}
    fulfilled = m.body.get("dateFulfilled") or m.resolve(ENTRY_DUE, key)
    if fulfilled in (None, ""):
        raise _error("$.dateFulfilled", "is required: a OneRoster result needs its score "
                     "date, and the gradebook entry's due date is not known here")
    score = _number(m, "pointsEarned")
    if score is None:
        score = _number(m, "numericGradeEarned")
    text = _text_score(m)
    fields: dict[str, Any] = {
        "lineItem": m.lookup("gradebookEntries", key, "$.gradebookEntryIdentifier"),
        "student": m.reference("studentReference"),
        "scoreStatus": _status(m, score is not None or text is not None),
        "scoreDate": fulfilled}
    if score is not None:
        fields["score"] = score
    if text is not None:
        fields["textScore"] = text
    m.set(fields, "comment", "diagnosticStatement")
    late = m.body.get("assignmentLateStatusDescriptor")
    if late not in (None, ""):
        lateness = m.descriptor("$.assignmentLateStatusDescriptor",
                                "AssignmentLateStatusDescriptor", late, required=False)
        if lateness is not None:
            fields["late"] = lateness == "true"
    return [Record("results", sid, fields)]


GRADEBOOK_BUILDERS: dict[str, Callable[[_Mapper, str], list[Record]]] = {
    "gradebookEntries": gradebook_entry,
    "studentGradebookEntries": student_gradebook_entry,
}

"""The `edfi-xml` source: Ed-Fi Data Standard 5 (and 4) XML interchange files, folder or zip.

The files are read in passes, one per canonical family in apply order, so each family is
complete (bulk) before the next begins and a reference always points backwards; before them,
one pass gathers the facts one interchange holds for another's rows (`people_index`). Every
element becomes an Ed-Fi JSON-shaped body (`bodies`) mapped by the shared Ed-Fi mapping, so a
record gets the same sourcedId as if it had been POSTed to the Ed-Fi API. Row problems name the
element path and line; a file-level problem (a DOCTYPE, a foreign namespace, broken XML, an XSD
violation) is fatal and nothing is applied.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from lxml import etree

from adapters.base import Option, OptionError
from adapters.edfi_mapping.descriptors import crosswalk
from adapters.edfi_mapping.to_canonical import MappingError, to_records
from adapters.edfi_xml.bodies import ShapeError, read_body
from adapters.edfi_xml.files import FileSet
from adapters.edfi_xml.layouts import INTERCHANGES, LAYOUTS, Layout, Ref, Scalar, pascal
from adapters.edfi_xml.people_index import PeopleIndex
from adapters.edfi_xml.xml_stream import Top, XmlRefused, root_of, top_elements
from adapters.records import Event, FamilyMode, Issue, Record
from adapters.safe_zip import UnsafeZip, ZipLimits

MiB = 1024**2
_ROOTS = {root: name for name, root in INTERCHANGES.items()}

# Family -> the elements whose records make it, in apply order.
PASSES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("orgs", ("LocalEducationAgency", "School")),
    ("academicSessions", ("Session", "GradingPeriod")),
    ("courses", ("Course",)),
    ("classes", ("Section",)),
    ("users", ("Student", "Staff", "Contact", "Parent")),
    ("roles", ("StudentSchoolAssociation", "StaffEducationOrganizationAssignmentAssociation",
               "StudentContactAssociation", "StudentParentAssociation")),
    ("enrollments", ("StudentSectionAssociation", "StaffSectionAssociation")),
    ("demographics", ("Student",)),
)
_INDEXED = ("CourseOffering", "StudentSchoolAssociation", "StudentEducationOrganizationAssociation",
            "StudentContactAssociation", "StudentParentAssociation")
# Where each element lives, so a pass opens only the files that can hold it.
_HOME = {
    "LocalEducationAgency": "EducationOrganization", "School": "EducationOrganization",
    "Course": "EducationOrganization", "Session": "EducationOrgCalendar",
    "GradingPeriod": "EducationOrgCalendar", "CourseOffering": "MasterSchedule",
    "Section": "MasterSchedule", "Student": "Student", "Staff": "StaffAssociation",
    "StaffEducationOrganizationAssignmentAssociation": "StaffAssociation",
    "StaffSectionAssociation": "StaffAssociation", "Contact": "Contact",
    "StudentContactAssociation": "Contact", "Parent": "Parent",
    "StudentParentAssociation": "Parent", "StudentSchoolAssociation": "StudentEnrollment",
    "StudentSectionAssociation": "StudentEnrollment",
    "StudentEducationOrganizationAssociation": "StudentEnrollment",
}


class _Stop(Exception):
    """A fatal issue was emitted; the read ends."""


class EdfiXmlAdapter:
    name: ClassVar[str] = "edfi-xml"
    description: ClassVar[str] = (
        "Ed-Fi Data Standard 5 (and 4) XML interchange files, from a folder or a zip file")
    options: ClassVar[tuple[Option, ...]] = (
        Option("path", "a folder of interchange .xml files, or a .zip of them", required=True),
        Option("xsd_dir", "a folder holding Interchange-<Name>.xsd files to validate against"),
        Option("max_members", "most members a zip may hold", default=200),
        Option("max_total_bytes", "most bytes a zip may inflate to", default=8 * 1024 * MiB),
        Option("max_ratio", "highest compression ratio accepted for a zip member",
               default=100.0),
    )

    def __init__(self, **options: Any) -> None:
        known = {o.name: o for o in self.options}
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise OptionError(f"{self.name}: unknown option(s) {', '.join(unknown)}")
        if options.get("path") in (None, ""):
            raise OptionError(f"{self.name}: option 'path' is required")
        given = {n: options.get(n, o.default) for n, o in known.items()}
        self.path = Path(str(given["path"]))
        self.xsd_dir = Path(str(given["xsd_dir"])) if given["xsd_dir"] else None
        self.limits = ZipLimits(max_members=int(given["max_members"]),
                                max_total_bytes=int(given["max_total_bytes"]),
                                max_ratio=float(given["max_ratio"]))
        self._schemas: dict[str, etree.XMLSchema] = {}
        self._file_kinds: dict[str, str] = {}  # file name -> interchange name

    def check(self) -> list[str]:
        problems = []
        if not self.path.exists():
            problems.append(f"{self.path} does not exist")
        if self.xsd_dir is not None and not self.xsd_dir.is_dir():
            problems.append(f"xsd_dir {self.xsd_dir} is not a folder")
        return problems

    # -- reading ------------------------------------------------------------------------------

    def read(self) -> Iterator[Event]:
        try:
            files = FileSet(self.path, self.limits)
        except (UnsafeZip, OSError) as exc:
            yield Issue("fatal", f"cannot open the interchange set: {exc}", file=str(self.path))
            return
        try:
            yield from self._read(files)
        except _Stop:
            return
        finally:
            files.close()

    def _read(self, files: FileSet) -> Iterator[Event]:
        by_kind: dict[str, list[str]] = {}
        for name in files.names():
            kind = yield from self._kind_of(files, name)
            if kind:
                by_kind.setdefault(kind, []).append(name)
        yield from self._descriptor_warnings(files, by_kind.get("Descriptors", []))
        index = PeopleIndex()
        yield from self._gather(files, by_kind, index)
        for family, elements in PASSES:
            sources = [f for e in elements for f in by_kind.get(_HOME[e], [])]
            if not sources:
                continue
            yield FamilyMode(family, "bulk", sources[0])
            yield from self._family(files, by_kind, family, elements, index)

    def _kind_of(self, files: FileSet, name: str) -> Iterator[Event]:
        try:
            with files.open(name) as stream:
                root, _namespace = root_of(stream)
        except XmlRefused as exc:
            yield Issue("fatal", exc.reason, file=name, line=exc.line, field="/")
            raise _Stop from None
        except (UnsafeZip, OSError) as exc:
            yield Issue("fatal", str(exc), file=name)
            raise _Stop from None
        kind = _ROOTS.get(root)
        if kind is None:
            yield Issue("warning", f"root element {root} is not an interchange this adapter "
                        f"reads ({', '.join(sorted(_ROOTS))}); file skipped", file=name, line=1,
                        field=f"/{root}")
        return kind

    def _load_schema(self, name: str) -> etree.XMLSchema | None:
        kind = self._file_kinds.get(name)
        if kind is None or self.xsd_dir is None:
            return None
        if kind not in self._schemas:
            xsd = self.xsd_dir / f"Interchange-{kind}.xsd"
            if not xsd.is_file():
                raise XmlRefused(f"xsd_dir has no Interchange-{kind}.xsd to validate {name}", 1)
            parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                                     huge_tree=False)
            try:
                self._schemas[kind] = etree.XMLSchema(etree.parse(str(xsd), parser))
            except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
                raise XmlRefused(f"{xsd.name} is not a usable XSD: {exc}", 1) from None
        return self._schemas[kind]

    def _descriptor_warnings(self, files: FileSet, names: list[str]) -> Iterator[Event]:
        """Descriptor values the set defines but the crosswalk cannot map: said once, here,
        before any row that uses one is rejected for it."""
        self._file_kinds = {**self._file_kinds, **{n: "Descriptors" for n in names}}
        walk = crosswalk()
        for name, top in self._guarded_elements(files, names, None):
            if top.name not in walk.values:
                continue
            code = _child_text(top, "CodeValue")
            namespace = _child_text(top, "Namespace")
            uri = f"{namespace}/{top.name}#{code}"
            try:
                walk.to_canonical(top.name, uri)
            except ValueError:
                yield Issue("warning", f"{top.path}: {uri} is defined here but the crosswalk "
                            "(specs/edfi/descriptors.json) does not map it; rows using it will "
                            "be rejected", file=name, line=top.line, field=top.path, value=uri)

    def _guarded_elements(self, files: FileSet, names: list[str],
                          wanted: tuple[str, ...] | None) -> Iterator[tuple[str, Top]]:
        try:
            for name in dict.fromkeys(names):
                with files.open(name) as stream:
                    for top in top_elements(stream, schema=self._load_schema(name),
                                            wanted=frozenset(wanted) if wanted else None):
                        yield name, top
        except XmlRefused as exc:
            raise _Fatal(Issue("fatal", exc.reason, file=name, line=exc.line)) from None

    def _gather(self, files: FileSet, by_kind: dict[str, list[str]],
                index: PeopleIndex) -> Iterator[Event]:
        self._file_kinds = {n: k for k, ns in by_kind.items() for n in ns}
        names = [f for e in _INDEXED for f in by_kind.get(_HOME[e], [])]
        try:
            for name, top in self._guarded_elements(files, names, _INDEXED):
                layout = LAYOUTS[top.name]
                try:
                    body = read_body(top, layout)
                    if top.name == "CourseOffering":
                        index.add_offering(body)
                    elif top.name == "StudentSchoolAssociation":
                        index.add_school_association(body)
                    elif top.name == "StudentEducationOrganizationAssociation":
                        [demo] = to_records(layout.resource, body, index.resolve)
                        index.add_edorg_association(body, demo.fields)
                    else:
                        ref = "contactReference" if top.name.startswith("StudentContact") \
                            else "parentReference"
                        index.add_contact_association(body, ref)
                except (ShapeError, MappingError, ValueError) as exc:
                    if top.name in ("CourseOffering", "StudentEducationOrganizationAssociation"):
                        family = "classes" if top.name == "CourseOffering" else "demographics"
                        yield _row_issue(name, top, layout, exc, family)
        except _Fatal as fatal:
            yield fatal.issue
            raise _Stop from None

    def _family(self, files: FileSet, by_kind: dict[str, list[str]], family: str,
                elements: tuple[str, ...], index: PeopleIndex) -> Iterator[Event]:
        names = [f for e in elements for f in by_kind.get(_HOME[e], [])]
        contact_roles: set[str] = set()
        try:
            for name, top in self._guarded_elements(files, names, elements):
                layout = LAYOUTS[top.name]
                try:
                    records = to_records(layout.resource, read_body(top, layout), index.resolve)
                except (ShapeError, MappingError) as exc:
                    # In the demographics pass too (the users pass named it already): the
                    # issue keeps the student's stored demographics from being tombstoned.
                    yield _row_issue(name, top, layout, exc, family)
                    continue
                for record in records:
                    if record.family != family:
                        continue
                    if family == "roles" and top.name in ("StudentContactAssociation",
                                                          "StudentParentAssociation"):
                        if record.fields["user"] in contact_roles:
                            continue  # one role per contact, however many children
                        contact_roles.add(record.fields["user"])
                    _enrich(record, index)
                    if record.fields or family != "demographics":
                        record.file, record.line = name, top.line
                        yield record
        except _Fatal as fatal:
            yield fatal.issue
            raise _Stop from None


class _Fatal(Exception):
    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.reason)
        self.issue = issue


def _child_text(top: Top, name: str) -> str:
    found = top.element.find(f"{{{top.namespace}}}{name}")
    return (found.text or "").strip() if found is not None else ""


def _enrich(record: Record, index: PeopleIndex) -> None:
    """Adds to a users or demographics row what other interchanges said about the person."""
    if record.family == "demographics":
        facts = index.students.get(record.sourced_id)
        if facts:
            record.fields = {**facts.demographics, **record.fields}
        return
    if record.family != "users":
        return
    kind = record.fields.get("personKind")
    if kind == "student":
        facts = index.students.get(record.sourced_id)
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
        children = index.contacts.get(record.sourced_id)
        if children:
            record.fields["agents"] = list(children)
            school = index.students.get(children[0])
            if school and school.school:
                record.fields["primaryOrg"] = school.school


def _row_issue(file: str, top: Top, layout: Layout, exc: Exception, family: str) -> Issue:
    """A rejected element: its path (down to the culprit where known), line and value. The
    family is named so that the engine tombstones nothing in it on account of this row."""
    if isinstance(exc, ShapeError):
        path, reason, value = exc.path, exc.message, exc.value
    elif isinstance(exc, MappingError):
        path, reason, value = _xml_path(top, layout, exc.path), exc.message, None
    else:
        path, reason, value = top.path, str(exc), None
    return Issue("error", f"{path}: {reason}", file=file, line=top.line, field=path,
                 value=value, family=family)


def _xml_path(top: Top, layout: Layout, json_path: str) -> str:
    """`$.studentReference` -> `/InterchangeStudentEnrollment/...[3]/StudentReference`."""
    head = json_path.removeprefix("$").lstrip(".").split(".")[0].split("[")[0]
    for part in layout.parts:
        if part.prop == head:
            tail = part.path if isinstance(part, Scalar) else (
                part.element if isinstance(part, Ref) else getattr(part, "element", ""))
            return f"{top.path}/{tail}"
    return f"{top.path}/{pascal(head)}" if head else top.path

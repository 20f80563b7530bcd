"""The `edfi-xml` source: Ed-Fi Data Standard 5 (and 4) XML interchange files, folder or zip.

Every element becomes an Ed-Fi JSON-shaped body (`bodies`) mapped by the shared Ed-Fi mapping,
so a record gets the same sourcedId as if it had been POSTed to the Ed-Fi API. The sync engine
stages a whole run before it checks or applies anything, so records may come in any order once
their family's mode is declared; what orders the reading is Ed-Fi's split of one canonical row
over several elements (`people_index`). Hence two passes, and each file is read at most twice:

1. every file but Student: the elements whose records need nothing from other elements are
   mapped and sent, and the facts other rows need are gathered (a student's school, grade and
   demographics from the enrollment interchange, an offering's course, contact links, a
   gradebook entry's due date);
2. the files holding the elements that need those facts (sections, students, contacts and
   their associations, student gradebook entries).

Row problems name the element path and line; a file-level problem (a DOCTYPE, a foreign
namespace, broken XML, an XSD violation) is fatal and nothing is applied.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from lxml import etree

from adapters.base import Option, OptionError
from adapters.edfi_mapping.descriptors import crosswalk
from adapters.edfi_mapping.people_index import PeopleIndex
from adapters.edfi_mapping.to_canonical import MappingError, to_records
from adapters.edfi_xml.bodies import ShapeError, read_body
from adapters.edfi_xml.files import FileSet
from adapters.edfi_xml.layouts import INTERCHANGES, LAYOUTS, Layout, Ref, Scalar, pascal
from adapters.edfi_xml.xml_stream import Top, XmlRefused, root_of, top_elements
from adapters.records import Event, FamilyMode, Issue
from adapters.safe_folder import OPTION_HELP, FolderRefused
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
    ("categories", ("GradebookEntry",)),
    ("lineItems", ("GradebookEntry",)),
    ("results", ("StudentGradebookEntry",)),
)
# Elements read for the facts other elements' records need (pass 1).
_INDEXED = frozenset({
    "CourseOffering", "StudentSchoolAssociation", "StudentEducationOrganizationAssociation",
    "StudentContactAssociation", "StudentParentAssociation", "GradebookEntry"})
# Elements whose records need those facts (pass 2).
_NEEDS_FACTS = frozenset({
    "Section", "Student", "Contact", "Parent", "StudentContactAssociation",
    "StudentParentAssociation", "StudentGradebookEntry"})
# Element -> the families its records make (what PASSES says, turned round).
_FAMILIES: dict[str, tuple[str, ...]] = {}
for _family, _elements in PASSES:
    for _element in _elements:
        _FAMILIES[_element] = (*_FAMILIES.get(_element, ()), _family)
# Indexed elements that make no record of their own: a problem in one is reported against the
# family whose rows it would have filled.
_INDEX_ONLY = {"CourseOffering": "classes",
               "StudentEducationOrganizationAssociation": "demographics"}


def _emits(element: str, gather: bool) -> bool:
    """Whether the element's records are made in this pass (the first one gathers)."""
    return element in _FAMILIES and (element in _NEEDS_FACTS) != gather
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
    "GradebookEntry": "StudentGradebook", "StudentGradebookEntry": "StudentGradebook",
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
        Option("follow_symlinks", OPTION_HELP, default=False),
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
        follow = given["follow_symlinks"]
        if not isinstance(follow, bool):
            raise OptionError(f"{self.name}: option 'follow_symlinks' must be true or false, "
                              f"not {follow!r}")
        self.follow_symlinks = follow
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
            files = FileSet(self.path, self.limits, follow_symlinks=self.follow_symlinks)
        except (UnsafeZip, OSError) as exc:
            yield Issue("fatal", f"cannot open the interchange set: {exc}", file=str(self.path))
            return
        try:
            yield from self._read(files)
        except _Stop:
            return
        except FolderRefused as exc:
            yield Issue("fatal", exc.reason, file=exc.name)
        finally:
            files.close()

    def _read(self, files: FileSet) -> Iterator[Event]:
        by_kind: dict[str, list[str]] = {}
        for name in files.names():
            kind = yield from self._kind_of(files, name)
            if kind:
                by_kind.setdefault(kind, []).append(name)
        yield from self._descriptor_warnings(files, by_kind.get("Descriptors", []))
        self._file_kinds = {n: k for k, ns in by_kind.items() for n in ns}
        for family, elements in PASSES:
            sources = [f for e in elements for f in by_kind.get(_HOME[e], [])]
            if sources:
                yield FamilyMode(family, "bulk", sources[0])
        index = PeopleIndex()
        first = {e for e in _HOME if e in _INDEXED or (e in _FAMILIES and e not in _NEEDS_FACTS)}
        yield from self._pass(files, by_kind, first, index, gather=True)
        yield from self._pass(files, by_kind, set(_NEEDS_FACTS), index, gather=False)

    def _kind_of(self, files: FileSet, name: str) -> Iterator[Event]:
        try:
            with files.open(name) as stream:
                root, _namespace = root_of(stream)
        except XmlRefused as exc:
            yield Issue("fatal", exc.reason, file=name, line=exc.line, field="/")
            raise _Stop from None
        except FolderRefused as exc:
            yield Issue("fatal", exc.reason, file=exc.name)
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
            # Ed-Fi's own descriptor files name the descriptor in the namespace already
            # (`uri://ed-fi.org/SexDescriptor`); some exports give the bare authority.
            head = namespace.rstrip("/")
            uri = f"{head}#{code}" if head.rpartition("/")[2] == top.name else \
                f"{head}/{top.name}#{code}"
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

    def _pass(self, files: FileSet, by_kind: dict[str, list[str]], elements: set[str],
              index: PeopleIndex, *, gather: bool) -> Iterator[Event]:
        """One read of every file that can hold `elements`, in file-kind order."""
        homes = {_HOME[e] for e in elements}
        names = [f for kind in INTERCHANGES if kind in homes for f in by_kind.get(kind, [])]
        categories: set[str] = set()  # one row many gradebook entries share: sent once
        try:
            for name, top in self._guarded_elements(files, names, tuple(sorted(elements))):
                layout = LAYOUTS[top.name]
                try:
                    body = read_body(top, layout)
                except ShapeError as exc:
                    yield from _rejected(name, top, layout, exc, gather)
                    continue
                if gather and top.name in _INDEXED:
                    issue = _gather(index, top, layout, body)
                    if issue is not None:
                        yield _row_issue(name, top, layout, issue, _INDEX_ONLY[top.name])
                if _emits(top.name, gather):
                    yield from _records(name, top, layout, body, index, categories)
        except _Fatal as fatal:
            yield fatal.issue
            raise _Stop from None


def _gather(index: PeopleIndex, top: Top, layout: Layout,
            body: dict[str, Any]) -> Exception | None:
    """Adds an element's facts to the index; a problem is returned only for elements that make
    no records of their own (the others report it when their records are made)."""
    try:
        if top.name == "CourseOffering":
            index.add_offering(body)
        elif top.name == "StudentSchoolAssociation":
            index.add_school_association(body)
        elif top.name == "StudentEducationOrganizationAssociation":
            [demo] = to_records(layout.resource, body, index.resolve)
            index.add_edorg_association(body, demo.fields)
        elif top.name == "GradebookEntry":
            index.add_gradebook_entry(body)
        else:
            ref = "contactReference" if top.name.startswith("StudentContact") \
                else "parentReference"
            index.add_contact_association(body, ref)
    except (MappingError, ValueError) as exc:
        return exc if top.name in _INDEX_ONLY else None
    return None


def _rejected(name: str, top: Top, layout: Layout, exc: Exception,
              gather: bool) -> Iterator[Issue]:
    """A body that could not be read: one issue per family it would have made (so the engine
    tombstones nothing in any of them on its account), or for an index-only element, one."""
    if _emits(top.name, gather):
        for family in _FAMILIES[top.name]:
            yield _row_issue(name, top, layout, exc, family)
    elif top.name in _INDEX_ONLY:
        yield _row_issue(name, top, layout, exc, _INDEX_ONLY[top.name])


def _records(name: str, top: Top, layout: Layout, body: dict[str, Any], index: PeopleIndex,
             categories: set[str]) -> Iterator[Event]:
    families = _FAMILIES[top.name]
    try:
        records = to_records(layout.resource, body, index.resolve)
    except MappingError as exc:
        for family in families:
            yield _row_issue(name, top, layout, exc, family)
        return
    for record in records:
        if record.family not in families:
            continue
        if record.family == "categories":
            if record.sourced_id in categories:
                continue
            categories.add(record.sourced_id)
        index.complete(record)
        if record.fields or record.family != "demographics":
            record.file, record.line = name, top.line
            yield record


class _Fatal(Exception):
    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.reason)
        self.issue = issue


def _child_text(top: Top, name: str) -> str:
    found = top.element.find(f"{{{top.namespace}}}{name}")
    return (found.text or "").strip() if found is not None else ""


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

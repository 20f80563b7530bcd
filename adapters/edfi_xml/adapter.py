"""The `edfi-xml` source: Ed-Fi Data Standard 5 (and 4) XML interchange files, folder or zip.

Every element becomes an Ed-Fi JSON-shaped body (`bodies`) mapped by the shared Ed-Fi mapping,
so a record gets the same sourcedId as if it had been POSTed to the Ed-Fi API. The sync engine
stages a whole run before it checks or applies anything, so records may come in any order once
their family's mode is declared; what orders the reading is Ed-Fi's split of one canonical row
over several elements (`people_index`) and its references by `ref=` (`id_index`). Hence two
passes, each file read at most twice:

1. every file: the `id` of every element is recorded, the elements whose records need nothing
   from other elements are mapped and sent, and the facts other rows need are gathered (a
   student's school, grade and demographics from the enrollment interchange, an offering's
   course, contact links, a grading period's session, a gradebook entry's due date);
2. the files holding the elements that need those facts (sections, grading periods, students,
   contacts and their associations, student gradebook entries).

An element of the first pass whose `ref` names an id the pass has not met yet (further on in
its file, or in a file read later) is put off until every id is known: read again before the
second pass when it gathers facts (so its facts are there in time), in the second otherwise.
Only such elements make a file be read a third time.

Row problems name the element path and line; a file-level problem (a DOCTYPE, a foreign
namespace, broken XML, an XSD violation) is fatal and nothing is applied. Every file-level
problem of the set is reported (the other files are still looked at), each XSD violation at
the line libxml2 gives for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

from lxml import etree

from adapters.base import Option, OptionError
from adapters.edfi_mapping.descriptors import Crosswalk, UnknownDescriptor, crosswalk
from adapters.edfi_mapping.people_index import PeopleIndex
from adapters.edfi_mapping.to_canonical import MappingError, Notes, to_records
from adapters.edfi_xml.bodies import ShapeError, identity, read_body
from adapters.edfi_xml.files import FileSet
from adapters.edfi_xml.id_index import IdIndex, Refs, Unresolved
from adapters.edfi_xml.layouts import (
    IDENTITIES,
    INTERCHANGES,
    LAYOUTS,
    Layout,
    Ref,
    Scalar,
    pascal,
)
from adapters.edfi_xml.xml_stream import (
    Top,
    XmlRefused,
    check_namespace,
    root_of,
    top_elements,
    xsd_problems,
)
from adapters.records import Event, FamilyMode, Issue
from adapters.safe_folder import OPTION_HELP, FolderRefused
from adapters.safe_zip import UnsafeZip, ZipLimits

MiB = 1024**2
_ROOTS = {root: name for name, root in INTERCHANGES.items()}
XSD_PROBLEMS_PER_FILE = 10  # a file refused by its XSD: this many violations are named

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
    "StudentContactAssociation", "StudentParentAssociation", "GradebookEntry", "Session"})
# Elements whose records need those facts (pass 2).
_NEEDS_FACTS = frozenset({
    "Section", "Student", "Contact", "Parent", "StudentContactAssociation",
    "StudentParentAssociation", "StudentGradebookEntry", "GradingPeriod"})
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


# What a pass does with one element: (gather its facts, make its records).
Action = tuple[bool, bool]
_FIRST = frozenset(e for e in _HOME if e in _INDEXED or (e in _FAMILIES and e not in _NEEDS_FACTS))


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
        # descriptor readings to report (JSON path, reason, value), and those reported once
        self._notes: list[tuple[str, str, str]] = []
        self._noted: set[str] = set()
        self._refusals: list[Issue] = []  # fatal issues of the files a read could not read

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
        by_kind = yield from self._kinds(files)
        yield from self._descriptor_warnings(files, by_kind.get("Descriptors", []))
        self._file_kinds = {n: k for k, ns in by_kind.items() for n in ns}
        for family, elements in PASSES:
            sources = [f for e in elements for f in by_kind.get(_HOME[e], [])]
            if sources:
                yield FamilyMode(family, "bulk", sources[0])
        facts, ids = PeopleIndex(), IdIndex()
        put_off: dict[str, set[str]] = {}  # file -> paths of elements waiting for an id
        every = [f for kind in INTERCHANGES if kind != "Descriptors"
                 for f in by_kind.get(kind, [])]

        def first(name: str, top: Top) -> Action | None:
            if top.name not in _FIRST:
                return None
            return top.name in _INDEXED, _emits(top.name, gather=True)

        yield from self._pass(files, every, _FIRST, first, facts, ids, put_off)
        ids.final = True

        def gathering(name: str, top: Top) -> Action | None:
            if top.name not in _INDEXED or top.path not in put_off.get(name, ()):
                return None
            put_off[name].discard(top.path)
            return True, _emits(top.name, gather=True)

        late = [f for f in every if any(_element_of(p) in _INDEXED for p in put_off.get(f, ()))]
        if late:  # fact-gathering elements put off for want of an id: read before pass 2
            again = frozenset(_element_of(p) for f in late for p in put_off[f])
            yield from self._pass(files, late, again, gathering, facts, ids, None)

        def second(name: str, top: Top) -> Action | None:
            if top.name in _NEEDS_FACTS:
                return False, True
            if top.path in put_off.get(name, ()):
                return False, _emits(top.name, gather=True)
            return None

        homes = {_HOME[e] for e in _NEEDS_FACTS}
        waiting = {f for f, paths in put_off.items() if paths}
        names = [f for kind in INTERCHANGES for f in by_kind.get(kind, [])
                 if kind in homes or f in waiting]
        wanted = _NEEDS_FACTS | {_element_of(p) for paths in put_off.values() for p in paths}

        yield from self._pass(files, names, wanted, second, facts, ids, None)

    def _kinds(self, files: FileSet) -> Iterator[Event]:
        """Interchange name -> its files. Every file the set cannot hold is named before the
        read stops."""
        by_kind: dict[str, list[str]] = {}
        refused = False
        for name in files.names():
            try:
                kind = yield from self._kind_of(files, name)
            except _Refused:
                refused = True
                continue
            if kind:
                by_kind.setdefault(kind, []).append(name)
        if refused:  # the others are still read through, for what else cannot be read
            self._file_kinds = {n: k for k, ns in by_kind.items() for n in ns}
            try:
                for _element in self._elements(files, list(self._file_kinds), frozenset()):
                    pass
            except _Refused:
                yield from self._refusals
            raise _Stop
        return by_kind

    def _kind_of(self, files: FileSet, name: str) -> Iterator[Event]:
        try:
            with files.open(name) as stream:
                root, namespace, line = root_of(stream)
            if root in _ROOTS:
                check_namespace(root, namespace, line)
        except XmlRefused as exc:
            yield Issue("fatal", exc.reason, file=name, line=exc.line, field="/")
            raise _Refused from None
        except FolderRefused as exc:
            yield Issue("fatal", exc.reason, file=exc.name)
            raise _Stop from None
        except (UnsafeZip, OSError) as exc:
            yield Issue("fatal", str(exc), file=name)
            raise _Refused from None
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
        """Descriptor values the set defines that the crosswalk reads only by a stand-in, or
        not at all: said once, here, before any row that uses one."""
        self._file_kinds = {**self._file_kinds, **{n: "Descriptors" for n in names}}
        walk = crosswalk()
        try:
            yield from self._descriptor_notes(walk, files, names)
        except _Refused:
            yield from self._refusals
            raise _Stop from None

    def _descriptor_notes(self, walk: Crosswalk, files: FileSet,
                          names: list[str]) -> Iterator[Event]:
        for name, top in self._elements(files, names, None):
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
                note = walk.read(top.name, uri).note
            except UnknownDescriptor as exc:
                note = f"{exc}; rows using it are rejected where it is required"
            if note is not None:
                self._noted.add(note)  # said here, not again at each row
                yield Issue("warning", f"{top.path}: {note}", file=name, line=top.line,
                            field=top.path, value=uri)

    def _elements(self, files: FileSet, names: list[str], wanted: frozenset[str] | None,
                  *, ids: bool = False) -> Iterator[tuple[str, Top]]:
        """The top-level elements of `names`, file by file. A file that cannot be read is
        named (fatal) and the others are still read, so that every such file is reported;
        then the read stops."""
        refused = False
        for name in dict.fromkeys(names):
            try:
                with files.open(name) as stream:
                    for top in top_elements(stream, schema=self._load_schema(name),
                                            wanted=wanted, ids=ids):
                        yield name, top
            except XmlRefused as exc:
                refused = True
                self._refusals.extend(self._refusal(files, name, exc))
        if refused:
            raise _Refused

    def _refusal(self, files: FileSet, name: str, exc: XmlRefused) -> list[Issue]:
        """A refused file's fatal issues; a file its XSD refused is read once more to name
        each violation at its own line."""
        schema = self._schemas.get(self._file_kinds.get(name, ""))
        if exc.line is None and schema is not None:
            try:
                with files.open(name) as stream:
                    found = xsd_problems(stream, schema, XSD_PROBLEMS_PER_FILE)
            except XmlRefused as broken:  # not well-formed either: that comes first
                return [Issue("fatal", broken.reason, file=name, line=broken.line)]
            if found:
                return [Issue("fatal", f"not valid against the XSD: {message}", file=name,
                              line=line) for line, message in found]
        return [Issue("fatal", exc.reason, file=name, line=exc.line)]

    def _pass(self, files: FileSet, names: list[str], wanted: frozenset[str],
              action: Callable[[str, Top], Action | None], facts: PeopleIndex, ids: IdIndex,
              put_off: dict[str, set[str]] | None) -> Iterator[Event]:
        """One read of `names` in order. The first pass (`put_off` given) records every id and
        puts off the elements whose `ref` names an id it has not met yet."""
        categories: set[str] = set()  # one row many gradebook entries share: sent once
        self._refusals = []
        refs: Refs | None = None
        try:
            for name, top in self._elements(files, names, wanted, ids=put_off is not None):
                if refs is None or refs.file != name:
                    refs = Refs(ids, name)
                if top.xml_id is not None and put_off is not None:
                    _remember(ids, refs, name, top)
                todo = action(name, top)
                if todo is None:
                    continue
                try:
                    yield from self._element(name, top, refs, facts, categories, *todo)
                except Unresolved:
                    assert put_off is not None  # only the first pass meets unknown ids
                    put_off.setdefault(name, set()).add(top.path)
        except _Refused:
            yield from self._refusals
            raise _Stop from None

    def _element(self, file: str, top: Top, refs: Refs, facts: PeopleIndex,
                 categories: set[str], gather: bool, emit: bool) -> Iterator[Event]:
        layout = LAYOUTS[top.name]
        try:
            body = read_body(top, layout, refs)
        except ShapeError as exc:
            yield from _rejected(file, top, layout, exc, emit)
            return
        if gather:
            issue = _gather(facts, top, layout, body, self._note)
            if self._notes:
                yield from self._reported_notes(file, top, layout)
            if issue is not None:
                yield _row_issue(file, top, layout, issue, _INDEX_ONLY[top.name])
        if emit:
            yield from _records(file, top, layout, body, facts, categories, self._note)
            if self._notes:
                yield from self._reported_notes(file, top, layout)

    def _note(self, path: str, note: str, value: str) -> None:
        self._notes.append((path, note, value))

    def _reported_notes(self, file: str, top: Top, layout: Layout) -> Iterator[Issue]:
        """Descriptor values read by a stand-in or left out: a warning the first time each
        is met in the run (the path and line of that first row)."""
        for path, note, value in self._notes:
            if note in self._noted:
                continue
            self._noted.add(note)
            where = _xml_path(top, layout, path)
            yield Issue("warning", f"{where}: {note}", file=file, line=top.line, field=where,
                        value=value)
        self._notes.clear()


class _Refused(Exception):
    """A file could not be read; its fatal issues are out (or about to be)."""


def _element_of(path: str) -> str:
    """`/InterchangeX/Session[3]` -> `Session`."""
    return path.rpartition("/")[2].partition("[")[0]


def _remember(ids: IdIndex, refs: Refs, file: str, top: Top) -> None:
    """Records an element's id with its natural key (or why the key cannot be read)."""
    assert top.xml_id is not None
    key: Any = None
    if top.name in IDENTITIES or top.name.endswith("Reference"):
        try:
            key = identity(top, refs)
        except ShapeError as exc:
            key = f"{exc.path}: {exc.message}"
    ids.record(file, top.xml_id.strip(), top.name, top.line, key)


def _gather(index: PeopleIndex, top: Top, layout: Layout, body: dict[str, Any],
            notes: Notes) -> Exception | None:
    """Adds an element's facts to the index; a problem is returned only for elements that make
    no records of their own (the others report it when their records are made)."""
    try:
        if top.name == "CourseOffering":
            index.add_offering(body)
        elif top.name == "StudentSchoolAssociation":
            index.add_school_association(body)
        elif top.name == "StudentEducationOrganizationAssociation":
            [demo] = to_records(layout.resource, body, index.resolve, notes=notes)
            index.add_edorg_association(body, demo.fields)
        elif top.name == "GradebookEntry":
            index.add_gradebook_entry(body)
        elif top.name == "Session":
            index.add_session(body)
        else:
            ref = "contactReference" if top.name.startswith("StudentContact") \
                else "parentReference"
            index.add_contact_association(body, ref)
    except (MappingError, ValueError) as exc:
        return exc if top.name in _INDEX_ONLY else None
    return None


def _rejected(name: str, top: Top, layout: Layout, exc: Exception,
              emit: bool) -> Iterator[Issue]:
    """A body that could not be read: one issue per family it would have made (so the engine
    tombstones nothing in any of them on its account), or for an index-only element, one."""
    if emit:
        for family in _FAMILIES[top.name]:
            yield _row_issue(name, top, layout, exc, family)
    elif top.name in _INDEX_ONLY:
        yield _row_issue(name, top, layout, exc, _INDEX_ONLY[top.name])


def _records(name: str, top: Top, layout: Layout, body: dict[str, Any], index: PeopleIndex,
             categories: set[str], notes: Notes) -> Iterator[Event]:
    families = _FAMILIES[top.name]
    try:
        records = to_records(layout.resource, body, index.resolve, notes=notes)
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

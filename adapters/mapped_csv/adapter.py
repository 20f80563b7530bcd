"""The `mapped-csv` adapter: a vendor's CSV export, read through a YAML mapping.

A run checks everything it can before the first record (mapping, files, encodings, headers)
so that a wrong export stops with one clear fatal message instead of thousands of row errors.
Lookup files are loaded into memory once (they are small: courses, schools); every other file
is streamed, each row feeding every entity that names its file. A vendor export is a full
snapshot, so every family the mapping produces is declared bulk.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

from adapters.base import Option, OptionError
from adapters.mapped_csv.csv_reading import CsvFile, UnreadableFile, iter_rows, open_csv
from adapters.mapped_csv.loader import load_mapping
from adapters.mapped_csv.mapping import CompiledMapping, Lookup
from adapters.mapping.evaluate import LookupIndex, RowContext, build_record
from adapters.mapping.problems import MappingError
from adapters.records import DroppedColumn, Event, FamilyMode, Issue, Record
from adapters.safe_folder import OPTION_HELP, FolderRefused, files


class MappedCsvAdapter:
    name: ClassVar[str] = "mapped-csv"
    description: ClassVar[str] = (
        "A vendor SIS CSV export (e.g. PowerSchool, Infinite Campus) mapped by a YAML file"
    )
    options: ClassVar[tuple[Option, ...]] = (
        Option("path", "folder holding the export's CSV files", required=True),
        Option("mapping", "YAML mapping file, or pack:<name> for a shipped pack "
               "(pack:powerschool, pack:infinite_campus)", required=True),
        Option("vars", "constants the mapping refers to, e.g. {district_name = '...'}",
               default=None),
        Option("follow_symlinks", OPTION_HELP, default=False),
    )

    def __init__(self, **options: Any) -> None:
        unknown = sorted(set(options) - {o.name for o in self.options})
        if unknown:
            raise OptionError(f"{self.name}: unknown option(s) {', '.join(unknown)}")
        for required in ("path", "mapping"):
            if not isinstance(options.get(required), str | Path) or not str(options[required]):
                raise OptionError(f"{self.name}: option {required!r} must be a non-empty text")
        variables = options.get("vars") or {}
        if not isinstance(variables, Mapping):
            raise OptionError(f"{self.name}: option 'vars' must be a table of name = value")
        self.path = Path(options["path"])
        self.mapping_name = str(options["mapping"])
        self.variables: dict[str, Any] = dict(variables)
        follow = options.get("follow_symlinks", False)
        if not isinstance(follow, bool):
            raise OptionError(f"{self.name}: option 'follow_symlinks' must be true or false, "
                              f"not {follow!r}")
        self.follow_symlinks = follow

    def check(self) -> list[str]:
        problems = self._path_problems()
        try:
            mapping = load_mapping(self.mapping_name, self.variables)
        except MappingError as exc:
            return problems + [str(p) for p in exc.problems]
        if not problems:
            try:
                problems += [f"{f.name}: file not found in {self.path}"
                             for f in mapping.files.values() if self._find(f.name) is None]
            except FolderRefused as exc:
                problems.append(str(exc))
        return problems

    def _path_problems(self) -> list[str]:
        if self.path.suffix.lower() == ".zip":
            return [f"{self.path}: zip exports are not supported yet; unzip into a folder"]
        if not self.path.is_dir():
            return [f"{self.path}: no such folder"]
        return []

    def _find(self, name: str) -> Path | None:
        """The export's file `name`, the exact name first, else ignoring case; raises
        FolderRefused when the folder holds a link (unless follow_symlinks)."""
        present = files(self.path, follow_symlinks=self.follow_symlinks)
        if name in present:
            return self.path / name
        wanted = name.lower()
        return next((self.path / p for p in present if p.lower() == wanted), None)

    def read(self) -> Iterator[Event]:
        try:
            mapping = load_mapping(self.mapping_name, self.variables)
        except MappingError as exc:
            for p in exc.problems:
                yield Issue("fatal", f"bad mapping: {p.path + ': ' if p.path else ''}{p.message}",
                            p.file, p.line)
            return
        for problem in self._path_problems():
            yield Issue("fatal", problem, str(self.path))
            return
        files: dict[str, CsvFile] = {}
        fatal = False
        for event in self._open_files(mapping, files):
            fatal = fatal or (isinstance(event, Issue) and event.level == "fatal")
            yield event
        if fatal:
            return
        ctx = RowContext(mapping.variables, {}, {a: f.name for a, f in files.items()})
        for alias in mapping.files:
            for lookup in mapping.lookups_on(alias):
                try:
                    index, issues = _load_lookup(files[alias], lookup)
                except (UnreadableFile, OSError) as exc:
                    yield Issue("fatal", f"{files[alias].name}: {exc}", files[alias].name,
                                getattr(exc, "line", None))
                    return
                ctx.lookups[lookup] = index
                yield from issues
        for family in mapping.families:
            first = next(e for e in mapping.entities if e.family == family)
            yield FamilyMode(family, "bulk", files[first.source].name)
        for alias, csv_file in files.items():
            if mapping.entities_from(alias):
                try:
                    yield from self._stream(mapping, alias, csv_file, ctx)
                except (UnreadableFile, OSError) as exc:
                    yield Issue("fatal", f"{csv_file.name}: {exc}", csv_file.name,
                                getattr(exc, "line", None))
                    return

    def _open_files(self, mapping: CompiledMapping, files: dict[str, CsvFile]) -> Iterator[Event]:
        """Open every declared file and report its encoding, missing columns, dropped ones."""
        for alias, spec in mapping.files.items():
            try:
                path = self._find(spec.name)
            except FolderRefused as exc:
                yield Issue("fatal", exc.reason, exc.name)
                return
            if path is None:
                yield Issue("fatal", f"{spec.name}: file not found in {self.path}", spec.name)
                continue
            try:
                csv_file = open_csv(path, follow_symlinks=self.follow_symlinks)
            except FolderRefused as exc:
                yield Issue("fatal", exc.reason, exc.name)
                continue
            except (UnreadableFile, OSError) as exc:
                yield Issue("fatal", f"{path.name}: {exc}", path.name, getattr(exc, "line", None))
                continue
            files[alias] = csv_file
            yield Issue("warning", f"{csv_file.name}: {csv_file.describe()}", csv_file.name, 1)
            needed = mapping.needed_columns(alias)
            for column, users in needed.items():
                if column not in csv_file.header:
                    yield Issue("fatal", f"{csv_file.name}: column {column!r} is missing "
                                f"(needed by {', '.join(sorted(set(users)))})", csv_file.name, 1,
                                column)
            for column in csv_file.header:
                if column not in needed:
                    yield DroppedColumn(csv_file.name, column, "not used by the mapping")

    def _stream(
        self, mapping: CompiledMapping, alias: str, csv_file: CsvFile, ctx: RowContext
    ) -> Iterator[Event]:
        entities = mapping.entities_from(alias)
        seen: dict[int, set[str]] = {i: set() for i, e in enumerate(entities) if e.distinct}
        families = {e.family for e in entities}
        # A row that cannot be read belongs to the file's family when there is only one; the
        # engine then keeps that family's stored records (it does not know which row it was).
        row_family = next(iter(families)) if len(families) == 1 else None
        for row in iter_rows(csv_file):
            if row.problem:
                yield Issue("error", f"{csv_file.name}: {row.problem}", csv_file.name, row.line,
                            family=row_family)
                continue
            for i, entity in enumerate(entities):
                result = build_record(entity, row.values, csv_file.name, row.line, ctx)
                if isinstance(result, Record):
                    if i in seen:
                        if result.sourced_id in seen[i]:
                            continue
                        seen[i].add(result.sourced_id)
                    yield result
                elif result:
                    for issue in result:
                        if issue.family is None:
                            issue.family = entity.family
                        yield issue


def _load_lookup(csv_file: CsvFile, lookup: Lookup) -> tuple[LookupIndex, list[Issue]]:
    """Index a small file by the lookup's columns; a repeated key keeps its first row."""
    index: LookupIndex = {}
    issues: list[Issue] = []
    keys = [theirs for theirs, _ in lookup.on]
    for row in iter_rows(csv_file):
        key = tuple(row.values.get(k, "") for k in keys)
        if key in index:
            issues.append(Issue("warning", f"{csv_file.name}: {', '.join(keys)} = "
                                f"{', '.join(key)} repeats; lookups use the first row",
                                csv_file.name, row.line, ", ".join(keys), ", ".join(key)))
            continue
        index[key] = {lookup.column: row.values.get(lookup.column, "")}
    return index, issues

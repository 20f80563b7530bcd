"""Streaming one data file of a package as events.

Header first (a bad header stops the file before any record), then one row at a time: nothing is
kept per row except, for orgs.csv, which orgs are districts (1.1 needs it to translate its
`administrator` role). Lenient normalisations are reported once per file, at the first row that
needed one, so a 200,000-row file with `TRUE` everywhere gives one warning, not 200,000.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from adapters.csv_text import CsvRow, CsvRows
from adapters.oneroster_csv.header import HeaderPlan, plan_header
from adapters.oneroster_csv.layouts import (
    DATE_LAST_MODIFIED,
    ROLE,
    ROLE_ORGS,
    ROW_COLUMNS,
    SOURCED_ID,
    STATUS,
    Layout,
)
from adapters.oneroster_csv.values import BadValue, shape
from adapters.records import DIGESTS, Event, FamilyMode, Issue, Mode, Record, RowDigests

INFER = "infer"  # no manifest said: decide bulk or delta from the first row
DIGEST_BATCH = 2000  # rows asked about at once (what is held per file while asking)
_ROLE_NAMESPACE = uuid.UUID("5b0c1f3e-6f1a-4d0e-9a51-0e2c1d7a4b10")


@dataclass(slots=True)
class PackageContext:
    """What one file may learn for a later one (kept small: org ids only)."""

    district_orgs: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class FileJob:
    file: str  # the file's name in the package, as the district sees it
    variants: tuple[Layout, ...]
    mode: str  # bulk | delta | infer
    version: str  # the package's version, to notice files written for the other one
    strict: bool


def role_sourced_id(user: str, org: str, role: str) -> str:
    """A 1.1 user's role in one org has no sourcedId of its own; derive a stable one so that
    re-importing the same file names the same roles."""
    return str(uuid.uuid5(_ROLE_NAMESPACE, f"{user}\x1f{org}\x1f{role}"))


def read_file(job: FileJob, rows: CsvRows, context: PackageContext,
              digest_key: bytes | None = None) -> Generator[Event, object, None]:
    """The file's events. With `digest_key` (what shapes a record besides its cells), a bulk
    file whose FamilyMode the engine answers with DIGESTS is read in batches: the rows' digests
    go first, and only the rows the engine does not already hold are parsed into records."""
    row_iter = iter(rows)
    header = next(row_iter, None)
    if header is None or (not header.cells and not header.problem):
        yield Issue("fatal", (
            "no header row: the file is empty or starts with a blank line"), file=job.file,
            line=1)
        return
    if header.problem:
        yield Issue("fatal", f"cannot read the header: {header.problem}", file=job.file,
                    line=header.line, value=header.value)
        return
    plan = plan_header(header.cells, job.variants, file=job.file, strict=job.strict,
                       delta=job.mode == "delta")
    yield from plan.issues
    if plan.fatal:
        return
    yield from _layout_notes(job, plan, rows)
    first = _first_data_row(row_iter)
    if first is None:
        yield Issue("fatal", (
            "the file has a header but no data rows; the binding forbids empty files (an "
            f"empty bulk file would delete every {plan.layout.family} record)"), file=job.file,
            line=1)
        return
    reader = _RowReader(job, plan, context, _mode(job, plan, first))
    wanted = yield from reader.start(first)
    if wanted == DIGESTS and digest_key is not None and reader.can_digest:
        yield from reader.digested(first, row_iter, digest_key + repr(header.cells).encode())
    else:
        yield from reader.row(first)
        for row in row_iter:
            yield from reader.row(row)
    if not rows.lines.ends_with_newline:
        yield Issue("warning", (
            "the last line has no line break: check that the file was not cut short"),
            file=job.file, line=rows.lines.line)


def _layout_notes(job: FileJob, plan: HeaderPlan, rows: CsvRows) -> Iterator[Event]:
    if plan.layout.version != job.version:
        yield Issue("warning", (
            f"the columns are those of OneRoster {plan.layout.version}, not {job.version}; "
            f"read with the {plan.layout.version} layout"), file=job.file, line=1)
    if rows.lines.had_bom and not job.strict:
        yield Issue("warning", "UTF-8 byte order mark ignored", file=job.file, line=1)
    yield from plan.dropped


def _first_data_row(rows: Iterator[CsvRow]) -> CsvRow | None:
    for row in rows:
        if row.cells or row.problem:
            return row
    return None


def _mode(job: FileJob, plan: HeaderPlan, first: CsvRow) -> str:
    if job.mode != INFER:
        return job.mode
    index = next((i for i, column in plan.positions if column.name == STATUS), None)
    filled = index is not None and index < len(first.cells) and first.cells[index].strip()
    return "delta" if filled else "bulk"


class _RowReader:
    def __init__(
        self, job: FileJob, plan: HeaderPlan, context: PackageContext, mode: str
    ) -> None:
        self.job = job
        self.plan = plan
        self.family = plan.layout.family
        self.context = context
        self.mode = mode
        self.noted: set[str] = set()
        self.derives_roles = plan.layout.derives_roles
        self.row_columns = {
            column.name: index for index, column in plan.positions
            if column.name in ROW_COLUMNS}
        # Only the columns that feed a field, looked up once rather than on every row.
        # A string column's value is its cell: it skips `shape` (a call per cell otherwise).
        self.data_columns = [
            (index, column, column.field, column.kind == "string")
            for index, column in plan.positions
            if column.field is not None and column.name not in ROW_COLUMNS]

    def start(self, first: CsvRow) -> Generator[Event, object, object]:
        """The file's FamilyMode(s); returns the engine's answer to the (first) one."""
        if self.job.mode == INFER:
            yield Issue("warning", (
                f"no manifest mode for this file: read as {self.mode} (the first row's status "
                f"is {'filled' if self.mode == 'delta' else 'blank'})"), file=self.job.file,
                line=first.line)
        mode = cast(Mode, self.mode)
        answer = yield FamilyMode(self.family, mode, self.job.file)
        if self.derives_roles:
            yield FamilyMode("roles", mode, self.job.file)
        return answer

    @property
    def can_digest(self) -> bool:
        """Rows that make exactly one record of their own and nothing else: bulk rows of a
        file that neither derives roles (1.1 users) nor teaches later files (orgs)."""
        return self.mode == "bulk" and not self.derives_roles and self.family != "orgs" and \
            SOURCED_ID in self.row_columns

    def digested(self, first: CsvRow, rows: Iterator[CsvRow],
                 key: bytes) -> Generator[Event, object, None]:
        batch = [first]
        for row in rows:
            batch.append(row)
            if len(batch) >= DIGEST_BATCH:
                yield from self._batch(batch, key)
                batch = []
        yield from self._batch(batch, key)

    def _batch(self, batch: list[CsvRow], key: bytes) -> Generator[Event, object, None]:
        """Asks which rows the engine holds, then parses the others. Rows that do not fit
        the header (or cannot be read) get no digest: they always take the full path."""
        at, width = self.row_columns[SOURCED_ID], self.plan.width
        digests: dict[int, str] = {}
        asked = []
        for row in batch:
            cells = row.cells
            if row.problem or len(cells) != width or not cells[at].strip():
                continue
            digest = hashlib.blake2b(key + repr(cells).encode(), digest_size=16).hexdigest()
            digests[row.line] = digest
            asked.append((row.line, cells[at], digest))
        known = yield RowDigests(self.family, self.job.file, asked)
        held = known if isinstance(known, set) else set()
        for row in batch:
            if row.line not in held:
                yield from self.row(row, digests.get(row.line))

    def row(self, row: CsvRow, digest: str | None = None) -> Iterator[Event]:
        if row.problem:
            yield self._error(row.line, row.problem, self._column_at(row.cell), row.value,
                              self._sourced_id_in(row.cells))
            return
        if not row.cells:
            return
        cells = yield from self._fitted(row)
        if cells is None:
            return
        values = {name: cells[index] for name, index in self.row_columns.items()}
        sourced_id = values.get(SOURCED_ID, "")
        if not sourced_id.strip():
            yield self._error(row.line, "sourcedId is blank", SOURCED_ID, sourced_id)
            return
        errors: list[Issue] = []
        notes: list[Issue] = []
        state = self._state(values, row.line, sourced_id, errors, notes)
        fields = self._fields(cells, row.line, sourced_id, errors, notes)
        yield from notes
        if errors:
            yield from errors
            return
        status, modified = state
        if self.derives_roles:
            yield from self._user_and_roles(sourced_id, fields, row.line, status, modified)
            return
        if self.family == "orgs" and fields.get("type") == "district":
            self.context.district_orgs.add(sourced_id)
        yield Record(self.family, sourced_id, fields, self.job.file, row.line, status, modified,
                     digest)

    def _column_at(self, index: int | None) -> str | None:
        """The header's name for a cell position (problems name columns, not positions)."""
        if index is None:
            return None
        return next((column.name for at, column in self.plan.positions if at == index), None)

    def _sourced_id_in(self, cells: list[str]) -> str | None:
        """The row's sourcedId when its cell is readable: it lets the engine keep the stored
        version of a row it had to reject."""
        at = self.row_columns.get(SOURCED_ID)
        if at is None or at >= len(cells):
            return None
        value = cells[at].strip()
        return value if value and len(value) <= 255 else None

    def _fitted(self, row: CsvRow) -> Iterator[Event]:
        """The row's cells if their count matches the header (generator-return), else an error."""
        cells, plan = row.cells, self.plan
        if len(cells) == plan.width:
            return cells
        if not self.job.strict and len(cells) >= plan.named_width and not any(
                cells[plan.named_width:]):
            yield from self._note(row.line, "trailing commas (empty extra cells) were ignored")
            return cells
        yield self._error(row.line, (
            f"the row has {len(cells)} cells but the header has {plan.width}"), None, None)
        return None

    def _state(
        self, values: dict[str, str], line: int, sid: str, errors: list[Issue],
        notes: list[Issue],
    ) -> tuple[str | None, str | None]:
        status = values.get(STATUS, "").strip()
        modified = values.get(DATE_LAST_MODIFIED, "").strip()
        if self.mode == "bulk":
            if status == "tobedeleted":
                errors.append(self._error(line, (
                    "a bulk file cannot delete: leave the row out instead"), STATUS, status, sid))
            elif (status or modified) and self.job.strict:
                errors.append(self._error(line, (
                    "bulk rows must leave status and dateLastModified empty"),
                    STATUS if status else DATE_LAST_MODIFIED, status or modified, sid))
            elif status or modified:
                notes.extend(self._note(line, (
                    "bulk rows gave status/dateLastModified, which bulk files leave empty; "
                    "ignored")))
            return None, None
        for name, value in ((STATUS, status), (DATE_LAST_MODIFIED, modified)):
            if not value:
                errors.append(self._error(line, f"delta rows must give {name}", name, value,
                                          sid))
        status_column = next(c for _, c in self.plan.positions if c.name == STATUS)
        if status:
            try:
                status, note = shape(status_column, status, strict=self.job.strict)
            except BadValue as exc:
                errors.append(self._error(line, str(exc), STATUS, status, sid))
            else:
                if note:
                    notes.extend(self._note(line, note, STATUS, values.get(STATUS)))
        return status or None, modified or None

    def _fields(
        self, cells: list[str], line: int, sid: str, errors: list[Issue], notes: list[Issue],
    ) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        strict = self.job.strict
        for index, column, name, plain in self.data_columns:
            raw = cells[index]
            if not raw or (not strict and not raw.strip()):
                if column.required:
                    errors.append(self._error(line, (
                        f"{column.name} is required by the CSV binding but blank"),
                        column.name, raw, sid))
                continue
            if plain:
                fields[name] = raw
                continue
            try:
                value, note = shape(column, raw, strict=strict)
            except BadValue as exc:
                errors.append(self._error(line, str(exc), column.name, raw, sid))
                continue
            if note:
                notes.extend(self._note(line, note, column.name, raw))
            fields[name] = value
        return fields

    def _user_and_roles(
        self, user: str, fields: dict[str, Any], line: int, status: str | None,
        modified: str | None,
    ) -> Iterator[Event]:
        orgs: list[str] = fields.pop(ROLE_ORGS)
        role: str = fields.pop(ROLE)
        yield Record("users", user, fields, self.job.file, line, status, modified)
        for rank, org in enumerate(orgs):
            org_role = self._v11_role(role, org, line)
            yield from org_role[1]
            yield Record(
                "roles", role_sourced_id(user, org, org_role[0]),
                {"user": user, "roleType": "primary" if rank == 0 else "secondary",
                 "role": org_role[0], "org": org},
                self.job.file, line, status, modified,
            )

    def _v11_role(self, role: str, org: str, line: int) -> tuple[str, list[Issue]]:
        """1.1 has one `administrator`; 1.2 tells district from site administrators."""
        if role != "administrator":
            return role, []
        mapped = "districtAdministrator" if org in self.context.district_orgs else (
            "siteAdministrator")
        return mapped, list(self._note(line, (
            "OneRoster 1.1 role 'administrator' became districtAdministrator for district "
            "orgs and siteAdministrator otherwise"), "role", role))

    def _note(self, line: int, reason: str, column: str | None = None,
              value: str | None = None) -> Iterator[Issue]:
        """A normalisation, said once per file: at the first row, with the value it found."""
        if reason not in self.noted:
            self.noted.add(reason)
            yield Issue("warning", reason, file=self.job.file, line=line, field=column,
                        value=value, family=self.family)

    def _error(
        self, line: int, reason: str, column: str | None, value: str | None,
        sid: str | None = None,
    ) -> Issue:
        return Issue("error", reason, file=self.job.file, line=line, field=column, value=value,
                     family=self.family, sourced_id=sid)

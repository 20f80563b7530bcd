"""manifest.csv: which OneRoster version a package is, and how each file is to be applied.

The manifest decides between "this file replaces the family" (bulk) and "these rows are
changes" (delta), so a wrong or guessed mode is the difference between an update and a
wipe: every doubt here is reported, and in strict mode refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from adapters.csv_text import CsvRows
from adapters.oneroster_csv.layouts import V11, V12
from adapters.records import Issue, Level

MODES = ("absent", "bulk", "delta")
_VERSIONS = {"1.1": V11, "1.2": V12}
_HEADER = ["propertyName", "value"]


@dataclass(slots=True)
class Manifest:
    file: str
    version: str | None = None
    modes: dict[str, str] = field(default_factory=dict)  # family -> absent | bulk | delta
    issues: list[Issue] = field(default_factory=list)


def read_manifest(rows: CsvRows, *, file: str, strict: bool) -> Manifest:
    manifest = Manifest(file)
    seen: set[str] = set()
    for row in rows:
        if row.line == 1:
            _check_header(manifest, row.cells, row.problem, strict)
            if manifest.issues and manifest.issues[-1].level == "fatal":
                return manifest
            continue
        if row.problem:
            manifest.issues.append(_issue(manifest, "fatal", row.problem, row.line, None,
                                          row.value))
            continue
        cells = [cell.strip() for cell in row.cells] if not strict else row.cells
        if not cells:
            continue
        if len(cells) < 2 or (len(cells) > 2 and (strict or any(cells[2:]))):
            manifest.issues.append(_issue(manifest, "fatal", (
                f"a manifest row has 2 cells (propertyName,value), this one has {len(cells)}"),
                row.line, None, ",".join(cells)))
            continue
        name, value = cells[0], cells[1]
        if name in seen:
            manifest.issues.append(_issue(manifest, "fatal", (
                f"property {name!r} is given twice"), row.line, name, value))
            continue
        seen.add(name)
        _read_property(manifest, name, value, row.line, strict)
    if "oneroster.version" not in seen and strict:
        manifest.issues.append(_issue(manifest, "fatal", (
            "oneroster.version is missing"), None, "oneroster.version", None))
    return manifest


def _check_header(
    manifest: Manifest, cells: list[str], problem: str | None, strict: bool
) -> None:
    if problem:
        manifest.issues.append(_issue(manifest, "fatal", problem, 1, None, None))
    elif cells == _HEADER:
        return
    elif not strict and [c.strip().lower() for c in cells if c.strip()] == ["propertyname",
                                                                              "value"]:
        manifest.issues.append(_issue(manifest, "warning", (
            "header read as propertyName,value"), 1, None, ",".join(cells)))
    else:
        manifest.issues.append(_issue(manifest, "fatal", (
            "the manifest header must be propertyName,value"), 1, None, ",".join(cells)))


def _read_property(manifest: Manifest, name: str, value: str, line: int, strict: bool) -> None:
    if name == "manifest.version":
        if value != "1.0":
            manifest.issues.append(_issue(manifest, "fatal" if strict else "warning", (
                "manifest.version must be 1.0"), line, name, value))
    elif name == "oneroster.version":
        _read_version(manifest, value, line, strict)
    elif name.startswith("file."):
        _read_mode(manifest, name, value, line, strict)
    elif not name.startswith("source."):
        manifest.issues.append(_issue(manifest, "warning", (
            "unknown manifest property, ignored"), line, name, value))


def _read_version(manifest: Manifest, value: str, line: int, strict: bool) -> None:
    if value in _VERSIONS:
        manifest.version = _VERSIONS[value]
    elif value == "1.2.1" and not strict:
        manifest.version = V12
        manifest.issues.append(_issue(manifest, "warning", (
            "1.2.1 packages declare oneroster.version 1.2; read as 1.2"), line,
            "oneroster.version", value))
    else:
        manifest.issues.append(_issue(manifest, "fatal", (
            "oneroster.version must be 1.1 or 1.2"), line, "oneroster.version", value))


def _read_mode(manifest: Manifest, name: str, value: str, line: int, strict: bool) -> None:
    mode = value if strict else value.lower()
    if mode not in MODES:
        manifest.issues.append(_issue(manifest, "fatal", (
            "a file's mode must be absent, bulk or delta"), line, name, value))
        return
    if mode != value:
        manifest.issues.append(_issue(manifest, "warning", (
            f"mode read as {mode!r}"), line, name, value))
    manifest.modes[name.removeprefix("file.")] = mode


def _issue(
    manifest: Manifest, level: Level, reason: str, line: int | None, field_: str | None,
    value: str | None,
) -> Issue:
    return Issue(level, reason, file=manifest.file, line=line, field=field_, value=value)

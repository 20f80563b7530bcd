"""The `oneroster-csv` source: a OneRoster 1.1 or 1.2 CSV data set, zip or folder.

Reading follows the package's own order of authority: the zip must be safe before anything is
read, the manifest says the version and each file's mode, and each file's header must fit the
binding before any of its rows become records. Files are streamed in the canonical apply order
so that a reference always points at a family already read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Generator
from pathlib import Path
from typing import Any, ClassVar

from adapters.base import Option, OptionError
from adapters.canonical import APPLY_ORDER
from adapters.csv_text import CsvRows, TextLines
from adapters.oneroster_csv.file_reader import INFER, FileJob, PackageContext, read_file
from adapters.oneroster_csv.layouts import V11, V12, layouts
from adapters.oneroster_csv.manifest import Manifest, read_manifest
from adapters.oneroster_csv.package import MANIFEST, Package, PackageError, opened
from adapters.records import ROW_DIGEST_VERSION, SKIP, Event, FamilyMode, Issue
from adapters.safe_folder import OPTION_HELP, FolderRefused, files
from adapters.safe_zip import SafeZip, UnsafeZip, ZipLimits

# Bump when a change to this adapter alters the records it makes from the same file.
FINGERPRINT_VERSION = 1

MiB = 1024**2
_DEFAULT_LIMITS = ZipLimits(max_members=100, max_total_bytes=4 * 1024 * MiB, max_ratio=100.0)
_V12_ONLY = frozenset(layouts(V12)) - frozenset(layouts(V11))


class OneRosterCsvAdapter:
    name: ClassVar[str] = "oneroster-csv"
    description: ClassVar[str] = (
        "OneRoster 1.1 / 1.2 CSV data sets, bulk or delta, from a zip file or a folder"
    )
    options: ClassVar[tuple[Option, ...]] = (
        Option("path", "the data set: a .zip file or a folder of CSV files", required=True),
        Option("strict", "follow the CSV binding exactly instead of repairing common producer "
               "quirks with a warning", default=False),
        Option("max_members", "most members a zip may hold", default=_DEFAULT_LIMITS.max_members),
        Option("max_total_bytes", "most bytes a zip may inflate to, all members together",
               default=_DEFAULT_LIMITS.max_total_bytes),
        Option("max_ratio", "highest compression ratio accepted for a zip member and for the "
               "whole zip", default=_DEFAULT_LIMITS.max_ratio),
        Option("max_cell_bytes", "largest CSV cell, in bytes; a larger one rejects its row",
               default=MiB),
        Option("follow_symlinks", OPTION_HELP, default=False),
    )

    def __init__(self, **options: Any) -> None:
        known = {option.name: option for option in self.options}
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise OptionError(f"{self.name}: unknown option(s) {', '.join(unknown)}")
        if options.get("path") in (None, ""):
            raise OptionError(f"{self.name}: option 'path' is required")
        given = {name: options.get(name, option.default) for name, option in known.items()}
        self.path = Path(str(given["path"]))
        self.strict = _flag(self.name, "strict", given["strict"])
        self.follow_symlinks = _flag(self.name, "follow_symlinks", given["follow_symlinks"])
        self.limits = ZipLimits(
            max_members=int(_positive(self.name, "max_members", given["max_members"])),
            max_total_bytes=int(
                _positive(self.name, "max_total_bytes", given["max_total_bytes"])),
            max_ratio=_positive(self.name, "max_ratio", given["max_ratio"]),
        )
        self.max_cell_bytes = int(
            _positive(self.name, "max_cell_bytes", given["max_cell_bytes"]))

    def check(self) -> list[str]:
        """Problems visible without reading any CSV data."""
        if self.path.is_dir():
            try:
                names = set(files(self.path, follow_symlinks=self.follow_symlinks))
            except FolderRefused as exc:
                return [str(exc)]
        elif self.path.is_file():
            try:
                with SafeZip(self.path, self.limits) as archive:
                    names = set(archive.names())
            except UnsafeZip as exc:
                return [str(exc)]
        elif self.path.exists():
            return [f"{self.path}: neither a zip file nor a folder"]
        else:
            return [f"{self.path}: no such file or folder"]
        if self.strict and MANIFEST not in names:
            return [f"{self.path}: no {MANIFEST} at the root (strict mode requires it)"]
        return []

    def read(self) -> Generator[Event, str | None, None]:
        try:
            with opened(self.path, self.limits, strict=self.strict,
                        follow_symlinks=self.follow_symlinks) as package:
                yield from self._read(package)
        except FolderRefused as exc:
            yield Issue("fatal", exc.reason, file=exc.name)
        except (UnsafeZip, PackageError) as exc:
            yield Issue("fatal", str(exc), file=self.path.name)

    def _read(self, package: Package) -> Generator[Event, str | None, None]:
        yield from package.issues
        manifest = yield from self._manifest(package)
        if manifest is None and self.strict:
            return
        version = manifest.version if manifest else self._guess_version(package)
        if version is None:
            return
        jobs = yield from self._jobs(package, manifest, version)
        context = PackageContext()
        for job in jobs:
            if not (yield from self._stream(package, job, context)):
                return

    def _manifest(self, package: Package) -> Generator[Event, None, Manifest | None]:
        name = package.files.get(MANIFEST)
        if name is None:
            if self.strict:
                yield Issue("fatal", f"{MANIFEST} is missing; the binding requires it",
                            file=package.label)
            else:
                yield Issue("warning", (
                    f"no {MANIFEST}: the version and each file's mode were inferred from the "
                    "files"), file=package.label)
            return None
        lines = package.open_lines(name, max_line_bytes=4 * self.max_cell_bytes)
        try:
            manifest = read_manifest(self._rows(lines), file=name, strict=self.strict)
        finally:
            lines.close()
        yield from manifest.issues
        if manifest.version is None and not self.strict:
            manifest.version = self._guess_version(package)
            yield Issue("warning", (
                f"no usable oneroster.version: read as {manifest.version}"), file=name)
        return manifest

    def _guess_version(self, package: Package) -> str:
        if any(f"{family}.csv" in package.files for family in _V12_ONLY):
            return V12
        users = package.files.get("users.csv")
        if users is None:
            return V12
        lines = package.open_lines(users, max_line_bytes=4 * self.max_cell_bytes)
        try:
            header = next(iter(self._rows(lines)), None)
        finally:
            lines.close()
        looks_v11 = header is not None and "orgsourcedids" in (c.lower() for c in header.cells)
        return V11 if looks_v11 else V12

    def _jobs(
        self, package: Package, manifest: Manifest | None, version: str
    ) -> Generator[Event, None, list[FileJob]]:
        own = layouts(version)
        other = layouts(V11 if version == V12 else V12)
        modes = manifest.modes if manifest else {}
        where = manifest.file if manifest else package.label
        for family in sorted(set(modes) - set(APPLY_ORDER)):
            yield Issue("warning", "unknown file in the manifest, ignored", file=where,
                        field=f"file.{family}", value=modes[family])
        jobs = []
        for family in APPLY_ORDER:
            present = package.files.get(f"{family}.csv")
            if family not in own:
                if present or modes.get(family, "absent") != "absent":
                    yield Issue("fatal" if self.strict else "warning", (
                        f"{family}.csv is not a file of OneRoster {version}; ignored"),
                        file=present or where)
                continue
            mode = yield from self._mode(family, present, manifest, where)
            if mode is None:
                continue
            variants = own[family] + (() if self.strict else other.get(family, ()))
            assert present is not None
            jobs.append(FileJob(present, variants, mode, version, self.strict))
        return jobs

    def _mode(
        self, family: str, present: str | None, manifest: Manifest | None, where: str
    ) -> Generator[Event, None, str | None]:
        """The mode a present file is read in; None when it is not read."""
        prop = f"file.{family}"
        mode = manifest.modes.get(family) if manifest else INFER
        if mode is None:
            if self.strict:
                yield Issue("fatal", f"the manifest lacks {prop}", file=where, field=prop)
                return None
            if present:
                yield Issue("warning", f"the manifest lacks {prop}; mode inferred", file=where,
                            field=prop)
            mode = INFER
        if mode == "absent" and present:
            yield Issue("fatal" if self.strict else "warning", (
                f"the manifest says {prop} is absent but the file is present; "
                + ("refused" if self.strict else "the file was ignored")), file=present,
                field=prop, value=mode)
            return None
        if mode in ("bulk", "delta") and not present:
            yield Issue("fatal", (
                f"the manifest declares {prop} as {mode} but {family}.csv is not in the "
                "package; nothing is applied rather than guess"), file=where, field=prop,
                value=mode)
            return None
        return mode if present and mode != "absent" else None

    def _stream(
        self, package: Package, job: FileJob, context: PackageContext
    ) -> Generator[Event, str | None, bool]:
        """Stream one file; False when the package must not be read any further. The engine
        may answer the file's FamilyMode with SKIP: then the file is not parsed at all."""
        try:
            lines = package.open_lines(job.file, max_line_bytes=4 * self.max_cell_bytes)
        except OSError as exc:
            yield Issue("fatal", f"cannot open the file: {exc}", file=job.file)
            return True
        try:
            fingerprint = self._fingerprint(package, job)
            events = read_file(job, self._rows(lines), context,
                               digest_key=self._digest_key(job))
            reply = None
            while (event := _next(events, reply)) is not None:
                if isinstance(event, FamilyMode):
                    event.fingerprint = fingerprint
                reply = yield event
                if reply == SKIP and isinstance(event, FamilyMode):
                    events.close()  # the store already holds exactly this file
                    return True
        except UnsafeZip as exc:
            yield Issue("fatal", str(exc), file=job.file, line=lines.line or None)
            return False
        finally:
            lines.close()
        return True

    def _fingerprint(self, package: Package, job: FileJob) -> str | None:
        """Digest of the file and of everything that shapes its records. orgs.csv gets none:
        it also feeds the package context (1.1 district orgs), so it is always read."""
        if job.file.lower() == "orgs.csv":
            return None
        digest = hashlib.sha256(
            f"oneroster-csv/{FINGERPRINT_VERSION}|{job.version}|{job.mode}|{self.strict}|"
            f"{self.max_cell_bytes}\n".encode())
        with package.open_bytes(job.file) as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()

    def _digest_key(self, job: FileJob) -> bytes:
        """What shapes a record besides its row's cells (the header is added per file)."""
        return (f"{ROW_DIGEST_VERSION}|oneroster-csv/{FINGERPRINT_VERSION}|{job.version}|"
                f"{job.strict}|{self.max_cell_bytes}").encode()

    def _rows(self, lines: TextLines) -> CsvRows:
        return CsvRows(lines, max_cell_bytes=self.max_cell_bytes, strict=self.strict)


def _next(events: Generator[Event, Any, None], reply: Any) -> Event | None:
    try:
        return events.send(reply)
    except StopIteration:
        return None


def _flag(adapter: str, name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise OptionError(f"{adapter}: option {name!r} must be true or false, not {value!r}")


def _positive(adapter: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise OptionError(f"{adapter}: option {name!r} must be a positive number, not {value!r}")
    return value

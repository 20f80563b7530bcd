"""A OneRoster data set as a set of named files, whether it arrived as a zip or a folder.

The rest of the adapter only asks for names and line streams, so zip hardening and folder
reading stay here (`adapters.safe_folder`: a link in a folder is refused like a link in a zip,
unless the source allows them). Name quirks are resolved here too: the binding wants exact names
at the root, while real exports come with upper-case names, an enclosing folder or macOS
`__MACOSX` debris.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from adapters.csv_text import TextLines
from adapters.oneroster_csv.layouts import all_file_names
from adapters.records import Issue
from adapters.safe_folder import files, open_file, refuse_links
from adapters.safe_zip import SafeZip, UnsafeZip, ZipLimits, root_folder

MANIFEST = "manifest.csv"


class PackageError(ValueError):
    """The package cannot be read at all; the message says why."""


@dataclass(slots=True)
class Package:
    """Files of the data set by their binding name (e.g. `users.csv`) -> name in the package."""

    label: str
    files: dict[str, str] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    _zip: SafeZip | None = None
    _folder: Path | None = None
    _prefix: str = ""
    _follow_symlinks: bool = False

    def open_lines(self, name: str, *, max_line_bytes: int) -> TextLines:
        if self._zip is not None:
            return self._zip.open_text(self._prefix + name, max_line_bytes=max_line_bytes)
        assert self._folder is not None
        return TextLines(open_file(self._folder, name, follow_symlinks=self._follow_symlinks),
                         max_line_bytes=max_line_bytes)

    def open_bytes(self, name: str) -> BinaryIO:
        if self._zip is not None:
            return self._zip.open(self._prefix + name)
        assert self._folder is not None
        return open_file(self._folder, name, follow_symlinks=self._follow_symlinks)

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


@contextmanager
def opened(path: Path, limits: ZipLimits, *, strict: bool,
           follow_symlinks: bool = False) -> Iterator[Package]:
    """The package at `path`, its files recognised; raises PackageError, UnsafeZip or (a link
    in a folder) FolderRefused."""
    package = _open(path, limits, strict, follow_symlinks)
    try:
        yield package
    finally:
        package.close()


def _open(path: Path, limits: ZipLimits, strict: bool, follow_symlinks: bool) -> Package:
    if path.is_dir():
        package = Package(path.name, _follow_symlinks=follow_symlinks)
        if not follow_symlinks:
            refuse_links(path)
        package._folder = _folder_root(package, path, strict)
        names = files(package._folder, follow_symlinks=follow_symlinks)
    elif path.is_file():
        archive = SafeZip(path, limits)
        package = Package(path.name, _zip=archive)
        try:
            names = _zip_names(package, archive.names(), strict)
        except UnsafeZip:
            archive.close()
            raise
    else:
        raise PackageError(f"{path}: no such file or folder")
    _recognise(package, names, strict)
    return package


def _folder_root(package: Package, path: Path, strict: bool) -> Path:
    """The folder holding the files: `path`, or (lenient) its only subfolder when the export
    was unpacked one level too deep."""
    entries = [entry for entry in path.iterdir() if not entry.name.startswith((".", "__MACOSX"))]
    folders = [entry for entry in entries if entry.is_dir()]
    if any(entry.is_file() for entry in entries) or len(folders) != 1:
        return path
    if strict:
        raise PackageError(
            f"{path.name}: the files are in the subfolder {folders[0].name!r}; the binding "
            "puts them at the root")
    package.issues.append(_warning(package.label, (
        f"files were read from the subfolder {folders[0].name!r}; the binding puts them at "
        "the root")))
    return folders[0]


def _zip_names(package: Package, names: list[str], strict: bool) -> list[str]:
    if not strict:
        junk = [n for n in names if n.startswith("__MACOSX/") or n.endswith(".DS_Store")]
        if junk:
            package.issues.append(_warning(package.label, (
                f"ignored {len(junk)} macOS metadata member(s) such as {junk[0]!r}")))
        names = [n for n in names if n not in junk]
    prefix = root_folder(names)
    if prefix and strict:
        raise UnsafeZip(
            f"{package.label}: files are inside the folder {prefix!r}; the binding puts them "
            "at the root of the zip")
    if prefix:
        package.issues.append(_warning(package.label, (
            f"files were read from the enclosing folder {prefix!r}; the binding puts them at "
            "the root of the zip")))
    package._prefix = prefix
    return [name.removeprefix(prefix) for name in names]


def _recognise(package: Package, names: list[str], strict: bool) -> None:
    known = {name.lower(): name for name in (*all_file_names(), MANIFEST)}
    exact_first = sorted(names, key=lambda name: name not in known.values())
    for name in exact_first:
        expected = known.get(name.lower())
        if expected is None:
            level = "fatal" if strict else "warning"
            package.issues.append(Issue(level, (
                "not a file of the OneRoster CSV binding" + ("" if strict else "; ignored")),
                file=name))
        elif expected in package.files:
            package.issues.append(Issue("fatal", (
                f"two files can be read as {expected!r}: {package.files[expected]!r} and "
                f"{name!r}"), file=name))
        elif name != expected and strict:
            package.issues.append(Issue("fatal", (
                f"file names are case-sensitive: expected {expected!r}"), file=name))
        else:
            if name != expected:
                package.issues.append(_warning(name, f"file name read as {expected!r}"))
            package.files[expected] = name


def _warning(file: str, reason: str) -> Issue:
    return Issue("warning", reason, file=file)

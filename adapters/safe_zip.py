"""Reading untrusted zip archives without trusting them.

District exports arrive as zips built by any tool, and a hostile or broken one must end in a
clear refusal, never in a full disk, an exhausted memory or a file written outside a folder.
So members are never extracted to disk: they are streamed, and every number the archive declares
(member count, sizes, ratios, offsets) is checked before reading and counted again while
reading. The overlap check is our own because the interpreter's (CVE-2024-0450) only arrived in
Python 3.11.8 and the project machines run 3.11.7.
"""

from __future__ import annotations

import io
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from adapters.csv_text import TextLines

_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_LOCAL_SIGNATURE = b"PK\x03\x04"
_READABLE_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
_DRIVE = re.compile(r"^[A-Za-z]:")
_CHUNK = 64 * 1024


class UnsafeZip(ValueError):
    """The archive is refused as a whole; the message names the member and the reason."""


@dataclass(frozen=True, slots=True)
class ZipLimits:
    max_members: int = 1000
    max_total_bytes: int = 4 * 1024**3
    max_ratio: float = 100.0


class SafeZip:
    """A zip archive whose central directory has been checked; members are read as streams.

    Construction does all the checks that need no decompression, so a refusal comes before any
    data is read. Use as a context manager or call `close()`.
    """

    def __init__(self, path: str | Path, limits: ZipLimits | None = None) -> None:
        self.path = Path(path)
        self.limits = limits or ZipLimits()
        try:
            self._zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise UnsafeZip(f"{self.path.name}: not a readable zip archive ({exc})") from None
        self._inflated_total = 0
        self._archive_bytes = max(self.path.stat().st_size, 1)
        try:
            self._members = _checked_members(self._zip, self.path.name, self.limits)
        except UnsafeZip:
            self._zip.close()
            raise

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()

    def names(self) -> list[str]:
        """File members in archive order; folder entries are left out."""
        return list(self._members)

    def open(self, member: str) -> BinaryIO:
        """A buffered binary stream of one member that refuses to inflate past the limits."""
        info = self._members.get(member)
        if info is None:
            raise KeyError(f"{self.path.name}: no member named {member!r}")
        raw = _CappedMember(self, info)
        return io.BufferedReader(raw, buffer_size=_CHUNK)

    def open_text(self, member: str, *, max_line_bytes: int = 4 * 1024**2) -> TextLines:
        """The member's physical lines decoded as UTF-8, numbered; see `TextLines`."""
        return TextLines(self.open(member), max_line_bytes=max_line_bytes)

    def _count(self, member: str, inflated: int) -> None:
        """Charge freshly inflated bytes to the archive-wide budgets (size and ratio)."""
        self._inflated_total += inflated
        if self._inflated_total > self.limits.max_total_bytes:
            raise UnsafeZip(
                f"{self.path.name}: member {member!r} inflates past the limit of "
                f"{self.limits.max_total_bytes} bytes for the whole archive"
            )
        if self._inflated_total > self._archive_bytes * self.limits.max_ratio:
            raise UnsafeZip(
                f"{self.path.name}: reading member {member!r} inflates the archive more than "
                f"{self.limits.max_ratio:g} times its size"
            )


def root_folder(names: list[str]) -> str:
    """The single folder enclosing every member ('' when all sit at the root).

    OneRoster packages keep their files at the root; tools that zip a folder add one enclosing
    level, which a lenient reader may accept. Anything deeper is refused.
    """
    prefixes = {name.rpartition("/")[0] for name in names}
    deep = sorted(name for name in names if name.count("/") > 1)
    if deep:
        raise UnsafeZip(f"member {deep[0]!r} is in a nested folder; files must be at the root")
    if prefixes <= {""}:
        return ""
    if len(prefixes) == 1:
        return prefixes.pop() + "/"
    raise UnsafeZip(
        "members are spread over several folders "
        f"({', '.join(sorted(p or '(root)' for p in prefixes))}); files must be at the root"
    )


class _CappedMember(io.RawIOBase):
    """Inflates one member in bounded chunks, counting what comes out rather than trusting
    the sizes the archive declares."""

    def __init__(self, archive: SafeZip, info: zipfile.ZipInfo) -> None:
        self._archive = archive
        self._info = info
        self._stream = archive._zip.open(info)
        self._inflated = 0
        limits = archive.limits
        self._cap = min(info.file_size, limits.max_total_bytes)
        self._ratio_cap = max(info.compress_size, 1) * limits.max_ratio

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        want = min(len(buffer), _CHUNK)
        try:
            data = self._stream.read(want)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise UnsafeZip(f"{self._archive.path.name}: member {self._info.filename!r} is "
                            f"damaged ({exc})") from None
        self._inflated += len(data)
        self._check()
        self._archive._count(self._info.filename, len(data))
        buffer[: len(data)] = data
        return len(data)

    def _check(self) -> None:
        name = f"{self._archive.path.name}: member {self._info.filename!r}"
        if self._inflated > self._cap:
            raise UnsafeZip(f"{name} inflates past its declared size of {self._info.file_size}")
        if self._inflated > self._ratio_cap:
            raise UnsafeZip(
                f"{name} inflates more than {self._archive.limits.max_ratio:g} times its "
                "compressed size"
            )

    def close(self) -> None:
        self._stream.close()
        super().close()


def _checked_members(
    archive: zipfile.ZipFile, zip_name: str, limits: ZipLimits
) -> dict[str, zipfile.ZipInfo]:
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise UnsafeZip(
            f"{zip_name}: {len(infos)} members, more than the limit of {limits.max_members}"
        )
    members: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        _check_name(info.filename, zip_name)
        _check_kind(info, zip_name)
        if info.is_dir():
            continue
        if info.filename in members:
            raise UnsafeZip(f"{zip_name}: member {info.filename!r} appears twice")
        _check_ratio(info.filename, info.file_size, info.compress_size, zip_name, limits)
        members[info.filename] = info
    declared = sum(info.file_size for info in members.values())
    if declared > limits.max_total_bytes:
        raise UnsafeZip(
            f"{zip_name}: members declare {declared} bytes in all, more than the limit of "
            f"{limits.max_total_bytes}"
        )
    packed = sum(info.compress_size for info in members.values())
    _check_ratio("(all members)", declared, packed, zip_name, limits)
    _check_layout(archive, infos, zip_name)
    return members


def _check_name(name: str, zip_name: str) -> None:
    parts = re.split(r"[\\/]", name)
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        raise UnsafeZip(f"{zip_name}: member {name!r} has an absolute path")
    if ".." in parts:
        raise UnsafeZip(f"{zip_name}: member {name!r} climbs out of the archive with '..'")
    if "\x00" in name or "\\" in name:
        raise UnsafeZip(f"{zip_name}: member {name!r} has a NUL or backslash in its name")


def _check_kind(info: zipfile.ZipInfo, zip_name: str) -> None:
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise UnsafeZip(f"{zip_name}: member {info.filename!r} is a symbolic link")
    if info.flag_bits & 0x1:
        raise UnsafeZip(f"{zip_name}: member {info.filename!r} is encrypted")
    if info.compress_type not in _READABLE_METHODS:
        raise UnsafeZip(
            f"{zip_name}: member {info.filename!r} uses compression method "
            f"{info.compress_type}, which is not supported (use deflate)"
        )


def _check_ratio(name: str, size: int, packed: int, zip_name: str, limits: ZipLimits) -> None:
    if size and size > max(packed, 1) * limits.max_ratio:
        raise UnsafeZip(
            f"{zip_name}: member {name!r} declares {size} bytes from {packed} compressed, "
            f"a ratio over the limit of {limits.max_ratio:g}"
        )


def _check_layout(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], zip_name: str) -> None:
    """Refuse members whose local data overlap another's or run into the central directory:
    the non-recursive zip bomb points many entries at one compressed stream."""
    directory_start = getattr(archive, "start_dir", None)
    spans = sorted((_local_span(archive, info, zip_name), info.filename) for info in infos)
    previous_end, previous_name = 0, ""
    for (start, end), name in spans:
        if start < previous_end:
            raise UnsafeZip(
                f"{zip_name}: member {name!r} overlaps member {previous_name!r} "
                "(overlapping entries are a zip bomb technique)"
            )
        if directory_start is not None and end > directory_start:
            raise UnsafeZip(
                f"{zip_name}: member {name!r} claims data beyond the end of the archive's "
                "member area"
            )
        previous_end, previous_name = end, name


def _local_span(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, zip_name: str
) -> tuple[int, int]:
    handle = archive.fp
    assert handle is not None
    handle.seek(info.header_offset)
    header = handle.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size or header[:4] != _LOCAL_SIGNATURE:
        raise UnsafeZip(f"{zip_name}: member {info.filename!r} has no valid local header")
    fields = _LOCAL_HEADER.unpack(header)
    name_length, extra_length = fields[9], fields[10]
    data_start = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
    return info.header_offset, data_start + info.compress_size


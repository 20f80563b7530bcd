"""Hostile zip packages end the run before any record, naming the member and the reason; the
store stays as it was. Each archive is built here, from the good fixture plus one trick."""

from __future__ import annotations

import stat
import struct
import zipfile
from pathlib import Path

import pytest

from adapters.oneroster_csv.fixtures import fixture_path
from tests.badinput.conftest import District, problems, sync_oneroster


def good_members() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(fixture_path("v1p2_bulk").glob("*.csv"))}


def write_zip(path: Path, extra: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in good_members().items():
            out.writestr(name, data)
        for info, data in extra:
            out.writestr(info, data)
    return path


def assert_refused(district: District, archive: Path, *fragments: str, **options: object,
                   ) -> None:
    report = sync_oneroster(district.engine, archive, **options)
    [fatal] = problems(report)
    assert (fatal.level, fatal.file) == ("fatal", archive.name)
    for fragment in fragments:
        assert fragment in fatal.reason
    assert report.state == "failed" and report.rows_read == 0
    assert district.unchanged()


@pytest.mark.parametrize(("member", "why"), [
    ("../users.csv", "climbs out"),
    ("../../etc/cron.d/x.csv", "climbs out"),
    ("/etc/passwd", "absolute path"),
    ("C:/Windows/x.csv", "absolute path"),
])
def test_a_member_path_outside_the_archive_is_refused(
    district: District, member: str, why: str,
) -> None:
    archive = write_zip(district.work / "escape.zip", [(member, b"sourcedId\n")])
    assert_refused(district, archive, repr(member), why)


def test_a_symbolic_link_member_is_refused(district: District) -> None:
    link = zipfile.ZipInfo("link.csv")
    link.create_system = 3  # Unix, so the mode bits in external_attr count
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = write_zip(district.work / "link.zip", [(link, b"/etc/passwd")])
    assert_refused(district, archive, "'link.csv'", "symbolic link")


def test_a_member_expanding_more_than_a_hundred_fold_is_refused(district: District) -> None:
    bomb = good_members()["users.csv"].splitlines(keepends=True)
    padding = b"\n" * 5_000_000  # blank lines: valid CSV, compresses about a thousand-fold
    archive = district.work / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in good_members().items():
            out.writestr(name, b"".join(bomb) + padding if name == "users.csv" else data)
    assert_refused(district, archive, "'users.csv'", "ratio over the limit of 100")


def test_too_many_members_are_refused(district: District) -> None:
    extra = [(f"notes/n{n}.txt", b"x") for n in range(100)]
    archive = write_zip(district.work / "many.zip", extra)
    assert_refused(district, archive, "members, more than the limit of 100")


def test_overlapping_members_are_refused(district: District) -> None:
    archive = write_zip(district.work / "overlap.zip", [])
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as opened:
        infos = {info.filename: info for info in opened.infolist()}
        position = opened.start_dir
    # Point the central entry of users.csv at the local data of orgs.csv.
    while data[position:position + 4] == b"PK\x01\x02":
        name_length, extra, comment = struct.unpack("<HHH", data[position + 28:position + 34])
        name = data[position + 46:position + 46 + name_length].decode()
        if name == "users.csv":
            struct.pack_into("<I", data, position + 42, infos["orgs.csv"].header_offset)
        position += 46 + name_length + extra + comment
    archive.write_bytes(bytes(data))
    assert_refused(district, archive, "overlaps", "zip bomb")


def test_a_file_that_is_not_a_zip_is_refused(district: District) -> None:
    archive = district.work / "export.zip"
    archive.write_bytes(b"sourcedId,status\n" * 10)
    assert_refused(district, archive, "not a readable zip")

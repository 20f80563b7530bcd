"""SafeZip refuses hostile archives before reading them, and counts what it inflates while it
reads: every refusal below uses an archive built (or hand-damaged) in the test."""

from __future__ import annotations

import stat
import struct
import zipfile
from pathlib import Path

import pytest

from adapters.safe_zip import SafeZip, UnsafeZip, ZipLimits, root_folder

CSV = b"sourcedId,name\n" + b"".join(b"id-%d,Name %d\n" % (n, n) for n in range(200))


def make_zip(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as out:
        for name, data in members.items():
            out.writestr(name, data)
    return path


def central_entries(path: Path) -> list[int]:
    """Byte offsets of the central directory entries, in order."""
    data = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        position = archive.start_dir
    offsets = []
    while data[position:position + 4] == b"PK\x01\x02":
        offsets.append(position)
        name, extra, comment = struct.unpack("<HHH", data[position + 28:position + 34])
        position += 46 + name + extra + comment
    return offsets


def patch(path: Path, at: int, fmt: str, value: int) -> None:
    data = bytearray(path.read_bytes())
    struct.pack_into(fmt, data, at, value)
    path.write_bytes(bytes(data))


def refusal(path: Path, limits: ZipLimits | None = None) -> str:
    with pytest.raises(UnsafeZip) as caught:
        SafeZip(path, limits)
    return str(caught.value)


def test_members_are_read_as_numbered_text_lines(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "ok.zip", {"folder/": b"", "users.csv": CSV})
    with SafeZip(archive) as safe:
        assert safe.names() == ["users.csv"]
        lines = safe.open_text("users.csv")
        assert next(lines) == "sourcedId,name\n"
        assert sum(1 for _ in lines) == 200 and lines.line == 201


def test_stored_members_are_read_too(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "ok.zip", {"users.csv": CSV}, zipfile.ZIP_STORED)
    with SafeZip(archive) as safe:
        assert safe.open("users.csv").read() == CSV


@pytest.mark.parametrize("name", ["../../evil.csv", "users.csv/../../x.csv", "..\\x.csv",
                                  "/etc/passwd", "C:/x.csv", "C:\\x.csv"])
def test_names_that_escape_the_archive_are_refused(tmp_path: Path, name: str) -> None:
    archive = make_zip(tmp_path / "evil.zip", {"manifest.csv": b"x", name: b"x"})
    message = refusal(archive)
    assert repr(name) in message and "evil.zip" in message


def test_a_symbolic_link_member_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "link.zip"
    link = zipfile.ZipInfo("users.csv")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr(link, "/etc/passwd")
    assert "symbolic link" in refusal(archive)


def test_too_many_members_are_refused(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "many.zip", {f"f{n}.csv": b"x" for n in range(30)})
    assert "30 members" in refusal(archive, ZipLimits(max_members=20))


def test_declared_sizes_over_the_total_limit_are_refused_before_reading(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "big.zip", {"a.csv": CSV, "b.csv": CSV})
    message = refusal(archive, ZipLimits(max_total_bytes=len(CSV) + 10))
    assert f"{2 * len(CSV)} bytes" in message


def test_a_member_compressed_beyond_the_ratio_limit_is_refused(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "bomb.zip", {"users.csv": b"0" * 2_000_000})
    assert "ratio" in refusal(archive) and "'users.csv'" in refusal(archive)


def test_the_ratio_limit_is_configurable(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "zeros.zip", {"users.csv": b"0" * 2_000_000})
    with SafeZip(archive, ZipLimits(max_ratio=10_000)) as safe:
        assert len(safe.open("users.csv").read()) == 2_000_000


def test_overlapping_entries_are_refused(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "overlap.zip", {"a.csv": CSV, "b.csv": CSV})
    first, second = central_entries(archive)
    patch(archive, second + 42, "<I", 0)  # b.csv now points at a.csv's data
    assert "overlaps" in refusal(archive)


def test_a_member_claiming_data_past_the_member_area_is_refused(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "forged.zip", {"users.csv": CSV})
    [entry] = central_entries(archive)
    patch(archive, entry + 20, "<I", 0xFFFFFFFE)  # forged compressed size
    assert "beyond the end" in refusal(archive)


def test_duplicate_member_names_are_refused(tmp_path: Path) -> None:
    archive = tmp_path / "twice.zip"
    with pytest.warns(UserWarning), zipfile.ZipFile(archive, "w") as out:
        out.writestr("users.csv", CSV)
        out.writestr("users.csv", CSV)
    assert "appears twice" in refusal(archive)


def test_encrypted_members_are_refused(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "secret.zip", {"users.csv": CSV})
    [entry] = central_entries(archive)
    patch(archive, entry + 8, "<H", 0x1)
    assert "encrypted" in refusal(archive)


def test_unsupported_compression_is_refused(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "deflate64.zip", {"users.csv": CSV})
    [entry] = central_entries(archive)
    patch(archive, entry + 10, "<H", 9)
    assert "compression method 9" in refusal(archive)


def test_a_member_that_inflates_past_its_declared_size_is_refused_while_reading(
    tmp_path: Path,
) -> None:
    archive = make_zip(tmp_path / "liar.zip", {"users.csv": CSV})
    [entry] = central_entries(archive)
    patch(archive, entry + 24, "<I", 100)  # central directory: uncompressed size
    patch(archive, 22, "<I", 100)  # local header: uncompressed size
    with SafeZip(archive, ZipLimits(max_ratio=1000)) as safe:
        stream = safe.open("users.csv")
        with pytest.raises(UnsafeZip, match="'users.csv'"):
            stream.read()


def test_inflated_bytes_are_counted_against_the_total_while_streaming(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "twice.zip", {"users.csv": CSV})
    with SafeZip(archive, ZipLimits(max_total_bytes=len(CSV) + 100)) as safe:
        assert safe.open("users.csv").read() == CSV
        with pytest.raises(UnsafeZip, match="inflates past the limit"):
            safe.open("users.csv").read()


def test_a_file_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    text = tmp_path / "users.zip"
    text.write_bytes(CSV)
    assert "not a readable zip" in refusal(text)


def test_members_at_the_root_have_no_enclosing_folder() -> None:
    assert root_folder(["manifest.csv", "users.csv"]) == ""


def test_one_enclosing_folder_is_reported_as_the_root() -> None:
    assert root_folder(["export/manifest.csv", "export/users.csv"]) == "export/"


@pytest.mark.parametrize("names", [
    ["export/2025/users.csv"],
    ["manifest.csv", "export/users.csv"],
    ["a/manifest.csv", "b/users.csv"],
])
def test_nested_or_scattered_folders_are_refused(names: list[str]) -> None:
    with pytest.raises(UnsafeZip, match="root"):
        root_folder(names)


def test_inflated_bytes_are_counted_against_the_overall_ratio_while_streaming(
    tmp_path: Path,
) -> None:
    archive = make_zip(tmp_path / "zeros.zip", {"users.csv": b"0" * 100_000})
    ratio = 100_000 / archive.stat().st_size
    with SafeZip(archive, ZipLimits(max_ratio=ratio * 2.5)) as safe:
        safe.open("users.csv").read()
        safe.open("users.csv").read()
        with pytest.raises(UnsafeZip, match="times its size"):
            safe.open("users.csv").read()

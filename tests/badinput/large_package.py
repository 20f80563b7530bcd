"""A OneRoster 1.2 bulk package of any size, written on the fly in bounded memory.

Sourced ids are GUID-shaped, as many student information systems issue them, so a row is about
the size it is in a real export (~180 bytes an enrollment). Everything an enrollment refers to
(school, term, courses, classes, users) is written too, so every row is valid.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from adapters.oneroster_csv.fixtures import fixture_path

ENROLLMENT_BYTES = 182  # one row below, measured: 4 GUIDs, role, primary, two dates
USERS = 20_000
CLASSES = 2_000
COURSES = 200


KINDS = {"org": 1, "session": 2, "course": 3, "class": 4, "user": 5, "enrollment": 6}


def guid(kind: str, n: int) -> str:
    """A stable GUID-shaped id for the n-th thing of a kind (cheap: a million are needed)."""
    return f"{n:08x}-{KINDS[kind]:04x}-4000-8000-{(n * 2654435761) % (1 << 48):012x}"


def header(name: str) -> str:
    return (fixture_path("v1p2_bulk") / name).read_text().splitlines()[0]


def write_large_package(folder: Path, target_bytes: int) -> int:
    """Write the package; returns the number of enrollment rows (enrollments.csv is at least
    `target_bytes` long)."""
    folder.mkdir(parents=True)
    school, year = guid("org", 0), guid("session", 0)
    files = ["orgs", "academicSessions", "courses", "classes", "users", "enrollments"]
    _write(folder / "manifest.csv", "propertyName,value", lambda put: [
        put("manifest.version,1.0"), put("oneroster.version,1.2"),
        *[put(f"file.{name},bulk") for name in files]])
    _write(folder / "orgs.csv", header("orgs.csv"), lambda put: put(
        f"{school},,,Big High School,school,BHS,"))
    _write(folder / "academicSessions.csv", header("academicSessions.csv"), lambda put: put(
        f"{year},,,2025-2026,schoolYear,2025-08-25,2026-06-12,,2026"))
    _write(folder / "courses.csv", header("courses.csv"), lambda put: [
        put(f"{guid('course', n)},,,{year},Course {n},C{n},09,{school},,")
        for n in range(COURSES)])
    _write(folder / "classes.csv", header("classes.csv"), lambda put: [
        put(f"{guid('class', n)},,,Class {n},09,{guid('course', n % COURSES)},K{n},scheduled,,"
            f"{school},{year},,,1") for n in range(CLASSES)])
    users_header = header("users.csv")
    blanks = "," * (users_header.count(",") - 10)
    _write(folder / "users.csv", users_header, lambda put: [
        put(f"{guid('user', n)},,,true,u{n},,Given{n},Family{n},,ID{n}{blanks}{school},")
        for n in range(USERS)])
    rows = 0

    def enrollments(put: Callable[[str], None]) -> None:
        nonlocal rows
        written = 0
        while written < target_bytes:
            line = (f"{guid('enrollment', rows)},,,{guid('class', rows % CLASSES)},{school},"
                    f"{guid('user', rows % USERS)},student,false,2025-08-25,2026-06-12")
            put(line)
            written += len(line) + 2
            rows += 1

    _write(folder / "enrollments.csv", header("enrollments.csv"), enrollments)
    return rows


def _write(path: Path, first: str, body: Callable[[Callable[[str], None]], object]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(first + "\r\n")
        body(lambda line: handle.write(line + "\r\n"))

"""write_demo: deterministic output, clear refusals of bad arguments."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gateway.demo import FORMATS, write_demo
from gateway.demo.district import outline_district, plan_zones


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.mark.parametrize("format", sorted(FORMATS))
def test_same_students_and_seed_give_byte_identical_files(tmp_path: Path, format: str) -> None:
    first = write_demo(tmp_path / "a", students=400, seed=5, format=format)
    second = write_demo(tmp_path / "b", students=400, seed=5, format=format)

    assert [p.name for p in first.files] == [p.name for p in second.files]
    assert _files(tmp_path / "a") == _files(tmp_path / "b")


def test_a_different_seed_invents_different_people_with_different_ids(
    tmp_path: Path, csv_table: Callable[..., Any]
) -> None:
    write_demo(tmp_path / "a", students=300, seed=1, format="oneroster-csv")
    write_demo(tmp_path / "b", students=300, seed=2, format="oneroster-csv")

    users_a = csv_table(tmp_path / "a" / "users.csv").rows
    users_b = csv_table(tmp_path / "b" / "users.csv").rows

    assert [(u["givenName"], u["familyName"]) for u in users_a] != [
        (u["givenName"], u["familyName"]) for u in users_b
    ]
    assert not {u["sourcedId"] for u in users_a} & {u["sourcedId"] for u in users_b}


def test_summary_counts_match_what_was_written(tmp_path: Path) -> None:
    summary = write_demo(tmp_path, students=500, seed=3, format="vendor-csv")

    def rows(name: str, encoding: str = "utf-8") -> int:
        return len((tmp_path / name).read_text(encoding=encoding).splitlines()) - 1

    assert summary.students == rows("students.csv", "utf-8-sig") == 500
    assert summary.teachers == rows("teachers.csv", "cp1252")
    assert summary.guardians == rows("guardians.csv", "cp1252")
    assert summary.classes == rows("sections.csv")
    assert summary.schools == rows("schools.csv")
    assert summary.academic_sessions == rows("terms.csv") == 7 * summary.schools
    assert summary.student_enrollments + summary.dropped_enrollments == rows("cc.csv")
    assert sorted(p.name for p in summary.files) == sorted(p.name for p in tmp_path.iterdir())


def test_an_unknown_format_is_refused_with_the_known_ones_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"unknown demo format 'edfi-json'.*oneroster-csv"):
        write_demo(tmp_path, students=10, seed=1, format="edfi-json")
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"students": 0, "seed": 1}, "students must be a positive whole number, got 0"),
        ({"students": "ten", "seed": 1}, "students must be a positive whole number"),
        ({"students": 10, "seed": 1.5}, "seed must be a whole number, got 1.5"),
    ],
)
def test_bad_sizes_and_seeds_are_refused(tmp_path: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        write_demo(tmp_path, format="vendor-csv", **kwargs)


def test_an_unsupported_oneroster_version_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unsupported OneRoster version '1.0'"):
        write_demo(
            tmp_path, students=10, seed=1, format="oneroster-csv", oneroster_version="1.0"
        )


@pytest.mark.parametrize(("students", "schools"), [(300, 3), (2000, 4), (20000, 40)])
def test_schools_scale_with_students_and_every_level_exists(students: int, schools: int) -> None:
    zones = list(plan_zones(outline_district(students, 1), 1))
    levels = {school.level for zone in zones for school in zone.schools}
    assert sum(len(zone.schools) for zone in zones) == schools
    assert levels == {"elementary", "middle", "high"}
    teachers = sum(len(zone.teachers) for zone in zones)
    if students >= 2000:
        assert 15 <= students / teachers <= 25  # about one teacher per 20 students

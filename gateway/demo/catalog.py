"""What each kind of school teaches, grade by grade.

Each grade has a fixed list of courses: six required ones and one or two electives that only
some students take, which gives every student six to eight classes. The timetable places a
grade's courses in distinct periods (see `district.py`), so a student's classes never clash.
Some courses are listed for several grades (Physical Education 9-10, Band 6-8), as real course
catalogs do. SCED codes are the US course classification a state report would carry.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.demo.model import Level


@dataclass(frozen=True, slots=True)
class CourseSpec:
    code: str
    title: str
    grades: tuple[int, ...]
    subject: str
    sced_code: str
    elective: bool = False
    semester_long: bool = False


ELECTIVE_TAKE_RATE = 0.6
LEVEL_GRADES: dict[Level, tuple[int, ...]] = {
    "elementary": tuple(range(0, 6)),
    "middle": (6, 7, 8),
    "high": (9, 10, 11, 12),
}

_ARTS = "Fine and Performing Arts"
_HEALTH = "Physical, Health, and Safety Education"


def _grade_label(grade: int) -> str:
    return "Kindergarten" if grade == 0 else f"Grade {grade}"


def _elementary_grade(grade: int) -> tuple[CourseSpec, ...]:
    suffix = "K" if grade == 0 else f"{grade:02d}"
    label = _grade_label(grade)
    return (
        CourseSpec(f"RLA{suffix}", f"{label} Reading & Language Arts", (grade,),
                   "English Language Arts", "51028"),
        CourseSpec(f"MTH{suffix}", f"{label} Mathematics", (grade,), "Mathematics", "52038"),
        CourseSpec(f"SCI{suffix}", f"{label} Science", (grade,), "Science", "53238"),
        CourseSpec(f"SST{suffix}", f"{label} Social Studies", (grade,), "Social Studies", "54438"),
        CourseSpec(f"ART{suffix}", f"{label} Art", (grade,), _ARTS, "55160"),
        CourseSpec(f"PE{suffix}", f"{label} Physical Education", (grade,), _HEALTH, "58038"),
        CourseSpec(f"MUS{suffix}", f"{label} Music", (grade,), _ARTS, "55110", elective=True),
    )


_MIDDLE_SHARED = {
    "spanish_a": CourseSpec("MSPA", "Spanish A", (6, 7), "World Languages", "56101"),
    "spanish_b": CourseSpec("MSPB", "Spanish B", (8,), "World Languages", "56102"),
    "band": CourseSpec("MBND", "Band", (6, 7, 8), _ARTS, "55102", elective=True),
    "art": CourseSpec("MART", "Studio Art", (6, 7, 8), _ARTS, "55154", True, True),
}


def _middle_grade(grade: int) -> tuple[CourseSpec, ...]:
    titles = {
        6: ("ELA 6", "Math 6", "Earth Science", "World Cultures"),
        7: ("ELA 7", "Math 7", "Life Science", "World Geography"),
        8: ("ELA 8", "Pre-Algebra", "Physical Science", "U.S. History to 1877"),
    }[grade]
    core = (
        ("ELA", "English Language Arts", "51038"),
        ("MTH", "Mathematics", "52068"),
        ("SCI", "Life and Physical Sciences", "53238"),
        ("SST", "Social Sciences and History", "54448"),
    )
    courses = [
        CourseSpec(f"M{code}{grade}", title, (grade,), subject, sced)
        for title, (code, subject, sced) in zip(titles, core, strict=True)
    ]
    courses.append(CourseSpec(f"MPE{grade}", f"PE {grade}", (grade,), _HEALTH, "58038"))
    courses.append(_MIDDLE_SHARED["spanish_b" if grade == 8 else "spanish_a"])
    courses += [_MIDDLE_SHARED["band"], _MIDDLE_SHARED["art"]]
    return tuple(courses)


_HIGH_SHARED = {
    "pe": CourseSpec("HPE", "Physical Education", (9, 10), _HEALTH, "08001"),
    "health": CourseSpec("HHLT", "Health", (11, 12), _HEALTH, "08051"),
    "art": CourseSpec("HART", "Art I", (9, 10, 11, 12), _ARTS, "05154", elective=True),
    "cs": CourseSpec("HCSP", "Computer Science Principles", (9, 10, 11, 12),
                     "Computer and Information Sciences", "10019", True, True),
}


def _high_grade(grade: int) -> tuple[CourseSpec, ...]:
    rows = {
        9: (("English 9", "01001"), ("Algebra I", "02052"), ("Biology", "03051"),
            ("World History", "04051"), ("Spanish I", "06101")),
        10: (("English 10", "01002"), ("Geometry", "02072"), ("Chemistry", "03101"),
             ("World Geography", "04001"), ("Spanish II", "06102")),
        11: (("English 11", "01003"), ("Algebra II", "02056"), ("Physics", "03151"),
             ("U.S. History", "04101"), ("Spanish III", "06103")),
        12: (("English 12", "01004"), ("Precalculus", "02110"),
             ("Environmental Science", "03003"), ("Government", "04151"),
             ("Spanish IV", "06104")),
    }[grade]
    subjects = (
        ("ENG", "English Language and Literature"),
        ("MTH", "Mathematics"),
        ("SCI", "Life and Physical Sciences"),
        ("SST", "Social Sciences and History"),
        ("WL", "World Languages"),
    )
    courses = [
        CourseSpec(f"H{code}{grade}", title, (grade,), subject, sced)
        for (title, sced), (code, subject) in zip(rows, subjects, strict=True)
    ]
    courses.append(_HIGH_SHARED["pe" if grade <= 10 else "health"])
    courses += [_HIGH_SHARED["art"], _HIGH_SHARED["cs"]]
    return tuple(courses)


GRADE_COURSES: dict[int, tuple[CourseSpec, ...]] = {
    **{grade: _elementary_grade(grade) for grade in LEVEL_GRADES["elementary"]},
    **{grade: _middle_grade(grade) for grade in LEVEL_GRADES["middle"]},
    **{grade: _high_grade(grade) for grade in LEVEL_GRADES["high"]},
}


def level_courses(level: Level) -> tuple[CourseSpec, ...]:
    """The distinct courses of a level, in catalog order (shared courses listed once)."""
    seen: dict[str, CourseSpec] = {}
    for grade in LEVEL_GRADES[level]:
        for spec in GRADE_COURSES[grade]:
            seen.setdefault(spec.code, spec)
    return tuple(seen.values())


def level_of_grade(grade: int) -> Level:
    return _LEVEL_OF_GRADE[grade]


_LEVEL_OF_GRADE: dict[int, Level] = {
    grade: level for level, grades in LEVEL_GRADES.items() for grade in grades
}

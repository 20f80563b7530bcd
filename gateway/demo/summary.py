"""What a demo run produced: counts per entity and the files written."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gateway.demo.model import Family, Zone


@dataclass(slots=True)
class DemoSummary:
    """Counts of the generated district; the same whatever the output format.

    `student_enrollments` counts current class memberships; `dropped_enrollments` counts the
    SIS history rows (negative section ids) that only the vendor export carries.
    """

    format: str
    schools: int = 0
    academic_sessions: int = 0
    courses: int = 0
    classes: int = 0
    teachers: int = 0
    students: int = 0
    guardians: int = 0
    student_enrollments: int = 0
    teacher_enrollments: int = 0
    dropped_enrollments: int = 0
    transferred_students: int = 0
    line_items: int = 0
    categories: int = 0
    files: list[Path] = field(default_factory=list)

    @property
    def enrollments(self) -> int:
        return self.student_enrollments + self.teacher_enrollments

    def count_zone(self, zone: Zone) -> None:
        self.schools += len(zone.schools)
        self.academic_sessions += len(zone.sessions)
        self.courses += len(zone.courses)
        self.classes += len(zone.sections)
        self.teachers += len(zone.teachers)
        self.teacher_enrollments += len(zone.sections)
        self.line_items += sum(len(section.line_items) for section in zone.sections)

    def count_family(self, family: Family) -> None:
        self.guardians += len(family.guardians)
        for child in family.children:
            self.students += 1
            self.student_enrollments += len(child.enrollments)
            self.dropped_enrollments += len(child.dropped)
            self.transferred_students += not child.active

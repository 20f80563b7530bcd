"""A mistake in a mapping file, located where district IT can fix it.

Every check (YAML syntax, JSON Schema, meaning) reports through this one type so that `check()`
and `read()` can show all of them the same way: file, line, column, where in the document, why.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MappingProblem:
    file: str
    line: int | None
    column: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        inside = f" {self.path}:" if self.path else ""
        return f"{where}:{inside} {self.message}"


class MappingError(Exception):
    """The mapping cannot be used; `problems` lists every mistake found, in document order."""

    def __init__(self, problems: list[MappingProblem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.line or 0, p.column or 0))
        super().__init__("\n".join(str(p) for p in self.problems))

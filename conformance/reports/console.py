"""Plain-text progress lines and the closing summary table."""

from __future__ import annotations

from ..outcome import Result
from .summary import LEVELS, STATUSES, tally, verdict

MARKS = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}


def progress_line(result: Result) -> str:
    line = f"{MARKS[result.status]} {result.case.level:<6} {result.case.id}  {result.case.title}"
    if result.message:
        line += f"\n      {result.message}"
    return line


def summary(results: list[Result], target: str) -> str:
    counts = tally(results)
    lines = [f"\nConformance summary for {target}", f"{'level':<8}" + "".join(
        f"{s:>9}" for s in STATUSES)]
    for level in LEVELS:
        lines.append(f"{level:<8}" + "".join(f"{counts[level][s]:>9}" for s in STATUSES))
    lines.append(verdict(results))
    return "\n".join(lines)

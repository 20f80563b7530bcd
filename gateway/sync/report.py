"""What a run tells district IT: per-family counts, every rejected row, dropped columns.

The same report is printed by the CLI, stored with the run, and written as JSON and CSV files so
that a district can hand the rejected rows back to whoever produced the export.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from adapters.records import DroppedColumn, Issue
from gateway.safe_text import csv_rows

MAX_KEPT_ISSUES = 10_000
MAX_FATAL_ISSUES = 20  # a refused source names this many of its fatal problems, then stops
ISSUE_COLUMNS = ("level", "family", "file", "line", "sourced_id", "field", "value", "reason")


@dataclass
class FamilyCounts:
    read: int = 0
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    errors: int = 0


@dataclass
class RunReport:
    source: str
    adapter: str
    run_id: int | None = None
    state: str = "running"
    message: str = ""
    change_version: int | None = None
    seconds: float = 0.0
    modes: dict[str, str] = field(default_factory=dict)
    counts: dict[str, FamilyCounts] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    issue_totals: Counter = field(default_factory=Counter)
    dropped: list[DroppedColumn] = field(default_factory=list)
    samples: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    # Families whose source content equals the last clean run's: not parsed, nothing to do.
    skipped: list[str] = field(default_factory=list)
    fingerprints: dict[str, str] = field(default_factory=dict)
    family_versions: dict[str, int] = field(default_factory=dict)
    # Rows an adapter rejected before their sourcedId was known, by family (None: the adapter
    # could not say which family either). Their stored records must not be tombstoned.
    unidentified: Counter = field(default_factory=Counter)
    # Sources that are not files (REST APIs): the bookmark each stream ends at, the streams
    # whose bookmark stays (a rejected row), and the source's own totals (requests, pages...).
    bookmarks: dict[str, str] = field(default_factory=dict)
    bookmarks_held: list[str] = field(default_factory=list)
    source_stats: dict[str, float] = field(default_factory=dict)
    # (family, file, line) of the rows an adapter rejected: one row with several problems
    # (strict mode reports each) is one rejected row
    _adapter_rejects: set[tuple] = field(default_factory=set, repr=False)

    # -- collecting --------------------------------------------------------------------------
    def family(self, name: str) -> FamilyCounts:
        return self.counts.setdefault(name, FamilyCounts())

    def add_issue(self, issue: Issue) -> None:
        self.issue_totals[issue.level] += 1
        if len(self.issues) < MAX_KEPT_ISSUES:
            self.issues.append(issue)

    def first_error_of_its_row(self, issue: Issue) -> bool:
        """Whether an adapter's error is the first one about its row (an error without a line
        cannot be matched to others: it is a row of its own)."""
        if issue.line is None:
            return True
        row = (issue.family, issue.file, issue.line)
        if row in self._adapter_rejects:
            return False
        self._adapter_rejects.add(row)
        return True

    @property
    def rows_read(self) -> int:
        return sum(c.read for c in self.counts.values()) + self.unidentified[None]

    @property
    def rows_rejected(self) -> int:
        return sum(c.errors for c in self.counts.values()) + self.unidentified[None]

    @property
    def changed(self) -> bool:
        return any(c.inserted or c.updated or c.deleted for c in self.counts.values())

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds else 0.0

    # -- output ------------------------------------------------------------------------------
    def stats(self) -> dict:
        """The JSON kept with the run in the store."""
        return {
            "modes": self.modes,
            "counts": {k: asdict(v) for k, v in self.counts.items()},
            "issue_totals": dict(self.issue_totals),
            "issues_kept": len(self.issues),
            "dropped_columns": [asdict(d) for d in self.dropped],
            "seconds": round(self.seconds, 3),
            "rows_read": self.rows_read,
            "samples": self.samples,
            "skipped": self.skipped,
            "fingerprints": self.fingerprints,
            "family_versions": self.family_versions,
            "bookmarks": self.bookmarks,
            "source_stats": self.source_stats,
        }

    def as_json(self) -> dict:
        return {
            "run_id": self.run_id, "source": self.source, "adapter": self.adapter,
            "state": self.state, "message": self.message,
            "change_version": self.change_version, **self.stats(),
            "issues": [issue_row(i) for i in self.issues],
        }

    def write_files(self, directory: Path) -> tuple[Path, Path]:
        directory.mkdir(parents=True, exist_ok=True)
        stem = directory / f"run-{self.run_id}"
        json_path, csv_path = stem.with_suffix(".json"), stem.with_suffix(".csv")
        json_path.write_text(json.dumps(self.as_json(), indent=2, ensure_ascii=False), "utf-8")
        write_issues_csv(csv_path, (issue_row(i) for i in self.issues))
        return json_path, csv_path


def issue_row(issue: Issue) -> dict:
    return {k: getattr(issue, k) for k in ISSUE_COLUMNS}


def write_issues_csv(path: Path, rows) -> None:  # noqa: ANN001
    """The rejected rows as CSV for a spreadsheet: values are source data, so a cell that
    would start a formula is neutralised (`gateway.safe_text.csv_cell`)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=ISSUE_COLUMNS)
        writer.writeheader()
        writer.writerows(csv_rows(rows))

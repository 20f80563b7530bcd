"""Matching a file's header row to the binding's columns.

Strict mode is the binding: every column, exact case, exact order, extension columns
(`metadata.*`) only to the right. Lenient mode maps by name instead, repairs case and small typos
when the guess is unambiguous, and says what it did. Either way a missing required column is
fatal: reading on would make every row look blank, and a bulk file of blank rows is a wipe.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from adapters.csv_text import closest_name, delimiter_hint
from adapters.oneroster_csv.layouts import DATE_LAST_MODIFIED, STATUS, Column, Layout
from adapters.records import DroppedColumn, Issue

_EXTENSION = "metadata."
_EXTENSION_REASON = "extension column (metadata.*): not part of the canonical model"


@dataclass(slots=True)
class HeaderPlan:
    """Where each column sits in a row, and what the header taught us."""

    layout: Layout
    width: int  # cells in the header, trailing empty ones included
    named_width: int  # cells up to the last named one
    positions: list[tuple[int, Column]] = field(default_factory=list)
    dropped: list[DroppedColumn] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    @property
    def fatal(self) -> bool:
        return any(issue.level == "fatal" for issue in self.issues)

    @property
    def mapped(self) -> set[str]:
        return {column.name for _, column in self.positions}


def plan_header(
    cells: list[str], variants: tuple[Layout, ...], *, file: str, strict: bool, delta: bool
) -> HeaderPlan:
    """The plan of the variant that fits the header best (fewest fatal problems)."""
    plans = [
        (_strict if strict else _lenient)(cells, layout, file, delta) for layout in variants
    ]
    best = min(plans, key=_badness)
    hint = delimiter_hint(cells)
    if hint and best.fatal:
        best.issues = [_fatal(file, (
            f"the header is a single column containing a {hint}: this file looks "
            f"{hint}-delimited; OneRoster CSV files are comma-delimited"), None, cells[0])]
    return best


def _badness(plan: HeaderPlan) -> tuple[int, int]:
    return (
        sum(issue.level == "fatal" for issue in plan.issues),
        sum(issue.level == "warning" for issue in plan.issues) + len(plan.dropped),
    )


def _strict(cells: list[str], layout: Layout, file: str, delta: bool) -> HeaderPlan:
    names = layout.names
    plan = HeaderPlan(layout, len(cells), len(cells))
    fits = len(cells) >= len(names)
    for index, name in enumerate(cells):
        if index < len(names) and name == names[index]:
            _place(plan, index, layout.columns[index], file)
        elif index >= len(names) and name.startswith(_EXTENSION):
            plan.dropped.append(DroppedColumn(file, name, _EXTENSION_REASON))
        else:
            fits = False
    if fits:
        return plan
    plan.positions.clear()
    plan.dropped.clear()
    plan.issues = _strict_problems(cells, layout, file)
    return plan


def _strict_problems(cells: list[str], layout: Layout, file: str) -> list[Issue]:
    names = layout.names
    problems = [
        _fatal(file, f"required column {name!r} is missing" if column.required else
               f"column {name!r} is missing (strict mode: every column of the binding, "
               "in order)", name, None)
        for name, column in zip(names, layout.columns, strict=True) if name not in cells
    ]
    problems += [
        _fatal(file, f"unknown column {name!r} (not in the OneRoster {layout.version} "
               f"{layout.file}; extension columns must be named metadata.* and come last)",
               name or None, name)
        for name in cells if name not in names and not name.startswith(_EXTENSION)
    ]
    problems += [
        _fatal(file, f"column {name!r} appears more than once", name, name)
        for name in sorted({n for n in cells if cells.count(n) > 1})
    ]
    if not problems:
        for index, name in enumerate(cells):
            expected = names[index] if index < len(names) else "metadata.* extension columns"
            if name != expected:
                problems.append(_fatal(file, (
                    f"column {index + 1} is {name!r} but the binding puts {expected!r} there: "
                    "columns must be in the binding's order"), name, name))
                break
    return problems


def _lenient(cells: list[str], layout: Layout, file: str, delta: bool) -> HeaderPlan:
    named_width = len(cells)
    while named_width and not cells[named_width - 1].strip():
        named_width -= 1
    plan = HeaderPlan(layout, len(cells), named_width)
    if named_width < len(cells):
        plan.issues.append(_warning(
            file, "trailing commas: empty column(s) after the last header were ignored"))
    wanted = {column.name: column for column in layout.columns}
    unplaced = _place_exact(plan, cells[:named_width], wanted, file)
    unplaced = _place_guessed(plan, unplaced, wanted, file)
    for index, name in unplaced:
        label = name or f"(column {index + 1}, no name)"
        plan.dropped.append(DroppedColumn(
            file, label, f"not a column of the OneRoster {layout.version} {layout.file}"))
        plan.issues.append(_warning(
            file, f"unknown column {label!r} was dropped", name or None, name))
    _check_missing(plan, wanted, file, delta)
    _check_order(plan, file)
    return plan


def _place_exact(
    plan: HeaderPlan, cells: list[str], wanted: dict[str, Column], file: str
) -> list[tuple[int, str]]:
    unplaced = []
    for index, name in enumerate(cells):
        if name in wanted and name not in plan.mapped:
            _place(plan, index, wanted[name], file)
        elif name in wanted:
            plan.issues.append(_fatal(file, f"column {name!r} appears more than once", name,
                                      name))
        elif name.startswith(_EXTENSION):
            plan.dropped.append(DroppedColumn(file, name, _EXTENSION_REASON))
        else:
            unplaced.append((index, name))
    return unplaced


def _place_guessed(
    plan: HeaderPlan, unplaced: list[tuple[int, str]], wanted: dict[str, Column], file: str
) -> list[tuple[int, str]]:
    left = []
    for index, name in unplaced:
        free = [n for n in wanted if n not in plan.mapped]
        guess = closest_name(name.strip(), free, 1 if len(name) <= 6 else 2) if name else None
        if guess is None:
            left.append((index, name))
            continue
        _place(plan, index, wanted[guess], file)
        plan.issues.append(_warning(
            file, f"header {name!r} was read as {guess!r}", guess, name))
    return left


def _check_missing(
    plan: HeaderPlan, wanted: dict[str, Column], file: str, delta: bool
) -> None:
    absent = [column for name, column in wanted.items() if name not in plan.mapped]
    for column in absent:
        if column.required or (delta and column.name in (STATUS, DATE_LAST_MODIFIED)):
            why = " (a delta file must give every row's status and dateLastModified)" if (
                column.name in (STATUS, DATE_LAST_MODIFIED)) else ""
            plan.issues.append(_fatal(
                file, f"required column {column.name!r} is missing{why}", column.name, None))
    optional = [c.name for c in absent if not c.required and c.field is not None]
    if optional and not plan.fatal:
        plan.issues.append(_warning(
            file, f"column(s) {', '.join(optional)} absent; their values are taken as blank"))


def _check_order(plan: HeaderPlan, file: str) -> None:
    order = {column.name: rank for rank, column in enumerate(plan.layout.columns)}
    ranks = [order[column.name] for _, column in sorted(plan.positions)]
    if ranks != sorted(ranks):
        plan.issues.append(_warning(
            file, "columns are not in the binding's order; they were matched by name"))


def _place(plan: HeaderPlan, index: int, column: Column, file: str) -> None:
    plan.positions.append((index, column))
    if column.field is None:
        plan.dropped.append(DroppedColumn(file, column.name, column.reason or "not stored"))


def _fatal(file: str, reason: str, column: str | None, value: str | None) -> Issue:
    return Issue("fatal", reason, file=file, line=1, field=column, value=value)


def _warning(
    file: str, reason: str, column: str | None = None, value: str | None = None
) -> Issue:
    return Issue("warning", reason, file=file, line=1, field=column, value=value)

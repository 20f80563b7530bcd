"""Each hardening family's figures (tried / safe), printed at the end of the run.

A test calls `record(request, family, tried, safe)`; the figures travel on the test's report
(user_properties, which pytest-xdist carries back from its workers), and this plugin (loaded
with `-p tests.hardening.figures`, see pyproject) adds them up per family and prints one line
each in the terminal summary, so a regression shows as a number, not only as a red test.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

KEY = "hardening-figures"
_totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])


def record(request: pytest.FixtureRequest, family: str, tried: int, safe: int) -> None:
    request.node.user_properties.append((KEY, (family, tried, safe)))
    print(f"[hardening] {family}: {safe}/{tried} safe")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call":
        return
    for name, value in report.user_properties:
        if name == KEY:
            family, tried, safe = value
            _totals[family][0] += tried
            _totals[family][1] += safe


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001
    if not _totals:
        return
    terminalreporter.section("hardening figures (tried / safe)")
    for family in sorted(_totals):
        tried, safe = _totals[family]
        terminalreporter.write_line(f"{family}: tried {tried}, safe {safe}"
                                    + ("" if tried == safe else f"  <-- {tried - safe} UNSAFE"))

"""Counting results by level, shared by every report format."""

from __future__ import annotations

from collections import Counter

from ..outcome import FAILED, PASSED, SKIPPED, Result

LEVELS = ("MUST", "SHOULD", "MAY")
STATUSES = (PASSED, FAILED, SKIPPED)


def tally(results: list[Result]) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = {level: Counter() for level in LEVELS}
    for result in results:
        counts[result.case.level][result.status] += 1
    return counts


def verdict(results: list[Result]) -> str:
    if any(r.failed_must for r in results):
        return "NOT CONFORMANT: a MUST case failed"
    if any(r.status == FAILED for r in results):
        return "CONFORMANT to every MUST case run; some SHOULD/MAY cases failed"
    return "CONFORMANT to every case run"

"""How a case ended, and the two exceptions checks use to say so."""

from __future__ import annotations

from dataclasses import dataclass, field

from .cases import Case

PASSED = "passed"
FAILED = "failed"
SKIPPED = "skipped"


class CheckFailed(Exception):
    """The server broke the requirement; the message says how, with the evidence."""


class CaseSkipped(Exception):
    """The case could not be judged here (no data, no credentials, feature absent)."""


@dataclass
class Result:
    case: Case
    status: str
    message: str = ""
    seconds: float = 0.0
    requests: list[str] = field(default_factory=list)

    @property
    def failed_must(self) -> bool:
        return self.status == FAILED and self.case.level == "MUST"

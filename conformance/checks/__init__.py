"""Named check kinds: the logic a case can ask for by name when plain expectations fall short.

A check kind is a function `(ctx, case, bindings) -> None` that raises CheckFailed or
CaseSkipped. Importing this package registers every kind.
"""

from __future__ import annotations

from collections.abc import Callable

from ..cases import Case
from ..context import RunContext

CheckFunction = Callable[[RunContext, Case, dict[str, str]], None]
REGISTRY: dict[str, CheckFunction] = {}


def check_kind(name: str) -> Callable[[CheckFunction], CheckFunction]:
    def register(function: CheckFunction) -> CheckFunction:
        REGISTRY[name] = function
        return function

    return register


def known_checks() -> frozenset[str]:
    return frozenset(REGISTRY)


from . import (  # noqa: E402,F401
    edfi,
    oauth,
    official_schema,
    oneroster_collections,
    oneroster_privacy,
    oneroster_writes,
)

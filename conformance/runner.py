"""The thin runner: select cases, bind data, run each, and turn every ending into a Result."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from .cases import Case
from .checks import REGISTRY
from .config import REQUIREMENT_HINTS, RunConfig
from .context import RunContext
from .expectations import run_request_case
from .http import TransportError
from .outcome import FAILED, PASSED, SKIPPED, CaseSkipped, CheckFailed, Result


def select(cases: Iterable[Case], version: str | None, only: str | None) -> list[Case]:
    return [c for c in cases if c.applies_to(version) and c.matches(only)]


def run_case(ctx: RunContext, case: Case) -> Result:
    started = time.monotonic()
    first_request = len(ctx.http.log)
    try:
        missing = [r for r in case.requires if not ctx.config.available(r)]
        if missing:
            hints = ", ".join(REQUIREMENT_HINTS.get(m, m) for m in missing)
            raise CaseSkipped(f"needs {hints}")
        if case.suite == "edfi":
            ctx.require_edfi()
        bindings = ctx.discover(case.discover)
        if case.check:
            REGISTRY[case.check](ctx, case, bindings)
        else:
            run_request_case(ctx, case, bindings)
        status, message = PASSED, ""
    except CheckFailed as exc:
        status, message = FAILED, str(exc)
    except CaseSkipped as exc:
        status, message = SKIPPED, str(exc)
    except TransportError as exc:
        status, message = FAILED, f"no answer: {exc}"
    except Exception as exc:  # noqa: BLE001 - a suite bug must not hide the other cases' results
        status, message = FAILED, f"suite error ({type(exc).__name__}): {exc}"
    requests = [reply.describe() for reply in ctx.http.log[first_request:]]
    return Result(case, status, message, time.monotonic() - started, requests)


def run(
    config: RunConfig,
    cases: Iterable[Case],
    *,
    only: str | None = None,
    on_result: Callable[[Result], None] | None = None,
) -> list[Result]:
    ctx = RunContext(config)
    results = []
    for case in select(cases, config.version, only):
        result = run_case(ctx, case)
        results.append(result)
        if on_result:
            on_result(result)
    return results

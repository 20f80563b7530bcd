"""schemathesis against every OpenAPI document the gateway serves (issue 11, section 5): each
operation of OneRoster 1.1, OneRoster 1.2 (rostering, gradebook, resources) and Ed-Fi is called
with generated requests through the real app with a real token for an app granted everything,
on each database. Every response must be no 5xx and
must match the document's schema for its status (the check `response_schema_conformance`).

Only those two checks run. schemathesis's other defaults judge things the issue does not ask
for and the documents do not promise (for instance `status_code_conformance` wants every
status, such as 429 or 503 from the rate limit and the busy store, listed on every operation;
`negative_data_rejection` wants a 4xx for inputs the gateway tolerates on purpose, like an
unknown query parameter or a trailing slash; DESIGN.md: "inputs tolerant").

Bounded: GATEWAY_SCHEMATHESIS_EXAMPLES examples per operation and mode (default 2), a fixed seed
(GATEWAY_SCHEMATHESIS_SEED, default 11), no example database, so CI runs the same cases each time.
Modes: GATEWAY_SCHEMATHESIS_MODES, default `positive` (requests the documents allow);
`positive,negative` adds requests they forbid, which schemathesis takes ~20x longer to draw, so
it is for a deliberate long run, not `make test` (parameter abuse has its own fast tests in
test_parameter_bounds.py and test_properties.py).
Half the examples name ids that exist (read from the collections first), so single reads and
writes are exercised past their 404.
"""

from __future__ import annotations

import itertools
import os
import re
from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.hardening.figures import record

EXAMPLES = int(os.environ.get("GATEWAY_SCHEMATHESIS_EXAMPLES", "2"))
SEED = int(os.environ.get("GATEWAY_SCHEMATHESIS_SEED", "11"))
DOCUMENTS = {
    "oneroster-1.1": "/ims/oneroster/v1p1/openapi.json",
    "oneroster-1.2-rostering": "/ims/oneroster/rostering/v1p2/openapi.json",
    "oneroster-1.2-gradebook": "/ims/oneroster/gradebook/v1p2/openapi.json",
    "oneroster-1.2-resources": "/ims/oneroster/resources/v1p2/openapi.json",
    "edfi": "/metadata/data/v3/resources/swagger.json",
}
MODES = [GenerationMode(mode.strip())
         for mode in os.environ.get("GATEWAY_SCHEMATHESIS_MODES", "positive").split(",")]
CHECKS = [not_a_server_error, response_schema_conformance]
_PARAMETER = re.compile(r"\{[^}]+\}")


def _collection(path: str) -> str:
    """The collection whose members a path's first parameter names: /users/{id}/classes ->
    /users."""
    return path.split("{", 1)[0].rstrip("/")


def _known_ids(schema: Any, headers: dict[str, str]) -> dict[str, list[str]]:
    """Ids that exist, per collection path, read through the API itself."""
    known: dict[str, list[str]] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() != "GET" or _PARAMETER.search(operation.path):
            continue
        case = operation.Case(query={})
        reply = case.call(headers=headers)
        if reply.status_code != 200:
            continue
        body = reply.json()
        items = body if isinstance(body, list) else next(
            (v for v in body.values() if isinstance(v, list)), []) if isinstance(body, dict) \
            else []
        ids = [str(item.get("sourcedId") or item.get("id")) for item in items[:5]
               if isinstance(item, dict) and (item.get("sourcedId") or item.get("id"))]
        if ids:
            known[operation.path] = ids
    return known


def _run_operation(operation: Any, mode: GenerationMode, headers: dict[str, str],
                   known: dict[str, list[str]], statuses: Counter,
                   failures: list[str]) -> int:
    ids = itertools.cycle(known.get(_collection(operation.path)) or [None])
    tried = 0

    @seed(SEED)
    @settings(max_examples=EXAMPLES, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    @given(operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        nonlocal tried
        tried += 1
        existing = next(ids)
        if existing is not None and tried % 2 == 0 and case.path_parameters:
            first = next(iter(case.path_parameters))
            case.path_parameters[first] = existing
        reply = case.call(headers=headers)
        statuses[reply.status_code] += 1
        try:
            case.validate_response(reply, checks=CHECKS, headers=headers)
        except Exception as exc:  # noqa: BLE001 - every failed check is collected and reported
            failures.append(f"{mode} {operation.label} -> {reply.status_code}: "
                            f"{str(exc).strip()[:1500]}")

    try:
        run()
    except Unsatisfiable:  # nothing to negate (an operation without parameters or body)
        pass
    return tried


@pytest.mark.parametrize("document", DOCUMENTS)
def test_no_5xx_and_no_schema_violation_on_any_operation(probe, document: str,
                                                         request: pytest.FixtureRequest) -> None:
    schema = schemathesis.openapi.from_wsgi(DOCUMENTS[document], probe.app)
    known = _known_ids(schema, probe.headers)
    statuses: Counter = Counter()
    failures: list[str] = []
    tried = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in MODES:
            tried += _run_operation(operation, mode, probe.headers, known, statuses, failures)
    record(request, f"schemathesis {document}", tried, tried - len(failures))
    print(f"[hardening] schemathesis {document}: statuses {dict(sorted(statuses.items()))}")
    assert tried > 0
    assert not failures, "\n\n".join(failures[:10])

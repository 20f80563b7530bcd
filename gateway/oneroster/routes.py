"""OneRoster services and their operations, derived from the OpenAPI documents in specs/.

Routing is done here on the raw request path rather than by Flask's router, so that a sourcedId
containing an encoded slash (`a%2Fb`) stays one path segment, and trailing slashes are tolerated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from gateway.documents.oneroster_catalogue import V1P1, V1P2
from gateway.specs import load_json


@dataclass(frozen=True)
class Service:
    prefix: str
    version: str
    name: str  # rostering | gradebook | resources | all (1.1)
    spec: str


SERVICES = (
    Service("/ims/oneroster/v1p1", V1P1, "all", "oneroster/v1p1/openapi.json"),
    Service(
        "/ims/oneroster/rostering/v1p2", V1P2, "rostering", "oneroster/v1p2/rostering.openapi.json"
    ),
    Service(
        "/ims/oneroster/gradebook/v1p2", V1P2, "gradebook", "oneroster/v1p2/gradebook.openapi.json"
    ),
    Service(
        "/ims/oneroster/resources/v1p2", V1P2, "resources", "oneroster/v1p2/resources.openapi.json"
    ),
)


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    operation_id: str
    scopes: frozenset[str]
    pattern: re.Pattern[str]
    params: tuple[str, ...]
    literal_segments: int


def _compile(template: str) -> tuple[re.Pattern[str], tuple[str, ...], int]:
    params: list[str] = []
    parts = []
    literal = 0
    for segment in template.strip("/").split("/"):
        if segment.startswith("{") and segment.endswith("}"):
            params.append(segment[1:-1])
            parts.append("([^/]+)")
        else:
            literal += 1
            parts.append(re.escape(segment))
    return re.compile("^/" + "/".join(parts) + "$"), tuple(params), literal


def operations(service: Service) -> list[Operation]:
    doc = load_json(service.spec)
    found = []
    for template, item in doc["paths"].items():
        for method, op in item.items():
            if method not in ("get", "put", "post", "delete"):
                continue
            scopes = frozenset(s for req in op.get("security", []) for v in req.values() for s in v)
            pattern, params, literal = _compile(template)
            found.append(
                Operation(
                    method.upper(), template, op["operationId"], scopes, pattern, params, literal
                )
            )
    # literal segments win over parameters (/schools/x before /orgs/{id}-like clashes)
    found.sort(key=lambda o: -o.literal_segments)
    return found


def match(
    ops: list[Operation], method: str, raw_path: str
) -> tuple[Operation | None, dict[str, str], tuple[str, ...]]:
    """(operation, decoded params, the methods the path has when `method` is not one of them:
    a 405 must name them in `Allow`)."""
    path = "/" + raw_path.strip("/")
    allowed: list[str] = []
    for op in ops:
        m = op.pattern.match(path)
        if not m:
            continue
        if op.method != method:
            if op.method not in allowed:
                allowed.append(op.method)
            continue
        return op, {k: unquote(v) for k, v in zip(op.params, m.groups(), strict=True)}, ()
    return None, {}, tuple(allowed)

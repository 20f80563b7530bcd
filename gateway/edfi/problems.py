"""Ed-Fi error bodies: RFC 9457 problem details with the `urn:ed-fi:api:*` types, a
correlationId a district can find in its logs, and `validationErrors` keyed by JSON path."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

TITLES = {
    "bad-request": "Bad Request",
    "bad-request:data-validation-failed": "Data Validation Failed",
    "not-found": "Resource Not Found",
    "security:authentication": "Authentication Failed",
    "security:authorization": "Authorization Denied",
    "security:data-policy:incorrect-usage": "Data Policy Failure Due to Incorrect Usage",
    "optimistic-lock-failed": "Optimistic Lock Failed",
    "data-conflict:unresolved-reference": "Unresolved Reference",
    "conflict:write-conflict": "Write Conflict",
    "data-conflict:non-unique-identity": "Identifying Values Are Not Unique",
    "bad-request:data-validation-failed:key-change-not-supported": "Key Change Not Supported",
    "method-not-allowed": "Method Not Allowed",
    "payload-too-large": "Payload Too Large",
    "not-acceptable": "Not Acceptable",
    "service-unavailable": "Service Unavailable",
}
STATUS = {
    "bad-request": 400, "bad-request:data-validation-failed": 400, "not-found": 404,
    "security:authentication": 401, "security:authorization": 403,
    "security:data-policy:incorrect-usage": 403, "optimistic-lock-failed": 412,
    "data-conflict:unresolved-reference": 409, "conflict:write-conflict": 409,
    "data-conflict:non-unique-identity": 409,
    "bad-request:data-validation-failed:key-change-not-supported": 400,
    "method-not-allowed": 405, "payload-too-large": 413, "not-acceptable": 406,
    "service-unavailable": 503,
}


class EdFiProblem(Exception):
    """Raised anywhere under the Ed-Fi blueprint; turned into one problem-details response."""

    def __init__(self, kind: str, detail: str, *, errors: dict[str, list[str]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.errors = errors or {}
        self.headers = headers or {}

    @property
    def status(self) -> int:
        return STATUS[self.kind]


def invalid(path: str, message: str) -> EdFiProblem:
    """One validation error at one JSON path."""
    return EdFiProblem("bad-request:data-validation-failed",
                       "Data validation failed. See 'validationErrors' for details.",
                       errors={path: [message]})


def busy(retry_after: int, detail: str) -> EdFiProblem:
    """The store's write lock stayed held past this write's wait: retry after Retry-After."""
    return EdFiProblem("service-unavailable", f"{detail}; retry after {retry_after} s",
                       headers={"Retry-After": str(retry_after)})


def problem_response(problem: EdFiProblem, correlation_id: str) -> Response:
    body: dict[str, Any] = {
        "detail": problem.detail,
        "type": f"urn:ed-fi:api:{problem.kind}",
        "title": TITLES[problem.kind],
        "status": problem.status,
        "correlationId": correlation_id,
    }
    if problem.errors:
        body["validationErrors"] = problem.errors
    response = jsonify(body)
    response.status_code = problem.status
    response.mimetype = "application/problem+json"
    for name, value in problem.headers.items():
        response.headers[name] = value
    return response

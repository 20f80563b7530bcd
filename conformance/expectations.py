"""The plain vocabulary of expectations: one request, a list of things its answer must show."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .cases import Case
from .context import RunContext
from .http import Reply
from .imsx import failure_problems
from .openapi import OpenApiError
from .outcome import CaseSkipped, CheckFailed

Expectation = Callable[[RunContext, dict[str, Any], Reply, Any], list[str]]


def _status(ctx: RunContext, request: dict[str, Any], reply: Reply, wanted: Any) -> list[str]:
    allowed = wanted if isinstance(wanted, list) else [wanted]
    if reply.status in allowed:
        return []
    return [f"status {reply.status}, expected {' or '.join(map(str, allowed))}"]


def _header(ctx: RunContext, request: dict[str, Any], reply: Reply, name: str) -> list[str]:
    return [] if reply.header(name) is not None else [f"no {name} header"]


def _envelope(ctx: RunContext, request: dict[str, Any], reply: Reply, key: str) -> list[str]:
    if not isinstance(reply.body, dict):
        return [f"the body is not a JSON object ({reply.json_error or type(reply.body).__name__})"]
    keys = sorted(reply.body)
    if keys != [key]:
        return [f"top-level keys are {keys}, expected exactly [{key!r}]"]
    return []


def _schema(ctx: RunContext, request: dict[str, Any], reply: Reply, target: Any) -> list[str]:
    service = request.get("service")
    document = ctx.spec_document(service)
    if document is None:
        raise CaseSkipped(f"no OpenAPI document at {ctx.config.specs_dir}/{ctx.spec_path(service)}")
    try:
        if isinstance(target, str):
            problems = document.validate_against_component(target, reply.body)
        else:
            path = reply.url.split("?", 1)[0]
            problems = document.validate_response(
                request.get("method", "GET"), path, reply.status, reply.body,
                partial="fields" in (request.get("query") or {}),
            )
    except OpenApiError as exc:
        return [str(exc)]
    found = _listed("schema", problems)
    official = ctx.official()
    if official is not None and not isinstance(target, str) and "fields" not in (
            request.get("query") or {}):  # a projection may lawfully omit required fields
        result = official.validate(request.get("method", "GET"), reply.url.split("?", 1)[0],
                                   reply.status, reply.body)
        if result is not None:
            found += _listed(f"official {result[0]}", result[1])
    return found


def _listed(label: str, problems: list[Any]) -> list[str]:
    return [f"{label}: {p}" for p in problems[:5]] + (
        [f"... and {len(problems) - 5} more {label} problems"] if len(problems) > 5 else []
    )


def _imsx_error(ctx: RunContext, request: dict[str, Any], reply: Reply, minor: str) -> list[str]:
    return failure_problems(reply.body, minor)


def _problem_details(
    ctx: RunContext, request: dict[str, Any], reply: Reply, type_prefix: str
) -> list[str]:
    body = reply.body
    if not isinstance(body, dict):
        return ["the body is not an RFC 9457 problem details object"]
    problems = []
    content_type = reply.header("Content-Type") or ""
    if "json" not in content_type:
        problems.append(f"Content-Type is {content_type!r}, not a JSON media type")
    if not str(body.get("type", "")).startswith(type_prefix):
        problems.append(f"type is {body.get('type')!r}, expected a {type_prefix!r} type")
    if body.get("status") not in (None, reply.status):
        problems.append(f"status member {body.get('status')!r} differs from HTTP {reply.status}")
    if not isinstance(body.get("title"), str):
        problems.append("no title")
    return problems


def _json_array(ctx: RunContext, request: dict[str, Any], reply: Reply, _: Any) -> list[str]:
    return [] if isinstance(reply.body, list) else ["the body is not a JSON array"]


def _json_field(ctx: RunContext, request: dict[str, Any], reply: Reply, name: str) -> list[str]:
    if isinstance(reply.body, dict) and name in reply.body:
        return []
    return [f"the body has no {name!r} member"]


def _oauth_error(ctx: RunContext, request: dict[str, Any], reply: Reply, code: str) -> list[str]:
    error = reply.body.get("error") if isinstance(reply.body, dict) else None
    return [] if error == code else [f"error is {error!r}, expected {code!r}"]


EXPECTATIONS: dict[str, Expectation] = {
    "status": _status,
    "header": _header,
    "envelope": _envelope,
    "schema": _schema,
    "imsx_error": _imsx_error,
    "problem_details": _problem_details,
    "json_array": _json_array,
    "json_field": _json_field,
    "oauth_error": _oauth_error,
}


def run_request_case(ctx: RunContext, case: Case, bindings: dict[str, str]) -> None:
    """Send the case's request and hold the answer to every expectation, reporting all misses.

    A wrong status makes the other expectations meaningless, so it stops the list early.
    """
    request = case.request
    reply = ctx.call(
        request["path"],
        service=request.get("service"),
        method=request.get("method", "GET"),
        query=request.get("query"),
        headers=request.get("headers"),
        auth=request.get("auth", "token"),
        body=request.get("body"),
        bindings=bindings,
    )
    problems: list[str] = []
    for expectation in case.expect:
        ((kind, value),) = expectation.items()
        found = EXPECTATIONS[kind](ctx, request, reply, value)
        problems += found
        if kind == "status" and found:
            break
    if problems:
        raise CheckFailed(
            f"{reply.describe()}: " + "; ".join(problems) + f" | body: {reply.excerpt()}"
        )

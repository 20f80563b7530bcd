"""HTTP errors raised outside the API views, under the API prefixes, answer in that API's own
error format.

Werkzeug raises routing misses (404, 405) before any blueprint view runs (e.g. a `%0A` in a
path segment no route matches), and gateway.request_bounds raises 400 (JSON nested too deep)
and 413 (body over the cap) before a view reads the body; without these handlers an app would
get Werkzeug's HTML page.
"""

from __future__ import annotations

import uuid

from flask import Flask, Response, request
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    MethodNotAllowed,
    NotFound,
    RequestEntityTooLarge,
)

from gateway.documents.oneroster_catalogue import V1P1, V1P2
from gateway.edfi.problems import EdFiProblem, problem_response
from gateway.oneroster.errors import error_response
from gateway.request_bounds import MAX_BODY_BYTES

ONEROSTER_PREFIX = "/ims/oneroster/"
EDFI_PREFIX = "/data/v3/"
TOO_LARGE = f"the request body is larger than {MAX_BODY_BYTES} bytes"


def _allow(exc: HTTPException) -> dict[str, str]:
    valid = getattr(exc, "valid_methods", None)
    return {"Allow": ", ".join(valid)} if valid else {}


def _oneroster(exc: HTTPException) -> Response:
    version = V1P1 if request.path.startswith(f"{ONEROSTER_PREFIX}v1p1/") else V1P2
    if isinstance(exc, MethodNotAllowed):
        response = error_response(version, "invalid_data",
                                  f"{request.method} is not allowed here", _allow(exc))
        response.status_code = 405
        return response
    if isinstance(exc, RequestEntityTooLarge):
        return error_response(version, "too_large", TOO_LARGE)
    if isinstance(exc, BadRequest):
        return error_response(version, "invalid_data", str(exc.description))
    return error_response(version, "unknown_object", "no OneRoster endpoint at this path")


def _edfi(exc: HTTPException) -> Response:
    if isinstance(exc, MethodNotAllowed):
        problem = EdFiProblem("method-not-allowed", f"{request.method} is not allowed here",
                              headers=_allow(exc))
    elif isinstance(exc, RequestEntityTooLarge):
        problem = EdFiProblem("payload-too-large", TOO_LARGE)
    elif isinstance(exc, BadRequest):
        problem = EdFiProblem("bad-request", str(exc.description))
    else:
        problem = EdFiProblem("not-found", "no Ed-Fi resource at this path")
    return problem_response(problem, uuid.uuid4().hex)


def _api_error(exc: HTTPException) -> Response | HTTPException:
    if request.path.startswith(ONEROSTER_PREFIX):
        return _oneroster(exc)
    if request.path.startswith(EDFI_PREFIX):
        return _edfi(exc)
    return exc


def init_api_errors(app: Flask) -> None:
    for error in (NotFound, MethodNotAllowed, BadRequest, RequestEntityTooLarge):
        app.register_error_handler(error, _api_error)

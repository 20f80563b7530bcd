"""Routing misses (404, 405) under the API prefixes answer in that API's own error format.

Werkzeug raises these before any blueprint view runs (e.g. a `%0A` in a path segment no
route matches), so without this handler an app would get Werkzeug's HTML page.
"""

from __future__ import annotations

import uuid

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from gateway.documents.oneroster_catalogue import V1P1, V1P2
from gateway.edfi.problems import EdFiProblem, problem_response
from gateway.oneroster.errors import error_response

ONEROSTER_PREFIX = "/ims/oneroster/"
EDFI_PREFIX = "/data/v3/"


def _allow(exc: HTTPException) -> dict[str, str]:
    valid = getattr(exc, "valid_methods", None)
    return {"Allow": ", ".join(valid)} if valid else {}


def _routing_error(exc: HTTPException) -> Response | HTTPException:
    path = request.path
    headers = _allow(exc)
    if path.startswith(ONEROSTER_PREFIX):
        version = V1P1 if path.startswith(f"{ONEROSTER_PREFIX}v1p1/") else V1P2
        if isinstance(exc, MethodNotAllowed):
            response = error_response(version, "invalid_data",
                                      f"{request.method} is not allowed here", headers)
            response.status_code = 405
            return response
        return error_response(version, "unknown_object", "no OneRoster endpoint at this path")
    if path.startswith(EDFI_PREFIX):
        if isinstance(exc, MethodNotAllowed):
            problem = EdFiProblem("method-not-allowed",
                                  f"{request.method} is not allowed here", headers=headers)
        else:
            problem = EdFiProblem("not-found", "no Ed-Fi resource at this path")
        return problem_response(problem, uuid.uuid4().hex)
    return exc


def init_api_errors(app: Flask) -> None:
    app.register_error_handler(NotFound, _routing_error)
    app.register_error_handler(MethodNotAllowed, _routing_error)

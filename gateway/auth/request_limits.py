"""Request-size bounds for the OAuth endpoints.

Token, introspection and revocation requests are a handful of short form fields; parsing a
10 MB body or a 200k-field form for them only spends memory and CPU an attacker chooses. So
every request to the oauth blueprint is bounded before its form is read, and an oversized
one gets 413 with an RFC 6749-style error JSON instead of Werkzeug's HTML page.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

OAUTH_MAX_BYTES = 64 * 1024
OAUTH_MAX_FORM_PARTS = 100


def _too_large(_error: RequestEntityTooLarge | None = None) -> Response:
    response = jsonify(error="invalid_request",
                       error_description=f"request body larger than {OAUTH_MAX_BYTES} bytes "
                                         f"or more than {OAUTH_MAX_FORM_PARTS} form fields")
    response.status_code = 413
    response.headers["Cache-Control"] = "no-store"
    return response


def _bound_request() -> Response | None:
    """Refuse a declared oversized body at once; bound streamed (chunked) bodies and form
    parsing through the per-request limits Werkzeug enforces while reading."""
    if request.content_length is not None and request.content_length > OAUTH_MAX_BYTES:
        return _too_large()
    request.max_content_length = OAUTH_MAX_BYTES
    request.max_form_memory_size = OAUTH_MAX_BYTES
    request.max_form_parts = OAUTH_MAX_FORM_PARTS
    if request.mimetype == "application/x-www-form-urlencoded":
        # Werkzeug counts parts of multipart forms only; an urlencoded body is already bounded
        # in bytes above, so counting its separators here is cheap. The body stays cached for
        # the form parser that reads it next.
        if request.get_data(cache=True).count(b"&") >= OAUTH_MAX_FORM_PARTS:
            return _too_large()
    return None


def bound_oauth_requests(blueprint: Blueprint) -> None:
    """Attach the bounds and the 413 handler to the oauth blueprint."""
    blueprint.before_request(_bound_request)
    blueprint.register_error_handler(RequestEntityTooLarge, _too_large)

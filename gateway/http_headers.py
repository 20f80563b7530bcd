"""Security headers every response carries, set in one place so no view can forget them.

Policy (issue 11, section 4):
- every response: ``X-Content-Type-Options: nosniff``;
- every response: ``Cache-Control: no-store`` unless the view set its own Cache-Control.
  Nearly everything the gateway answers carries student data or tokens, so the safe default
  is no caching; a view serving a public, static document (OpenAPI, discovery) may opt in to
  caching by setting Cache-Control itself;
- HTML pages: a strict Content-Security-Policy and a frame policy. The frame policy is
  ``DENY`` / ``frame-ancestors 'none'`` by default and a per-view override
  (:func:`frame_policy`), because LTI launch pages must be framed by the LMS on purpose.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, Response, g, make_response

HTML_CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "
            "form-action 'self'")
DENY_FRAMES = "'none'"


def frame_policy(ancestors: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Let one view choose who may frame it, e.g. ``@frame_policy("https://lms.example")``.

    The value is a CSP ``frame-ancestors`` source list; ``X-Frame-Options`` is sent as DENY
    only when it is ``'none'`` (that header cannot express an allowlist).
    """

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            g.frame_ancestors = ancestors
            return make_response(view(*args, **kwargs))

        return wrapped

    return decorate


def _secure(response: Response) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    if "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    if response.mimetype == "text/html":
        ancestors = g.get("frame_ancestors", DENY_FRAMES)
        response.headers.setdefault(
            "Content-Security-Policy", f"{HTML_CSP}; frame-ancestors {ancestors}")
        if ancestors == DENY_FRAMES:
            response.headers["X-Frame-Options"] = "DENY"
    return response


def init_http_headers(app: Flask) -> None:
    """Register the header policy on `app` (called last by create_app)."""
    app.after_request(_secure)

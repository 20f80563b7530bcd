"""The few HTML pages the broker shows a browser: the auto-submitting form_post back to a
tool, and plain refusals (an opted-out student, a bad link) that say what happened without a
trace.

Frame policy, on purpose: the pages of a gateway launch are never framed (`frame-ancestors
'none'`, X-Frame-Options DENY): it opens the tool in a window of its own, which also keeps the
tool's state cookies first-party. The pages of a launch relayed from an LMS are shown in the
LMS's frame: they may be framed by that LMS registration's allowlist (`ancestors`, default its
issuer's origin) and nothing else. The form page allows exactly one inline script (by hash)
and posts only to the tool's registered redirect URI's origin."""

from __future__ import annotations

import base64
import hashlib
from html import escape
from urllib.parse import urlsplit

from flask import Response, current_app, g

SUBMIT = "document.getElementById('lti').submit();"
SUBMIT_HASH = base64.b64encode(hashlib.sha256(SUBMIT.encode()).digest()).decode()
STYLE = ("body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;"
         "padding:0 1rem;color:#222}h1{font-size:1.4rem}")
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


NO_FRAMES = "'none'"


def ancestors_of(origins: tuple[str, ...] | None) -> str:
    """A frame-ancestors source list from an LMS registration's allowlist."""
    return " ".join(origins) if origins else NO_FRAMES


def _html(body: str, status: int, csp: str, ancestors: str = NO_FRAMES) -> Response:
    response = current_app.response_class(body, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = f"{csp}; frame-ancestors {ancestors}"
    g.frame_ancestors = ancestors  # gateway.http_headers: no X-Frame-Options DENY then
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def framed_by(response: Response, origins: tuple[str, ...]) -> Response:
    """`response` (a page of a launch relayed from an LMS) made frameable by the LMS
    registration's allowlist only. Redirects carry no page and are left alone."""
    csp = response.headers.get("Content-Security-Policy")
    if csp and csp.endswith(f"; frame-ancestors {NO_FRAMES}"):
        ancestors = ancestors_of(origins)
        response.headers["Content-Security-Policy"] = (
            csp.removesuffix(NO_FRAMES) + ancestors)
        g.frame_ancestors = ancestors
    return response


def form_post(action: str, fields: dict[str, str], status: int = 200,
              ancestors: str = NO_FRAMES) -> Response:
    """An auto-submitting form to `action` (a registered redirect URI), as OIDC form_post."""
    inputs = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
                     for k, v in fields.items())
    body = ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>Opening the tool</title></head><body>"
            f"<form id=\"lti\" method=\"post\" action=\"{escape(action)}\">{inputs}"
            "<noscript><button type=\"submit\">Continue</button></noscript></form>"
            f"<script>{SUBMIT}</script></body></html>")
    csp = (f"default-src 'none'; script-src 'sha256-{SUBMIT_HASH}'; "
           f"form-action {_origin(action)}; base-uri 'none'")
    return _html(body, status, csp, ancestors)


def refusal(title: str, message: str, status: int, ancestors: str = NO_FRAMES) -> Response:
    """A plain page for the person in front of the browser (a refusal, or a short notice)."""
    body = ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
            f"<h1>{escape(title)}</h1><p>{escape(message)}</p></body></html>")
    csp = (f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; base-uri 'none'; "
           "form-action 'none'")
    return _html(body, status, csp, ancestors)

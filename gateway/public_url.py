"""The gateway's public base URL: the root of every absolute URL it writes (OneRoster paging
`Link`s and hrefs, Ed-Fi `Location`s, the OpenAPI `servers` and `tokenUrl`, Ed-Fi discovery
and `/metadata`).

It comes from configuration (`public_url`, env GATEWAY_PUBLIC_URL), else from the address
`gateway serve` was started on, else `http://localhost` (the test client) -- never from the
request. The `Host` header is the client's to choose: reflected into a discovery document or an
OpenAPI `tokenUrl` (through a shared cache, a log viewer, a link a victim follows) it points an
app at an attacker's server, which then receives the app's client secret.

Behind a reverse proxy, `trusted_proxies = N` wraps the app in Werkzeug's ProxyFix for the N
proxies in front, so the client address, scheme, host and prefix the proxy saw reach the few
places that need what the client really sent (the OAuth 1.0a signature base string). Without
that setting X-Forwarded-* headers are ignored, since anyone can send them.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Flask, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

DEFAULT_PUBLIC_URL = "http://localhost"
# What a path may keep unescaped in a URL (RFC 3986 pchar and "/"); `%` is not among them, so a
# decoded `%` or control character in the path is escaped again.
_PATH_SAFE = "/!$&'()*+,;=:@"


def public_root() -> str:
    """The public base URL, without a trailing slash (a path prefix such as /gateway kept)."""
    return current_app.config["PUBLIC_URL"]


def public_request_url() -> str:
    """The current request's URL without its query, on the public root (for paging links)."""
    return public_root() + quote(request.path, safe=_PATH_SAFE)


def init_public_url(app: Flask) -> None:
    """Record the public root on `app` and trust X-Forwarded-* only from configured proxies."""
    settings = app.config["GATEWAY_SETTINGS"]
    app.config["PUBLIC_URL"] = settings.public_url or DEFAULT_PUBLIC_URL
    hops = settings.trusted_proxies
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops,  # type: ignore[method-assign]
                                x_port=hops, x_prefix=hops)

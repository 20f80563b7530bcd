"""Ed-Fi clients often POST their token request as a JSON object; RFC 6749 says form encoding.
This WSGI wrapper re-reads such a request as the equivalent form body before Flask sees it, so
one token endpoint (its client authentication, rate limit and errors) serves both."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

from gateway.request_bounds import json_too_deep

MAX_BODY = 64 * 1024

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class JsonAsForm:
    def __init__(self, app: WsgiApp, paths: frozenset[str]) -> None:
        self.app = app
        self.paths = paths

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):  # noqa: ANN204
        if (environ.get("PATH_INFO") in self.paths
                and environ.get("CONTENT_TYPE", "").split(";")[0].strip() == "application/json"):
            self._rewrite(environ)
        return self.app(environ, start_response)

    @staticmethod
    def _rewrite(environ: dict[str, Any]) -> None:
        try:
            length = min(int(environ.get("CONTENT_LENGTH") or 0), MAX_BODY)
        except ValueError:
            length = 0
        raw = environ["wsgi.input"].read(length) if length else b""
        try:
            data = None if json_too_deep(raw) else json.loads(raw or b"null")
        except ValueError:
            data = None  # left empty: the endpoint answers invalid_request as for any bad body
        pairs = {k: str(v) for k, v in data.items()
                 if isinstance(v, str | int) and not isinstance(v, bool)} \
            if isinstance(data, dict) else {}
        body = urlencode(pairs).encode()
        environ.update({"CONTENT_TYPE": "application/x-www-form-urlencoded",
                        "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body)})

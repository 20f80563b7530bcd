"""Serving the gateway: gunicorn by default, Werkzeug's development server only on request.

Both name themselves `school-data-gateway` in the `Server` header: naming gunicorn, Werkzeug
or the Python version tells an attacker which exploits to try and tells a client nothing.
"""

from __future__ import annotations

import os
from typing import Any

import gunicorn.http.wsgi
from gunicorn.app.base import BaseApplication
from werkzeug.serving import WSGIRequestHandler

SERVER_NAME = "school-data-gateway"


def default_workers() -> int:
    """One worker per core this process may run on (affinity, not the machine's total)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def started_url(host: str, port: int) -> str:
    """The URL a server bound to host:port answers on: the public URL when none is configured
    (an IPv6 address goes in brackets)."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def app_config(public_url: str | None, host: str, port: int) -> dict[str, Any]:
    """create_app's overrides for a served gateway: the configured public URL wins; without
    one, the address it was started on (never the Host header clients send)."""
    return {} if public_url else {"public_url": started_url(host, port)}


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict, config: dict[str, Any] | None = None) -> None:
        self.options = options
        self.app_config = config or {}
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):  # noqa: ANN201
        from gateway.app import create_app

        return create_app(self.app_config)


def serve_gunicorn(host: str, port: int, workers: int,
                   config: dict[str, Any] | None = None) -> None:
    """Serve through gunicorn; its `Server` header and SERVER_SOFTWARE name the gateway.
    `config` is passed to create_app in every worker. gunicorn's control socket is off: it
    lives at one per-user path that every server of that user shares, so a second gateway on
    the machine (a test, a bench, a second district) would take it over, and closing it holds
    each stop for two seconds."""
    gunicorn.http.wsgi.SERVER = SERVER_NAME
    gunicorn.http.wsgi.SERVER_SOFTWARE = SERVER_NAME
    settings = {"bind": f"{host}:{port}", "workers": workers, "accesslog": "-",
                "control_socket_disable": True}
    _Gunicorn(settings, config).run()


class _QuietHandler(WSGIRequestHandler):
    """The development server's handler, without Werkzeug's and Python's versions."""

    server_version = SERVER_NAME
    sys_version = ""

    def version_string(self) -> str:
        return SERVER_NAME

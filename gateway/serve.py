"""Serving the gateway: gunicorn by default, Werkzeug's development server only on request.

Both name themselves `school-data-gateway` in the `Server` header: naming gunicorn, Werkzeug
or the Python version tells an attacker which exploits to try and tells a client nothing.
"""

from __future__ import annotations

import os

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


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):  # noqa: ANN201
        from gateway.app import create_app

        return create_app()


def serve_gunicorn(host: str, port: int, workers: int) -> None:
    """Serve through gunicorn; its `Server` header and SERVER_SOFTWARE name the gateway."""
    gunicorn.http.wsgi.SERVER = SERVER_NAME
    gunicorn.http.wsgi.SERVER_SOFTWARE = SERVER_NAME
    _Gunicorn({"bind": f"{host}:{port}", "workers": workers, "accesslog": "-"}).run()


class _QuietHandler(WSGIRequestHandler):
    """The development server's handler, without Werkzeug's and Python's versions."""

    server_version = SERVER_NAME
    sys_version = ""

    def version_string(self) -> str:
        return SERVER_NAME

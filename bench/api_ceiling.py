"""The ceiling of the API benchmark: a bare WSGI app that answers each benchmarked request with
the exact status, headers and body the gateway gave for it, precomputed in memory.

Served by gunicorn with the same settings as the gateway, it costs only HTTP parsing and sending
bytes, so the gateway's throughput divided by this one's is the share left after our own work
(auth, policy, SQL, serialization, disclosure log).

    API_BENCH_BODIES=bodies.json gunicorn --pythonpath bench api_ceiling:app
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

BODIES_ENV = "API_BENCH_BODIES"
Answer = tuple[str, list[tuple[str, str]], bytes]


def save_answers(path: Path, answers: dict[str, tuple[int, list[tuple[str, str]], bytes]]) -> None:
    """Write recorded answers keyed by request target (path and query, as sent)."""
    doc = {target: {"status": status, "headers": headers, "body": body.decode("utf-8")}
           for target, (status, headers, body) in answers.items()}
    path.write_text(json.dumps(doc), encoding="utf-8")


def load_answers(path: Path) -> dict[str, Answer]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    reasons = {200: "200 OK", 404: "404 Not Found"}
    return {
        target: (reasons.get(a["status"], f"{a['status']} Recorded"),
                 [(k, v) for k, v in a["headers"]], a["body"].encode("utf-8"))
        for target, a in doc.items()
    }


def make_app(answers: dict[str, Answer]) -> Callable[..., Iterable[bytes]]:
    missing: Answer = ("404 Not Found", [("Content-Type", "text/plain")], b"not recorded\n")

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        target = environ.get("RAW_URI") or _rebuild_target(environ)
        status, headers, body = answers.get(target, missing)
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body]

    return app


def _rebuild_target(environ: dict[str, Any]) -> str:
    query = environ.get("QUERY_STRING", "")
    return environ.get("PATH_INFO", "/") + (f"?{query}" if query else "")


def _app_from_environment() -> Callable[..., Iterable[bytes]]:
    bodies = os.environ.get(BODIES_ENV)
    return make_app(load_answers(Path(bodies)) if bodies else {})


app = _app_from_environment()

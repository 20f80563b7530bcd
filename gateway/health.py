"""Liveness and readiness, answering nothing about what the store holds.

Anyone can reach these (load balancers do), so they carry no counts and no sync history:
district IT reads those with `gateway runs`. `/healthz` says the process answers; `/readyz`
says the store answers too, naming only the class of a failure, never its message (which
can hold a connection URL).
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from gateway.extensions import store_engine

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz() -> Response:
    """Liveness: the process is serving requests."""
    return jsonify(status="ok")


@health.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Readiness: 200 when the store answers a trivial query, 503 with the error's class."""
    try:
        with store_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return jsonify(status="unavailable", reason=exc.__class__.__name__), 503
    return jsonify(status="ok"), 200

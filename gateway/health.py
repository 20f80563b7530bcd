"""Liveness, readiness and a plain page saying what the store holds."""

from __future__ import annotations

from html import escape

from flask import Blueprint, jsonify
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from gateway.extensions import store_engine
from gateway.model import ROSTER_TABLES, SyncRun

health = Blueprint("health", __name__)

SHOWN = ("orgs", "academicSessions", "courses", "classes", "users", "enrollments",
         "demographics")


def _counts() -> dict[str, int]:
    with store_engine().connect() as conn:
        return {
            family: conn.execute(
                select(func.count()).select_from(ROSTER_TABLES[family])
                .where(ROSTER_TABLES[family].c.status == "active")
            ).scalar_one()
            for family in SHOWN
        }


@health.get("/healthz")
def healthz():  # noqa: ANN201
    """Liveness and readiness in one: 200 only when the store answers."""
    try:
        counts = _counts()
    except SQLAlchemyError as exc:
        return jsonify(status="unavailable", reason=exc.__class__.__name__), 503
    return jsonify(status="ok", store=counts)


@health.get("/")
def index():  # noqa: ANN201
    counts = _counts()
    runs = SyncRun.__table__
    with store_engine().connect() as conn:
        last = conn.execute(select(runs).order_by(runs.c.id.desc()).limit(5)).all()
    items = "".join(f"<tr><td>{escape(f)}</td><td>{n:,}</td></tr>" for f, n in counts.items())
    history = "".join(
        f"<li>run {r.id}: {escape(r.source)} {escape(r.state)} at {r.started_at:%Y-%m-%d %H:%M}"
        f"</li>" for r in last
    )
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>School Data Gateway</title></head><body>
<h1>School Data Gateway</h1>
<p>Active records in the canonical store:</p>
<table>{items}</table>
<h2>Recent sync runs</h2><ul>{history or '<li>none yet</li>'}</ul>
<p><a href="/healthz">/healthz</a></p>
</body></html>"""

"""The console's blueprint, its sign-in and sign-out, the overview and the audit log; the
other pages register on the same blueprint from their own modules (sources, apps, opt-outs,
disclosures and reports)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session

from gateway.admin.access import current_staff, require_staff
from gateway.auth.audit import recent
from gateway.auth.registry import all_app_details
from gateway.auth.staff import authenticate, sign_in_failed, sign_in_throttled
from gateway.extensions import store_engine
from gateway.policy.agreement_end import certifications, request_for_expired
from gateway.policy.district_reads import store_health
from gateway.sync.history import recent_runs

console = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
                    static_folder="static", static_url_path="/static")
console.before_request(require_staff)
EXPIRING_WITHIN = timedelta(days=60)


@console.context_processor
def _staff() -> dict[str, Any]:
    return {"staff": current_staff()}


def settings() -> Any:
    return current_app.config["GATEWAY_SETTINGS"]


def _safe_next(target: str | None) -> str:
    """Only a path of the console itself: never an open redirect."""
    if target and target.startswith("/console") and not urlsplit(target).netloc \
            and "\\" not in target:
        return target
    return "/console/"


@console.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    if request.method == "GET":
        return render_template("admin/sign_in.html", next=request.args.get("next", ""))
    username = request.form.get("username", "")[:64]
    address = request.remote_addr or "unknown"
    wait = sign_in_throttled(store_engine(), address, username)
    if wait is not None:
        flash(f"Too many wrong passwords for this name from here; try again in {wait} s.",
              "error")
        return render_template("admin/sign_in.html", next=request.form.get("next", "")), 429
    staff = authenticate(store_engine(), username, request.form.get("password", "")[:1024])
    if staff is None:
        sign_in_failed(store_engine(), address, username)
        flash("Unknown user name or wrong password.", "error")
        return render_template("admin/sign_in.html", next=request.form.get("next", "")), 401
    session.clear()
    session.rotate()  # a new session id: one planted before sign-in is worth nothing now
    session["staff_id"] = staff.id
    return redirect(_safe_next(request.form.get("next")), 303)


@console.route("/sign-out", methods=["POST"])
def sign_out() -> Any:
    session.end()
    return redirect("/console/sign-in", 303)


@console.route("/")
def overview() -> Any:
    engine = store_engine()
    today = datetime.now(UTC).date()
    apps = all_app_details(engine)
    expiring = [a for a in apps if a.terminated_at is None
                and today <= a.agreement.expires <= today + EXPIRING_WITHIN]
    last_runs: dict[str, dict] = {}
    for run in recent_runs(engine, 200):
        last_runs.setdefault(run["source"], run)
    request_for_expired(engine, settings().deletion_certification_days)
    overdue = [c for c in certifications(engine) if c.overdue(today)]
    return render_template("admin/overview.html", sources=settings().sources,
                           last_runs=last_runs, health=store_health(engine),
                           expiring=expiring, overdue=overdue, today=today)


@console.route("/audit")
def audit_log() -> Any:
    return render_template("admin/audit.html", events=recent(store_engine(), 500))


from gateway.admin import (  # noqa: E402,F401  (their routes join this blueprint)
    apps_views,
    optout_views,
    report_views,
    source_views,
)

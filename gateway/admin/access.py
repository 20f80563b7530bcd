"""Who may see and do what in the console: signed-in staff only (the public pages aside);
auditors read and produce reports (GET), only administrators change anything (POST); every
POST of the console and the public pages carries a valid CSRF token."""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect

from gateway.auth.lti_state import secret
from gateway.auth.staff import Staff, staff_by_id
from gateway.extensions import store_engine

csrf = CSRFProtect()
OWN_PATHS = ("/console", "/privacy")
# POSTs an auditor may make: ending their own session changes nothing of the district's.
AUDITOR_POSTS = frozenset({"console.sign_out"})
ANONYMOUS = frozenset({"console.sign_in", "console.static"})


def init_access(app: Flask) -> None:
    @app.before_request
    def _secret_key() -> None:
        """The key Flask-WTF signs CSRF tokens with: one per store, shared by every node,
        created at first use and never shown."""
        if request.path.startswith(OWN_PATHS) and not current_app.secret_key:
            current_app.secret_key = secret(store_engine(), "console_session").hex()

    @app.errorhandler(CSRFError)
    def _csrf_refused(error: CSRFError) -> Any:
        from flask import render_template
        return render_template("admin/error.html", title="Form expired or forged",
                               message="This form was refused: " + error.description
                               + " Reload the page and try again."), 400


def current_staff() -> Staff | None:
    if "staff" not in g:
        staff_id = session.get("staff_id")
        g.staff = None if staff_id is None else staff_by_id(store_engine(), int(staff_id))
    return g.staff


def require_staff() -> Any:
    """The console's before_request: CSRF on every POST, sign-in everywhere but the sign-in
    page, and no change by an auditor."""
    if request.method == "POST":
        csrf.protect()
    if request.endpoint in ANONYMOUS:
        return None
    staff = current_staff()
    if staff is None:
        return redirect(url_for("console.sign_in", next=request.full_path
                                if request.method == "GET" else None), 303)
    if request.method not in ("GET", "HEAD") and not staff.may_change \
            and request.endpoint not in AUDITOR_POSTS:
        abort(403, description="auditors can read and produce reports but change nothing")
    return None


def actor() -> str:
    staff = current_staff()
    return f"staff:{staff.username}" if staff else "anonymous"

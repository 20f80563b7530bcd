"""The district console (/console) and the public privacy pages (/privacy).

Server-rendered Jinja, no scripts: the pages work in any browser and under the gateway's strict
Content-Security-Policy. Staff sign in with local accounts (gateway/auth/staff.py); sessions
are server-side (gateway/auth/staff_sessions.py); every form carries a CSRF token
(Flask-WTF's CSRFProtect, checked on every POST of these two blueprints, never on the APIs,
whose callers authenticate with bearer tokens, not cookies). The console reads and changes
nothing itself: every read and change is a function of the policy, auth or sync layer, the
same ones the CLI calls."""

from __future__ import annotations

from flask import Flask

from gateway.admin import console_views, public_views
from gateway.admin.access import csrf, init_access
from gateway.auth.staff_sessions import StaffSessions
from gateway.sync.jobs import SyncJobs


def init_app(app: Flask) -> None:
    app.session_interface = StaffSessions()
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # a token lives as long as its session
    init_access(app)
    csrf.init_app(app)
    app.extensions["gateway.sync_jobs"] = SyncJobs()
    app.register_blueprint(console_views.console)
    app.register_blueprint(public_views.privacy)

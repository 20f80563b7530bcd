"""The Flask application factory: the only way the gateway's web app is built."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from gateway.admin import init_app as init_console
from gateway.api_errors import init_api_errors
from gateway.auth.wiring import init_auth
from gateway.config import load_settings
from gateway.edfi import views as edfi
from gateway.extensions import Store, init_request_reads
from gateway.health import health
from gateway.http_headers import init_http_headers
from gateway.lti import views as lti
from gateway.oneroster import views as oneroster
from gateway.policy.disclosure_spool import DisclosureSpool, spool_folder
from gateway.policy.scoping import check_rules
from gateway.public_url import init_public_url
from gateway.request_bounds import init_request_bounds


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. `config` overrides settings (tests pass a database URL this way)."""
    check_rules()  # fail closed: no family is served without a declared visibility rule
    settings = load_settings(overrides=config)
    app = Flask(__name__)
    app.config["GATEWAY_SETTINGS"] = settings
    app.extensions["gateway.store"] = Store(settings)
    app.extensions["gateway.disclosures"] = DisclosureSpool(
        spool_folder(settings.var_dir, settings.database_url),
        lambda: app.extensions["gateway.store"].engine)
    init_request_reads(app)
    app.config["ONEROSTER_MAX_LIMIT"] = settings.oneroster_max_limit
    app.config["DISCLOSURE_LOG"] = settings.disclosure_log
    init_public_url(app)
    init_request_bounds(app)
    app.register_blueprint(health)
    oneroster.init_app(app)
    edfi.init_app(app)
    lti.init_app(app)
    init_console(app)
    init_auth(app)
    init_api_errors(app)
    init_http_headers(app)
    return app


def close_app(app: Flask) -> None:
    """Release what the app holds: its disclosure spool is moved into the store and its
    mover stopped, then its store pool closed. For a server shutting down, a CLI command that
    built an app, and tests that build many."""
    if "gateway.lti" in app.extensions:
        app.extensions["gateway.lti"].close()
    app.extensions["gateway.disclosures"].close()
    app.extensions["gateway.store"].close()

"""The Flask application factory: the only way the gateway's web app is built."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from gateway.config import load_settings
from gateway.extensions import Store
from gateway.health import health


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. `config` overrides settings (tests pass a database URL this way)."""
    settings = load_settings(overrides=config)
    app = Flask(__name__)
    app.config["GATEWAY_SETTINGS"] = settings
    app.extensions["gateway.store"] = Store(settings)
    app.register_blueprint(health)
    return app

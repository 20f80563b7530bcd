"""Wiring the LTI broker into the app: its blueprints and its per-app state."""

from __future__ import annotations

from flask import Flask

from gateway.lti.ags import ags
from gateway.lti.deep_linking import deep_links
from gateway.lti.launch import launches
from gateway.lti.lms_registration import lms_registration
from gateway.lti.nrps import nrps
from gateway.lti.registration import registration
from gateway.lti.relay import relay
from gateway.lti.service_tokens import tokens
from gateway.lti.state import LtiState


def init_app(app: Flask) -> None:
    app.extensions["gateway.lti"] = LtiState()
    app.register_blueprint(launches)
    app.register_blueprint(tokens)
    app.register_blueprint(nrps)
    app.register_blueprint(ags)
    app.register_blueprint(relay)
    app.register_blueprint(deep_links)
    app.register_blueprint(registration)
    app.register_blueprint(lms_registration)

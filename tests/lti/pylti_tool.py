"""pylti1p3 2.0.0, unmodified, as an in-process tool of the gateway (Flask test clients on both
sides; the gateway's JWK Set handed to pylti1p3 inline). Its launch page answers with the
claims it accepted; on a deep-linking request it answers with the resources the test chose,
as the signed JWT pylti1p3 built and the return URL it would post it to."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, jsonify
from flask.testing import FlaskClient
from joserfc.jwk import RSAKey
from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.tool_config import ToolConfDict

from tests.lti.conftest import REDIRECT, Lti, form_fields

GATEWAY = "http://localhost"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"


def tool_conf(lti: Lti, key: RSAKey) -> ToolConfDict:
    issuer = lti.app.config["GATEWAY_SETTINGS"].issuer
    conf = ToolConfDict({issuer: [{
        "default": True, "client_id": lti.tool.client_id,
        "auth_login_url": GATEWAY + "/lti/authorize", "auth_token_url": GATEWAY + "/lti/token",
        "key_set_url": None, "key_set": lti.client.get("/.well-known/jwks.json").get_json(),
        "deployment_ids": [lti.tool.deployment_id]}]})
    conf.set_private_key(issuer, key.as_pem(private=True).decode(),
                         client_id=lti.tool.client_id)
    return conf


def pylti1p3_tool(conf: ToolConfDict,
                  resources: Callable[[], list[DeepLinkResource]] = list) -> FlaskClient:
    app = Flask("pylti1p3_tool")
    app.secret_key = "tool-session-secret"

    @app.route("/login", methods=["GET", "POST"])
    def login():  # noqa: ANN202
        return FlaskOIDCLogin(FlaskRequest(), conf).redirect(REDIRECT)

    @app.post("/launch")
    def launch():  # noqa: ANN202
        try:
            message = FlaskMessageLaunch(FlaskRequest(), conf)
            data = message.get_launch_data()
            if message.is_deep_link_launch():
                jwt = message.get_deep_link().get_response_jwt(resources())
                return jsonify(claims=data, jwt=jwt,
                               return_url=data[DL_SETTINGS]["deep_link_return_url"])
            return jsonify(claims=data)
        except Exception as exc:  # noqa: BLE001 - the tool reports what pylti1p3 refused
            return jsonify(error=str(exc)), 400

    return app.test_client()


def through_tool(lti: Lti, tool: FlaskClient, location: str) -> dict[str, Any]:
    """From the gateway's redirect to the tool's login initiation, as a browser: the tool's
    login, the gateway's /lti/authorize, the form post to the tool. The tool's answer."""
    login = tool.get("/login?" + urlsplit(location).query)
    assert login.status_code == 302, login.get_data(as_text=True)
    authorize = urlsplit(login.headers["Location"])
    assert authorize.path == "/lti/authorize"
    answer = lti.client.get("/lti/authorize?" + authorize.query)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    action, fields = form_fields(answer.get_data(as_text=True))
    assert action == REDIRECT
    accepted = tool.post("/launch", data=fields)
    assert accepted.status_code == 200, accepted.get_json()
    return accepted.get_json()

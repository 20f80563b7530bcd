"""LTI Dynamic Registration 1.0 with the gateway as the tool: district IT mints a one-time
registration URL, the LMS opens it with its openid_configuration and registration_token, and
the gateway fetches the configuration, posts its registration and keeps the LMS registration.
The LMS's configuration and registration endpoints are a real HTTP server (pytest-httpserver)
that checks what the gateway posts; its JWK Set is served there too (tests/lti/lms.py), and
the stored registration is then used for a launch from that LMS. Real app, real store, both
backends."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from werkzeug import Request, Response

from gateway.auth.lti_registry import list_platforms
from gateway.auth.lti_state import secret
from gateway.cli import main
from gateway.lti.lms_registration import registration_url
from gateway.lti.signing import TOKENS
from gateway.model import LtiPlatform
from tests.lti.conftest import Lti, make_lti
from tests.lti.lms import CLIENT_ID, DEPLOYMENT, Lms
from tests.lti.test_relay import relayed, student, text

TOOL_CONFIG = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIG = "https://purl.imsglobal.org/spec/lti-platform-configuration"
AGS_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"


class LmsRegistrar:
    """The LMS's side of DR on a real HTTP server: its OpenID configuration and a
    registration endpoint that checks the gateway's request and answers as an LMS does."""

    def __init__(self, lms: Lms) -> None:
        self.lms = lms
        self.received: list[dict[str, Any]] = []
        self.config_changes: dict[str, Any] = {}
        self.answer_changes: dict[str, Any] = {}
        self.status = 200
        lms.server.expect_request("/.well-known/openid-configuration").respond_with_handler(
            self._config)
        lms.server.expect_request("/register", method="POST").respond_with_handler(
            self._register)

    @property
    def config_url(self) -> str:
        return self.lms.issuer + "/.well-known/openid-configuration"

    def _config(self, _request: Request) -> Response:
        issuer = self.lms.issuer
        config = {"issuer": issuer, "authorization_endpoint": issuer + "/authorize",
                  "token_endpoint": issuer + "/token", "jwks_uri": issuer + "/jwks",
                  "registration_endpoint": issuer + "/register",
                  "token_endpoint_auth_methods_supported": ["private_key_jwt"],
                  "id_token_signing_alg_values_supported": ["RS256"],
                  "scopes_supported": ["openid", AGS_SCORE, NRPS],
                  PLATFORM_CONFIG: {"product_family_code": "test-lms", "version": "1"}}
        config.update(self.config_changes)
        config = {k: v for k, v in config.items() if v is not None}
        return Response(json.dumps(config), mimetype="application/json")

    def _register(self, request: Request) -> Response:
        body = request.get_json(force=True)
        self.received.append({"auth": request.headers.get("Authorization"), "body": body})
        if request.headers.get("Authorization") != "Bearer lms-reg-token":
            return Response('{"error":"invalid_token"}', status=401)
        if self.status != 200:
            return Response('{"error":"invalid_client_metadata"}', status=self.status)
        answer = {**body, "client_id": CLIENT_ID,
                  TOOL_CONFIG: {**body[TOOL_CONFIG], "deployment_id": DEPLOYMENT}}
        answer.update(self.answer_changes)
        return Response(json.dumps(answer), mimetype="application/json")


@pytest.fixture
def registrar(lms) -> LmsRegistrar:
    return LmsRegistrar(lms)


@pytest.fixture
def lti(district, database_url, tmp_path, tool_key) -> Lti:
    return make_lti(district, database_url, tmp_path, tool_key)


def one_time_path(lti: Lti) -> str:
    url = registration_url(secret(lti.engine, TOKENS), "http://localhost", 600)
    return url.removeprefix("http://localhost")


def opened_by_lms(lti: Lti, registrar: LmsRegistrar, path: str | None = None,
                  **params: str) -> Any:
    query = {"openid_configuration": registrar.config_url, "registration_token":
             "lms-reg-token", **params}
    path = path or one_time_path(lti)
    return lti.client.get(path + "&" + urlencode(query))


def platforms(lti: Lti) -> int:
    with lti.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(LtiPlatform)).scalar_one()


def test_the_gateway_registers_with_the_lms_and_the_registration_serves_a_launch(
        lti, lms, registrar):
    response = opened_by_lms(lti, registrar)
    assert response.status_code == 200, text(response)
    assert "org.imsglobal.lti.close" in text(response)
    assert f"frame-ancestors {lms.issuer}" in response.headers["Content-Security-Policy"]
    # what the gateway posted, with the LMS's registration token
    [posted] = registrar.received
    assert posted["auth"] == "Bearer lms-reg-token"
    body = posted["body"]
    assert body["initiate_login_uri"] == "http://localhost/lti/login"
    assert body["redirect_uris"] == ["http://localhost/lti/launch"]
    assert body["jwks_uri"] == "http://localhost/.well-known/jwks.json"
    assert body["token_endpoint_auth_method"] == "private_key_jwt"
    assert set(body["scope"].split()) == {AGS_SCORE, NRPS}  # what the LMS offers, of ours
    assert body[TOOL_CONFIG]["domain"] == "localhost"
    # kept as an LMS registration
    [platform] = list_platforms(lti.engine)
    assert (platform.issuer, platform.client_id, platform.deployment_ids) == (
        lms.issuer, CLIENT_ID, (DEPLOYMENT,))
    assert (platform.auth_url, platform.token_url, platform.jwks_url) == (
        lms.issuer + "/authorize", lms.issuer + "/token", lms.issuer + "/jwks")
    # and a launch from that LMS is accepted with it, relayed on to the tool
    launched = relayed(lti, lms, sub="lms-ben", **student())
    assert launched.status_code == 302, text(launched)
    assert launched.headers["Location"].startswith(lti.tool.login_url + "?")


def test_the_cli_prints_a_registration_url_that_works_once(lti, registrar):
    env = {"GATEWAY_DATABASE_URL": lti.engine.url.render_as_string(hide_password=False),
           "GATEWAY_PUBLIC_URL": "http://localhost"}
    result = CliRunner().invoke(main, ["lti", "platforms", "registration-url",
                                       "--minutes", "5"], env=env)
    assert result.exit_code == 0, result.output
    url = result.output.strip()
    assert url.startswith("http://localhost/lti/lms-registration?t=")
    path = url.removeprefix("http://localhost")
    assert opened_by_lms(lti, registrar, path).status_code == 200
    again = opened_by_lms(lti, registrar, path)
    assert again.status_code == 403 and "has been used already" in text(again)
    assert platforms(lti) == 1 and len(registrar.received) == 1


def _bad_token_path(lti: Lti) -> str:
    path = one_time_path(lti)
    return path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")


@pytest.mark.parametrize("case, reason, status", [
    ("no one-time token", "registration URL is not valid (malformed)", 403),
    ("tampered one-time token", "registration URL is not valid (signature)", 403),
    ("config on another host", "is not on the host of the openid_configuration URL", 400),
    ("no private_key_jwt", "must include private_key_jwt", 400),
    ("not an LTI platform", "not an LTI platform's configuration", 400),
    ("plain http elsewhere", "must use https", 400),
    ("the LMS refuses", "the LMS refused the registration: HTTP 400", 400),
    ("no deployment id", "named no deployment id; nothing was kept", 400),
    ("no client id", "registration answer has no client_id", 400),
    ("wrong registration token", "the LMS refused the registration: HTTP 401", 400),
])
def test_a_bad_registration_is_refused_precisely_and_keeps_nothing(lti, lms, registrar, case,
                                                                   reason, status):
    path, params = None, {}
    if case == "no one-time token":
        path = "/lti/lms-registration?x=1"
    elif case == "tampered one-time token":
        path = _bad_token_path(lti)
    elif case == "config on another host":
        registrar.config_changes["issuer"] = "https://lms.elsewhere.example"
    elif case == "no private_key_jwt":
        registrar.config_changes["token_endpoint_auth_methods_supported"] = ["client_secret"]
    elif case == "not an LTI platform":
        registrar.config_changes[PLATFORM_CONFIG] = None
    elif case == "plain http elsewhere":
        params["openid_configuration"] = "http://lms.example/.well-known/openid-configuration"
    elif case == "the LMS refuses":
        registrar.status = 400
    elif case == "no deployment id":
        registrar.answer_changes[TOOL_CONFIG] = {}
    elif case == "no client id":
        registrar.answer_changes["client_id"] = None
    elif case == "wrong registration token":
        params["registration_token"] = "stolen"
    response = opened_by_lms(lti, registrar, path, **params)
    assert response.status_code == status, text(response)
    assert reason in text(response), text(response)
    assert platforms(lti) == 0
    if status == 403:
        assert registrar.received == []  # the LMS was not even asked


def test_a_registration_url_cannot_be_reused_after_a_refusal_by_the_lms_either_way(
        lti, registrar):
    """A refusal does not spend the one-time URL (nothing was kept); success does."""
    path = one_time_path(lti)
    registrar.status = 400
    assert opened_by_lms(lti, registrar, path).status_code == 400
    registrar.status = 200
    assert opened_by_lms(lti, registrar, path).status_code == 200
    assert opened_by_lms(lti, registrar, path).status_code == 403

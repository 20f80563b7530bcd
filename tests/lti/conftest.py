"""A district, an app under an agreement, a tool registered for it with its own RSA key, and
helpers that play the tool's part of LTI 1.3 against the gateway's Flask app (the real app on
a real store, both backends)."""

from __future__ import annotations

import json
import re
import shutil
import time
import uuid
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import Engine

from gateway.app import create_app
from gateway.auth.lti_registry import ToolRegistration, add_tool
from gateway.auth.lti_state import secret
from gateway.auth.registry import register_app
from gateway.config import SourceConfig
from gateway.lti.launch import launch_link
from gateway.lti.signing import TOKENS
from gateway.policy.agreement import parse_agreement
from gateway.store import make_engine
from gateway.sync.runner import run_sync
from tests.lti.lms import Lms, new_key
from tests.lti.spec_check import check
from tests.oneroster.district import two_schools
from tests.store_snapshot import built_once

LOGIN = "https://tool.example/login"
REDIRECT = "https://tool.example/launch"
TOKEN_URL = "http://localhost/lti/token"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"


@pytest.fixture(scope="session")
def tool_key() -> RSAKey:
    return RSAKey.generate_key(2048, private=True)


@pytest.fixture(scope="session")
def other_key() -> RSAKey:
    return RSAKey.generate_key(2048, private=True)


def _sync(engine: Engine) -> None:
    report = run_sync(engine, SourceConfig(name="sis", adapter="test"), iter(two_schools()),
                      adapter_name="test")
    assert report.state == "applied", report.issues[:5]


@pytest.fixture(scope="session")
def synced_sqlite(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    """The district synced once per session; SQLite tests start from a copy (a sync per
    test would cost more than most tests)."""
    path = tmp_path_factory.mktemp("lti-district") / "store.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    _sync(engine)
    engine.dispose()
    return path


@pytest.fixture
def district(database_url: str, request: pytest.FixtureRequest) -> Engine:
    if database_url.startswith("sqlite:///"):
        shutil.copy(request.getfixturevalue("synced_sqlite"),
                    database_url.removeprefix("sqlite:///"))
        return request.getfixturevalue("engine")
    engine = request.getfixturevalue("engine")
    built_once(engine, request.getfixturevalue("store_snapshots"), "two_schools", _sync)
    return engine


def form_fields(html: str) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of an auto-submitting form page."""
    action = unescape(re.search(r'<form id="lti" method="post" action="([^"]*)"', html)[1])
    fields = {unescape(n): unescape(v) for n, v in
              re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', html)}
    return action, fields



def through_tool_login(browser: Any, login_url: str, **post: Any) -> Any:
    """The browser's legs from the tool's login initiation on: the tool's redirect to the
    gateway's authorize endpoint, then the auto-submitted form to the tool's launch URL
    (posted with `post`'s requests options)."""
    login = browser.get(login_url, allow_redirects=False)
    assert login.status_code == 302, login.text
    authorize = browser.get(login.headers["Location"], allow_redirects=False)
    assert authorize.status_code == 200, authorize.text
    action, fields = form_fields(authorize.text)
    return browser.post(action, data=fields, **post)


@pytest.fixture
def lms(httpserver) -> Lms:
    """A district LMS (a real HTTP server: its JWKS, token and AGS endpoints) for the relay."""
    found = Lms(httpserver, new_key(), httpserver.url_for("").rstrip("/"))
    found.serve()
    return found

@dataclass
class Lti:
    app: Flask
    client: FlaskClient
    engine: Engine
    tool: ToolRegistration
    key: RSAKey
    app_client_id: str
    used_jtis: set[str] = field(default_factory=set)

    def link(self, user: str, klass: str = "cls-a", link: str = "unit-1",
             tool: ToolRegistration | None = None, lifetime: int = 600) -> str:
        return launch_link(secret(self.engine, TOKENS), "http://localhost",
                           (tool or self.tool).client_id, klass, user, link, lifetime)

    def login(self, user: str, klass: str = "cls-a",
              tool: ToolRegistration | None = None) -> dict[str, str]:
        """Open the launch link; returns the login initiation parameters sent to the tool."""
        response = self.client.get(self.link(user, klass, tool=tool))
        assert response.status_code == 302, response.get_data(as_text=True)
        location = response.headers["Location"]
        assert location.startswith((tool or self.tool).login_url + "?")
        return dict(parse_qsl(urlsplit(location).query))

    def auth_request(self, login: dict[str, str], **changes: str | None) -> dict[str, str]:
        params = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post",
                  "prompt": "none", "client_id": login["client_id"],
                  "redirect_uri": REDIRECT, "login_hint": login["login_hint"],
                  "lti_message_hint": login["lti_message_hint"],
                  "state": "state-" + uuid.uuid4().hex, "nonce": uuid.uuid4().hex}
        params.update(changes)
        return {k: v for k, v in params.items() if v is not None}

    def authorize(self, params: dict[str, str], method: str = "GET") -> Any:
        if method == "GET":
            return self.client.get("/lti/authorize", query_string=params)
        return self.client.post("/lti/authorize", data=params)

    def launch(self, user: str, klass: str = "cls-a",
               tool: ToolRegistration | None = None) -> dict[str, Any]:
        """A whole launch; returns the id_token's claims, verified with the published JWKS."""
        login = self.login(user, klass, tool=tool)
        params = self.auth_request(login)
        response = self.authorize(params)
        assert response.status_code == 200, response.get_data(as_text=True)
        action, fields = form_fields(response.get_data(as_text=True))
        assert action == REDIRECT and fields["state"] == params["state"]
        claims = self.verify(fields["id_token"])
        assert claims["nonce"] == params["nonce"]
        check("id_token", claims)
        return claims

    def verify(self, token: str) -> dict[str, Any]:
        keys = KeySet.import_key_set(self.client.get("/.well-known/jwks.json").get_json())
        return jwt.decode(token, keys, algorithms=["RS256"]).claims

    def assertion(self, key: RSAKey | None = None, **changes: Any) -> str:
        now = int(time.time())
        key = key or self.key
        claims = {"iss": self.tool.client_id, "sub": self.tool.client_id, "aud": TOKEN_URL,
                  "iat": now - 5, "exp": now + 60, "jti": "lti-service-token-" + uuid.uuid4().hex}
        claims.update(changes)
        claims = {k: v for k, v in claims.items() if v is not None}
        header = {"alg": "RS256", "typ": "JWT", "kid": key.thumbprint()}
        return jwt.encode(header, claims, key, algorithms=["RS256"])

    def token_response(self, assertion: str, scope: str = NRPS) -> Any:
        return self.client.post("/lti/token", data={
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion, "scope": scope})

    def token(self, scope: str = NRPS) -> str:
        response = self.token_response(self.assertion(), scope)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["access_token"]

    def add_tool(self, name: str, **options: Any) -> ToolRegistration:
        public = self.key.as_dict(private=False)
        return add_tool(self.engine, name, app_client_id=options.pop("app", self.app_client_id),
                        login_url=LOGIN, redirect_uris=[REDIRECT],
                        public_key=options.pop("public_key", None) or json.dumps(public),
                        **options)


def make_lti(district: Engine, database_url: str, tmp_path, key: RSAKey,
             share: list[str] | None = None, **agreement: Any) -> Lti:
    doc = {"name": "Maths Lab", "purpose": "instruction", "expires": "2099-12-31",
           "scopes": ["roster-core.readonly"], "schools": ["sch-a"], **agreement}
    app_client_id = register_app(district, "Maths Lab", parse_agreement(doc)).client_id
    app = create_app({"database_url": database_url, "var_dir": str(tmp_path / "var")})
    app.testing = True
    lti = Lti(app, app.test_client(), district, None, key, app_client_id)  # type: ignore[arg-type]
    lti.tool = lti.add_tool("Maths Lab tool", share=share or [])
    return lti


@pytest.fixture
def lti(district: Engine, database_url: str, tmp_path, tool_key: RSAKey) -> Lti:
    return make_lti(district, database_url, tmp_path, tool_key)

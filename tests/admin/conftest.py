"""A district served with its console: the two-school district synced, staff accounts for an
administrator and an auditor, and a browser-like client (cookies kept, CSRF tokens read from
the forms the way a browser submits them)."""

from __future__ import annotations

import base64
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, select

from gateway.app import create_app
from gateway.auth.registry import register_app
from gateway.auth.staff import add_staff
from gateway.config import SourceConfig
from gateway.model import StaffAccount
from gateway.policy.agreement import parse_agreement
from gateway.store import make_engine
from gateway.sync.runner import run_sync
from tests.conftest import BACKENDS, _reset_postgres
from tests.oneroster.district import two_schools
from tests.store_snapshot import built_once

ADMIN = ("ada", "correct horse battery staple")
AUDITOR = ("aud", "auditors read everything")
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = TOKEN.search(html)
    assert found, "the page carries no CSRF token"
    return found.group(1)


@dataclass
class Browser:
    """One staff member's browser: the test client with its cookie jar."""

    client: FlaskClient
    token: str = ""

    def get(self, path: str, **kw: Any):  # noqa: ANN201
        response = self.client.get(path, **kw)
        found = response.mimetype == "text/html" and TOKEN.search(response.get_data(as_text=True))
        if found:
            self.token = found.group(1)
        return response

    def post(self, path: str, data: dict | None = None, *, csrf: bool = True, **kw: Any):  # noqa: ANN201
        data = dict(data or {})
        if csrf:
            if not self.token:
                self.get("/console/sign-in")
            data.setdefault("csrf_token", self.token)
        return self.client.post(path, data=data, **kw)

    def sign_in(self, username: str, password: str):  # noqa: ANN201
        self.get("/console/sign-in")
        response = self.post("/console/sign-in", {"username": username, "password": password})
        self.get("/console/")
        return response


@dataclass
class District:
    app: Flask
    engine: Any
    database_url: str = ""
    apps: dict[str, tuple[str, str]] = field(default_factory=dict)

    def browser(self, who: tuple[str, str] | None = ADMIN) -> Browser:
        browser = Browser(self.app.test_client())
        if who is not None:
            response = browser.sign_in(*who)
            assert response.status_code == 303, response.get_data(as_text=True)
        return browser

    def register(self, name: str = "Math Quest", **agreement: Any) -> tuple[str, str]:
        doc = {"name": f"{name} agreement", "purpose": "instruction", "expires": "2099-12-31",
               "scopes": ["roster.readonly", "roster-core.readonly"], **agreement}
        credentials = register_app(self.engine, name, parse_agreement(doc), actor="test")
        self.apps[name] = credentials
        return credentials

    def token(self, client_id: str, secret: str) -> Any:
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        return self.app.test_client().post(
            "/oauth/token", data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}"})

    def read(self, credentials: tuple[str, str], path: str) -> Any:
        token = self.token(*credentials).get_json()["access_token"]
        return self.app.test_client().get(path, headers={"Authorization": f"Bearer {token}"})


def district_store(engine: Any, staff_from: Path | None = None) -> None:
    """Sync the district and add its staff; `staff_from` (a store that has them) lends its
    accounts' rows instead of hashing the passwords again."""
    report = run_sync(engine, SourceConfig(name="sis", adapter="test"), iter(two_schools()),
                      adapter_name="test")
    assert report.state == "applied", report.issues[:5]
    if staff_from is None:
        add_staff(engine, *ADMIN, "administrator", actor="test")
        add_staff(engine, *AUDITOR, "auditor", actor="test")
        return
    accounts = StaffAccount.__table__
    source = make_engine(f"sqlite:///{staff_from}")
    with source.connect() as conn:
        rows = [{k: v for k, v in r._asdict().items() if k != "id"}
                for r in conn.execute(select(accounts))]
    source.dispose()
    with engine.begin() as conn:
        conn.execute(insert(accounts), rows)


@pytest.fixture(scope="session")
def district_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synced district and its staff, made once: each SQLite test copies the file (the
    password hashes are deliberately slow to make)."""
    path = tmp_path_factory.mktemp("district") / "store.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    district_store(engine)
    engine.dispose()
    return path


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def district(request, backend, tmp_path) -> District:
    """The district on each backend: a copy of the template on SQLite; on PostgreSQL the
    schema emptied (as the shared `database_url` fixture does) and the district restored from
    the process's snapshot of it (built the first time)."""
    if backend == "sqlite":
        path = tmp_path / "district.db"
        shutil.copy(request.getfixturevalue("district_template"), path)
        database_url = f"sqlite:///{path}"
        engine = make_engine(database_url)
        request.addfinalizer(engine.dispose)
    else:
        _reset_postgres(request.getfixturevalue("pg_engine"))
        database_url = request.getfixturevalue("pg_url")
        engine = make_engine(database_url)
        request.addfinalizer(engine.dispose)
        staff_from = request.getfixturevalue("district_template")
        built_once(engine, request.getfixturevalue("store_snapshots"), "two_schools+staff",
                   lambda engine: district_store(engine, staff_from))
    app = create_app({"database_url": database_url, "var_dir": str(tmp_path)})
    app.config["TESTING"] = True
    return District(app, engine, database_url)


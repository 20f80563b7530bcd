"""The hardening suite's district: the two-school district synced into a store on each
backend, served by the real app, and one app whose agreement grants every scope the gateway
serves (OneRoster reads and gradebook writes, Ed-Fi reads and writes, every sensitive
category), so probes reach every operation with a real token."""

from __future__ import annotations

import base64
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from gateway.app import close_app, create_app
from gateway.auth.registry import register_app
from gateway.config import SourceConfig
from gateway.policy.agreement import parse_agreement
from gateway.store import make_engine
from gateway.sync.runner import run_sync
from tests.conftest import BACKENDS, _reset_postgres
from tests.edfi.conftest import district
from tests.store_snapshot import built_once

ONEROSTER_SCOPES = ["roster-core.readonly", "roster.readonly", "roster-demographics.readonly",
                    "gradebook.readonly", "gradebook-core.readonly", "gradebook.createput",
                    "gradebook.delete", "resource.readonly", "resource-core.readonly"]
EDFI_SCOPES = ["edfi.readonly", "edfi.write"]
EVERYTHING = ["demographics", "birth_date", "contact", "identifiers"]


@dataclass
class District:
    app: Flask
    client: FlaskClient
    engine: Engine
    database_url: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def call(self, method: str, path: str, **kw: Any):  # noqa: ANN201
        headers = {**self.headers, **kw.pop("headers", {})}
        return self.client.open(path, method=method, headers=headers, **kw)


def token_for_everything(client: FlaskClient, engine: Engine, name: str = "prober") -> str:
    doc = {"name": name, "purpose": "instruction", "expires": "2099-12-31",
           "scopes": ONEROSTER_SCOPES + EDFI_SCOPES, "sensitive": EVERYTHING}
    creds = register_app(engine, name, parse_agreement(doc))
    basic = base64.b64encode(f"{creds.client_id}:{creds.client_secret}".encode()).decode()
    reply = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                        headers={"Authorization": f"Basic {basic}"})
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()["access_token"]


def load_district(engine: Engine) -> None:
    report = run_sync(engine, SourceConfig(name="sis", adapter="test"), iter(district()),
                      adapter_name="test")
    assert report.state == "applied", report.issues[:5]


@pytest.fixture
def served(engine: Engine, database_url: str, tmp_path: Path, store_snapshots) -> District:
    built_once(engine, store_snapshots, "edfi_district", load_district)
    app = create_app({"database_url": database_url, "var_dir": str(tmp_path)})
    app.config["TESTING"] = True
    client = app.test_client()
    return District(app, client, engine, database_url, token_for_everything(client, engine))


@pytest.fixture(scope="module", params=BACKENDS)
def probe(request: pytest.FixtureRequest, sqlite_template: Path,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[District]:
    """`served`, built once per module and backend, for probes that change nothing (or only
    what the module itself wrote): one sync and one token instead of one per case."""
    folder = tmp_path_factory.mktemp("district")
    if request.param == "sqlite":
        shutil.copy(sqlite_template, folder / "gateway.db")
        url = f"sqlite:///{folder / 'gateway.db'}"
    else:
        _reset_postgres(request.getfixturevalue("pg_engine"))
        url = request.getfixturevalue("pg_url")
    engine = make_engine(url)
    load_district(engine)
    app = create_app({"database_url": url, "var_dir": str(folder), "api_rate_limit": 10**9})
    app.config["TESTING"] = True
    client = app.test_client()
    yield District(app, client, engine, url, token_for_everything(client, engine))
    close_app(app)
    engine.dispose()

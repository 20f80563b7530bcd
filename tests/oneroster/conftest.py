"""A served district and a way to register apps under agreements and call the API as them."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gateway.app import create_app
from gateway.auth.registry import register_app
from gateway.config import SourceConfig
from gateway.policy.agreement import parse_agreement
from gateway.sync.runner import run_sync
from tests.oneroster.district import one_school, two_schools
from tests.store_snapshot import built_once

ALL_READ_SCOPES = ["roster-core.readonly", "roster.readonly", "roster-demographics.readonly",
                   "gradebook.readonly", "gradebook-core.readonly", "resource.readonly",
                   "resource-core.readonly"]


@dataclass
class Api:
    app: Flask
    client: FlaskClient
    engine: Any

    def register(self, **agreement: Any) -> tuple[str, str]:
        doc = {"name": "test app", "purpose": "instruction", "expires": "2099-12-31",
               "scopes": ALL_READ_SCOPES, **agreement}
        return register_app(self.engine, doc["name"], parse_agreement(doc))

    def token(self, client_id: str, secret: str, scope: str | None = None) -> str:
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        data = {"grant_type": "client_credentials"}
        if scope:
            data["scope"] = scope
        response = self.client.post("/oauth/token", data=data,
                                    headers={"Authorization": f"Basic {basic}"})
        assert response.status_code == 200, response.get_json()
        return response.get_json()["access_token"]

    def as_app(self, **agreement: Any) -> Callable[..., Any]:
        token = self.token(*self.register(**agreement))

        def get(path: str, **kw: Any):  # noqa: ANN202
            headers = {"Authorization": f"Bearer {token}", **kw.pop("headers", {})}
            return self.client.open(path, headers=headers, **kw)
        return get


def sync_two_schools(engine: Any) -> None:
    report = run_sync(engine, SourceConfig(name="sis", adapter="test"), iter(two_schools()),
                      adapter_name="test")
    assert report.state == "applied", report.issues[:5]


def sync_one_school(engine: Any, students: int) -> None:
    report = run_sync(engine, SourceConfig(name="sis", adapter="test"),
                      iter(one_school(students)), adapter_name="test")
    assert report.state == "applied", report.issues[:5]


def app_on_built_store(engine: Any, database_url: str, var_dir: Any, snapshots: Any,
                       name: str, build: Callable[[Any], None]) -> Flask:
    """A testing app over the store `build` fills, built once per process and backend (under
    `name`) and restored for each test."""
    built_once(engine, snapshots, name, build)
    app = create_app({"database_url": database_url, "var_dir": str(var_dir)})
    app.config["TESTING"] = True
    return app


def app_on_one_school(engine: Any, database_url: str, var_dir: Any, snapshots: Any,
                      students: int) -> Flask:
    return app_on_built_store(engine, database_url, var_dir, snapshots,
                              f"one_school_{students}", lambda e: sync_one_school(e, students))


@pytest.fixture
def api(engine, database_url, tmp_path, store_snapshots) -> Api:
    """The two-school district, synced once per process and backend, restored for each test."""
    app = app_on_built_store(engine, database_url, tmp_path, store_snapshots, "two_schools",
                             sync_two_schools)
    return Api(app, app.test_client(), engine)

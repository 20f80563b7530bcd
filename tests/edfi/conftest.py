"""The two-school district served through the real app, with helpers to call Ed-Fi as an app
registered under an agreement, and the OpenAPI document every response must satisfy. Each
parent's role names its child (`student`), as an Ed-Fi source's studentContactAssociation does,
so the district serves studentContactAssociations too."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from adapters.records import Event, Record
from conformance.openapi import OpenApiDocument
from gateway.app import create_app
from gateway.auth.registry import Credentials, register_app
from gateway.config import SourceConfig
from gateway.policy.agreement import parse_agreement
from gateway.sync.runner import run_sync
from tests.oneroster.district import two_schools
from tests.store_snapshot import StoreSnapshot, restore_snapshot, take_snapshot

SPEC = OpenApiDocument.load(Path(__file__).resolve().parents[2] / "specs/edfi/openapi.json")
DATA = "/data/v3/ed-fi"
EVERYTHING = ["demographics", "birth_date", "contact", "identifiers"]


@dataclass
class EdFi:
    app: Flask
    client: FlaskClient
    engine: Any

    def as_app(self, scopes: tuple[str, ...] = ("edfi.readonly",), **agreement: Any) -> Caller:
        return self.signed_in(self.register(scopes, **agreement))

    def register(self, scopes: tuple[str, ...] = ("edfi.readonly",),
                 **agreement: Any) -> Credentials:
        doc = {"name": "edfi app", "purpose": "instruction", "expires": "2099-12-31",
               "scopes": list(scopes), "sensitive": EVERYTHING, **agreement}
        return register_app(self.engine, doc["name"], parse_agreement(doc))

    def signed_in(self, creds: Credentials) -> Caller:
        """A caller holding a fresh token of an app already registered."""
        basic = base64.b64encode(f"{creds.client_id}:{creds.client_secret}".encode()).decode()
        reply = self.client.post("/oauth/token", data={"grant_type": "client_credentials"},
                                 headers={"Authorization": f"Basic {basic}"})
        assert reply.status_code == 200, reply.get_json()
        return Caller(self.client, reply.get_json()["access_token"])


@dataclass
class Caller:
    client: FlaskClient
    token: str

    def __call__(self, method: str, path: str, **kw: Any):  # noqa: ANN204
        headers = {"Authorization": f"Bearer {self.token}", **kw.pop("headers", {})}
        url = DATA + path[len("/ed-fi"):] if path.startswith("/ed-fi") else path
        return self.client.open(url, method=method, headers=headers, **kw)

    def get(self, path: str, **kw: Any):  # noqa: ANN201
        return self("GET", path, **kw)


def conforms(method: str, path: str, reply) -> Any:  # noqa: ANN001
    """The reply's JSON, after checking it against specs/edfi/openapi.json (against the read
    profile's twin when a profile narrowed it)."""
    body = reply.get_json()
    full = DATA + path[len("/ed-fi"):] if path.startswith("/ed-fi") else path
    profiled = reply.mimetype.startswith("application/vnd.ed-fi.")
    problems = SPEC.validate_response(method, full.split("?")[0], reply.status_code, body,
                                      partial=profiled)
    assert not problems, [str(p) for p in problems[:5]]
    return body


def district() -> list[Event]:
    """two_schools, with each parent's role towards its one child (par-a1 -> stu-a1)."""
    events = two_schools()
    for event in events:
        if isinstance(event, Record) and event.sourced_id.startswith("r-par-"):
            event.fields["student"] = "stu-" + event.sourced_id.removeprefix("r-par-")
    return events


@pytest.fixture(scope="session")
def district_snapshots() -> dict[str, StoreSnapshot]:
    """The synced district's store, per backend: synced once, restored for every test."""
    return {}


@pytest.fixture
def edfi(engine, database_url, tmp_path, district_snapshots) -> EdFi:
    backend = engine.dialect.name
    if backend in district_snapshots:
        restore_snapshot(engine, district_snapshots[backend])
    else:
        report = run_sync(engine, SourceConfig(name="sis", adapter="test"), iter(district()),
                          adapter_name="test")
        assert report.state == "applied", report.issues[:5]
        district_snapshots[backend] = take_snapshot(engine)
    app = create_app({"database_url": database_url, "var_dir": str(tmp_path)})
    app.config["TESTING"] = True
    return EdFi(app, app.test_client(), engine)

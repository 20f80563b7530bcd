"""Fixtures for the authorization server: a real app on a migrated store, apps registered
through the real registry, and helpers that speak HTTP Basic and read tokens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from gateway.app import create_app
from gateway.auth.oauth1_vault import OAuth1Vault
from gateway.auth.registry import Credentials, register_app
from gateway.policy.agreement import parse_agreement
from tests.auth.helpers import basic


@pytest.fixture
def var_dir(tmp_path: Path) -> Path:
    return tmp_path / "var"


@pytest.fixture
def make_node(database_url: str, var_dir: Path) -> Callable[..., Flask]:
    """A gateway process on the shared store; call it twice for two nodes."""

    def make(**settings: Any) -> Flask:
        app = create_app({"database_url": database_url, "var_dir": str(var_dir), **settings})
        app.testing = True
        return app

    return make


@pytest.fixture
def app(make_node: Callable[..., Flask]) -> Flask:
    return make_node()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def vault(var_dir: Path) -> OAuth1Vault:
    return OAuth1Vault(var_dir / "oauth1.key")


@pytest.fixture
def register(engine: Engine, vault: OAuth1Vault) -> Callable[..., Credentials]:
    """Register an app through the registry under an agreement built from keywords."""

    def make(name: str = "Reading Buddy", *, scopes: list[str] | None = None,
             expires: date | None = None, oauth1: bool = False) -> Credentials:
        agreement = parse_agreement({
            "name": f"{name} agreement", "purpose": "instruction",
            "expires": (expires or date.today() + timedelta(days=365)).isoformat(),
            "scopes": scopes or ["roster-core.readonly", "roster.readonly"],
        })
        return register_app(engine, name, agreement, oauth1=vault if oauth1 else None)

    return make


@pytest.fixture
def get_token(client: FlaskClient) -> Callable[..., str]:
    def fetch(credentials: Credentials, scope: str | None = None) -> str:
        form = {"grant_type": "client_credentials"}
        if scope is not None:
            form["scope"] = scope
        response = client.post("/oauth/token", data=form, headers=basic(*credentials))
        assert response.status_code == 200, response.json
        return response.json["access_token"]

    return fetch

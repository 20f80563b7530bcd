"""Reading a district back through the APIs, to compare two gateways on what they serve."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from gateway.app import create_app
from gateway.auth.registry import Credentials, register_app
from gateway.policy.agreement import parse_agreement
from gateway.store import make_engine
from tests.rest_api.upstream import SCOPES, SENSITIVE

Get = Callable[[str], Any]
ROSTER = {"v1p2": "/ims/oneroster/rostering/v1p2", "v1p1": "/ims/oneroster/v1p1"}
# What only the serving gateway decides: when it changed a row, and its own address.
_LOCAL = frozenset({"dateLastModified", "href", "id", "_etag", "_lastModifiedDate", "link"})


def served_over_http(url: str, creds: Credentials) -> Get:
    token = requests.post(f"{url}/oauth/token", data={"grant_type": "client_credentials"},
                          auth=(creds.client_id, creds.client_secret), timeout=10
                          ).json()["access_token"]

    def get(path: str) -> Any:
        reply = requests.get(f"{url}{path}", headers={"Authorization": f"Bearer {token}"},
                             timeout=30)
        assert reply.status_code == 200, (path, reply.text[:500])
        return reply.json()
    return get


def served_in_process(database_url: str, var_dir: Path) -> Get:
    engine = make_engine(database_url)
    creds = register_app(engine, "reader", parse_agreement({
        "name": "reader", "purpose": "instruction", "expires": "2099-12-31", "scopes": SCOPES,
        "sensitive": SENSITIVE}))
    engine.dispose()
    client = create_app({"database_url": database_url, "var_dir": str(var_dir)}).test_client()
    basic = base64.b64encode(f"{creds.client_id}:{creds.client_secret}".encode()).decode()
    token = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                        headers={"Authorization": f"Basic {basic}"}).get_json()["access_token"]

    def get(path: str) -> Any:
        reply = client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert reply.status_code == 200, (path, reply.get_data(as_text=True)[:500])
        return reply.get_json()
    return get


def content(value: Any) -> Any:
    """A served object without what only its server decides, lists in a stable order."""
    if isinstance(value, dict):
        return {k: content(v) for k, v in value.items() if k not in _LOCAL}
    if isinstance(value, list):
        items = [content(v) for v in value]
        return sorted(items, key=repr)
    return value


def oneroster(get: Get, version: str, collection: str) -> list[Any]:
    rows: list[Any] = []
    while True:
        page = get(f"{ROSTER[version]}/{collection}?limit=500&offset={len(rows)}")[collection]
        rows += page
        if len(page) < 500:
            return sorted((content(r) for r in rows), key=lambda r: r["sourcedId"])


def edfi(get: Get, resource: str) -> list[Any]:
    rows: list[Any] = []
    while True:
        page = get(f"/data/v3/ed-fi/{resource}?limit=500&offset={len(rows)}")
        rows += page
        if len(page) < 500:
            return sorted((content(r) for r in rows), key=repr)

"""The hot reads are index range scans: every statement a page, a nested page or a single read
runs is explained by the database itself (EXPLAIN QUERY PLAN on SQLite; EXPLAIN on PostgreSQL
with sequential scans priced out, so a plan that still scans has no usable index), and none
scans users, roles or enrollments.

Totals and deep-page anchors walk a whole listing by nature; the engine runs them once per
store version and caches them, so they are not hot and are left out here (they are the
statements without LIMIT).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import event

from gateway.app import create_app
from tests.golden.capture import ALL_READ_SCOPES, DISTRICTS, _token, load

# pseudonym_order: a pseudonymous app's pages walk its keys (gateway/policy/pseudonym_order.py)
HOT_TABLES = ("users", "user_roles", "enrollments", "pseudonym_order")
PSEUDONYMOUS = {"pseudonymous_ids": True}
V12 = "/ims/oneroster/rostering/v1p2"
V11 = "/ims/oneroster/v1p1"


@pytest.fixture
def served(engine, database_url: str, tmp_path: Path):  # noqa: ANN201
    load(engine, DISTRICTS[0], tmp_path)
    app = create_app({"database_url": database_url, "var_dir": str(tmp_path)})
    return app, app.test_client(), engine


def _statements(app: Any, client: Any, headers: dict[str, str], path: str) -> list:
    seen: list[tuple[str, Any]] = []
    reads = app.extensions["gateway.store"].snapshots

    def capture(_conn, _cursor, statement, parameters, _context, _many) -> None:  # noqa: ANN001
        seen.append((statement, parameters))

    event.listen(reads, "before_cursor_execute", capture)
    try:
        response = client.get(path, headers=headers)
    finally:
        event.remove(reads, "before_cursor_execute", capture)
    assert response.status_code == 200, (path, response.get_json())
    return [(s, p) for s, p in seen if s.lstrip().upper().startswith("SELECT")
            and " LIMIT " in s.upper()]


def _scans(engine: Any, statement: str, parameters: Any, nested: bool) -> list[str]:
    """The hot tables a statement reads by scanning rather than by index. A nested page (the
    members of one class or school) must also start from its parent's members, not walk the
    whole family in order testing each row (SQLite: a range on status alone)."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            scans = [row[-1] for row in plan
                     if any(row[-1].startswith(f"SCAN {t}") for t in HOT_TABLES)]
            if nested:
                scans += [row[-1] for row in plan if row[-1].endswith("(status=?)")
                          and any(row[-1].startswith(f"SEARCH {t} ") for t in HOT_TABLES)]
            return scans
        conn.exec_driver_sql("SET enable_seqscan = off")
        (plan,), = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).all()
        nodes = []

        def walk(node: dict) -> None:
            if node.get("Node Type") == "Seq Scan" and node.get("Relation Name") in HOT_TABLES:
                nodes.append(f"Seq Scan on {node['Relation Name']}")
            for child in node.get("Plans", []):
                walk(child)

        walk((plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"])
        return nodes


def _paths(client: Any, headers: dict[str, str]) -> list[str]:
    users = client.get(f"{V12}/students?limit=1", headers=headers).get_json()["users"]
    student = users[0]["sourcedId"]
    school = client.get(f"{V12}/schools?limit=1", headers=headers).get_json()["orgs"][0]
    klass = client.get(f"{V12}/schools/{school['sourcedId']}/classes?limit=1",
                       headers=headers).get_json()["classes"][0]["sourcedId"]
    school_id = school["sourcedId"]
    return [
        f"{V12}/users?limit=100", f"{V12}/users?limit=10&offset=250", f"{V11}/users?limit=50",
        f"{V12}/users/{quote(student)}", f"{V12}/students?limit=100",
        f"{V12}/schools/{school_id}/classes", f"{V12}/schools/{school_id}/enrollments",
        f"{V12}/classes/{klass}/students", f"{V12}/schools/{school_id}/students",
        f"{V12}/enrollments?limit=100", f"{V12}/users?filter=" + quote("givenName='Ann'"),
    ]


@pytest.mark.parametrize("pseudonymous", [False, True], ids=["district-ids", "pseudonymous"])
@pytest.mark.parametrize("scoped", [False, True], ids=["district-wide", "one-school"])
def test_every_hot_read_uses_an_index_on_users_roles_and_enrollments(served, scoped: bool,
                                                                      pseudonymous: bool):
    app, client, engine = served
    probe = {"Authorization": f"Bearer {_token(client, engine, 'probe', {})[0]}"}
    school = client.get(f"{V12}/schools?limit=1", headers=probe).get_json()["orgs"][0]
    extra = {"schools": [school["sourcedId"]]} if scoped else {}
    if pseudonymous:
        extra.update(PSEUDONYMOUS)
    headers = {"Authorization": f"Bearer {_token(client, engine, 'reader', extra)[0]}"}
    scans = {}
    for path in _paths(client, headers):
        nested = path.count("/") > V12.count("/") + 1 and "/users/" not in path
        for statement, parameters in _statements(app, client, headers, path):
            found = _scans(engine, statement, parameters, nested)
            if found:
                scans[path] = found
    assert not scans, scans


EDFI = "/data/v3/ed-fi"


@pytest.mark.parametrize("pseudonymous", [False, True], ids=["district-ids", "pseudonymous"])
@pytest.mark.parametrize("scoped", [False, True], ids=["district-wide", "one-school"])
def test_every_hot_edfi_read_uses_an_index_on_users_roles_and_enrollments(served, scoped: bool,
                                                                           pseudonymous: bool):
    """Ed-Fi pages go through the same engine: a page of students or of associations, a later
    page and a page token are range scans too (the pseudonymous default app's)."""
    app, client, engine = served
    scopes = {"scopes": [*ALL_READ_SCOPES, "edfi.readonly"]}
    probe = {"Authorization": f"Bearer {_token(client, engine, 'probe', scopes)[0]}"}
    school = client.get(f"{V12}/schools?limit=1", headers=probe).get_json()["orgs"][0]
    extra = {**scopes, **({"schools": [school["sourcedId"]]} if scoped else {}),
             **(PSEUDONYMOUS if pseudonymous else {})}
    headers = {"Authorization": f"Bearer {_token(client, engine, 'reader', extra)[0]}"}
    first = client.get(f"{EDFI}/students?pageSize=5", headers=headers)
    paths = [f"{EDFI}/students?limit=500", f"{EDFI}/students?limit=10&offset=20",
             f"{EDFI}/studentSchoolAssociations?limit=500",
             f"{EDFI}/studentSectionAssociations?limit=500",
             f"{EDFI}/students?pageSize=5&pageToken={first.headers['Next-Page-Token']}"]
    scans = {}
    for path in paths:
        statements = _statements(app, client, headers, path)
        assert statements, path  # the page's own statement was seen
        for statement, parameters in statements:
            found = _scans(engine, statement, parameters, False)
            if found:
                scans[path] = found
    assert not scans, scans

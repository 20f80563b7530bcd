"""An API write that cannot get the store's write lock within `write_lock_timeout` answers 503
with Retry-After in the API's own error format (before: 500 "database is locked" on SQLite, an
unbounded wait on PostgreSQL), leaves the store unchanged, and lands once the lock is free."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from gateway.app import create_app
from gateway.model import ROSTER_TABLES
from tests.edfi.conftest import Caller, EdFi
from tests.oneroster.conftest import Api
from tests.store.write_lock import write_lock_held

WAIT = 0.5  # the app's write_lock_timeout in these tests
STUDENT = {"studentUniqueId": "880001", "firstName": "Busy", "lastSurname": "Store",
           "birthDate": "2012-05-14"}
GB12 = "/ims/oneroster/gradebook/v1p2"
LINE_ITEM = {"lineItem": {"title": "Essay", "assignDate": "2026-10-01T00:00:00Z",
                          "dueDate": "2026-10-08T00:00:00Z", "class": {"sourcedId": "cls-a"},
                          "school": {"sourcedId": "sch-a"}, "category": {"sourcedId": "cat-hw"}}}


def _app(database_url: str, tmp_path):  # noqa: ANN001, ANN202
    app = create_app({"database_url": database_url, "var_dir": str(tmp_path),
                      "write_lock_timeout": WAIT})
    app.config["TESTING"] = True
    return app


def _users(engine) -> int:  # noqa: ANN001
    users = ROSTER_TABLES["users"]
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(users)).scalar_one()


def test_edfi_post_while_the_lock_is_held_answers_503_problem_with_retry_after(
    edfi, database_url, tmp_path,
) -> None:
    app = _app(database_url, tmp_path)
    token = EdFi(app, app.test_client(), edfi.engine).as_app(
        scopes=("edfi.readonly", "edfi.write")).token
    call = Caller(app.test_client(), token)
    before = _users(edfi.engine)
    with write_lock_held(database_url):
        started = time.perf_counter()
        reply = call("POST", "/ed-fi/students", json=STUDENT)
        waited = time.perf_counter() - started
    assert reply.status_code == 503, reply.get_json()
    assert reply.mimetype == "application/problem+json"
    problem = reply.get_json()
    assert problem["type"] == "urn:ed-fi:api:service-unavailable"
    assert problem["status"] == 503 and "write lock" in problem["detail"]
    assert int(reply.headers["Retry-After"]) >= 1
    assert WAIT * 0.8 <= waited < 5, waited  # the API write's wait, not the sync's 30 s
    assert _users(edfi.engine) == before
    assert call("POST", "/ed-fi/students", json=STUDENT).status_code == 201
    assert _users(edfi.engine) == before + 1


def test_oneroster_put_while_the_lock_is_held_answers_503_imsx_with_retry_after(
    api, database_url, tmp_path,
) -> None:
    app = _app(database_url, tmp_path)
    writer = Api(app, app.test_client(), api.engine).as_app(
        scopes=["gradebook.createput", "gradebook.readonly"], schools=["sch-a"])
    assert writer(f"{GB12}/lineItems").status_code == 200  # the rate limit's first tally
    with write_lock_held(database_url):
        reply = writer(f"{GB12}/lineItems/li-busy", method="PUT", json=LINE_ITEM)
    assert reply.status_code == 503, reply.get_json()
    body = reply.get_json()
    assert body["imsx_codeMajor"] == "failure"
    assert body["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] == \
        "server_busy"
    assert "write lock" in body["imsx_description"]
    assert int(reply.headers["Retry-After"]) >= 1
    assert writer(f"{GB12}/lineItems/li-busy").status_code == 404
    assert writer(f"{GB12}/lineItems/li-busy", method="PUT",
                  json=LINE_ITEM).status_code == 201

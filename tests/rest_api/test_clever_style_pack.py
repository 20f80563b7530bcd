"""pack:clever-style reads an API of another shape than OneRoster or Ed-Fi: a `data` envelope
of items wrapping their record in `data`, next pages as `links` rel=next (cursor paging by
`starting_after`), roles as a map of role kinds, and sections listing their people. The API is
a real HTTP server (pytest-httpserver) answering in that shape."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import Engine, select
from werkzeug import Request, Response

from adapters.rest_api import RestApiAdapter
from gateway.config import SourceConfig
from gateway.model import ROSTER_TABLES
from gateway.sync.runner import run_sync

DATA = {
    "districts": [{"id": "d1", "name": "Maple Valley", "nces_id": "1700001"}],
    "schools": [{"id": "s1", "name": "Maple Elementary", "district": "d1", "state_id": "42"},
                {"id": "s2", "name": "Maple Middle", "district": "d1"}],
    "terms": [{"id": "t1", "name": "2026-2027", "start_date": "2026-08-20",
               "end_date": "2027-06-10", "district": "d1"}],
    "courses": [{"id": "c1", "name": "Math 5", "number": "M5", "district": "d1"}],
    "users": [
        {"id": "u1", "email": "ada@maple.example", "name": {"first": "Ada", "last": "Li"},
         "roles": {"student": {"school": "s1", "grade": "5", "sis_id": "1001",
                               "dob": "2015-03-02", "gender": "F"}}},
        {"id": "u2", "name": {"first": "Ben", "last": "Ortiz", "middle": "J"},
         "roles": {"student": {"school": "s1", "grade": "Kindergarten", "sis_id": "1002",
                               "gender": "M"}}},
        {"id": "u3", "email": "kim@maple.example", "name": {"first": "Kim", "last": "Park"},
         "roles": {"teacher": {"school": "s1", "sis_id": "T9"}}},
    ],
    "sections": [{"id": "sec1", "name": "Math 5 A", "section_number": "A", "course": "c1",
                  "school": "s1", "term_id": "t1", "grade": "5", "period": "2",
                  "students": ["u1", "u2"], "teachers": ["u3"], "teacher": "u3"}],
}


def clever(request: Request) -> Response:
    if request.path == "/oauth/tokens":
        return Response(json.dumps({"access_token": "tok", "token_type": "bearer"}),
                        content_type="application/json")
    assert request.headers.get("Authorization") == "Bearer tok"
    collection = request.path.rsplit("/", 1)[1]
    items = DATA[collection]
    after = request.args.get("starting_after")
    start = next(i + 1 for i, item in enumerate(items) if item["id"] == after) if after else 0
    page = items[start:start + int(request.args.get("limit", 1))]
    links = [{"rel": "self", "uri": request.full_path}]
    if start + len(page) < len(items):
        links.append({"rel": "next",
                      "uri": f"/v3.0/{collection}?limit=1&starting_after={page[-1]['id']}"})
    body = {"data": [{"data": item, "uri": f"/v3.0/{collection}/{item['id']}"}
                     for item in page], "links": links}
    return Response(json.dumps(body), content_type="application/json")


@pytest.fixture
def clever_api() -> Iterator[HTTPServer]:
    server = HTTPServer()
    server.start()
    server.expect_request("/oauth/tokens").respond_with_handler(clever)
    for collection in DATA:
        server.expect_request(f"/v3.0/{collection}").respond_with_handler(clever)
    yield server
    server.clear()
    server.stop()


def rows(engine: Engine, family: str) -> dict[str, dict]:
    table = ROSTER_TABLES[family]
    with engine.connect() as conn:
        return {sid: json.loads(data) for sid, data in
                conn.execute(select(table.c.sourced_id, table.c.data))}


def test_a_clever_style_api_becomes_the_canonical_roster(engine: Engine,
                                                         clever_api: HTTPServer) -> None:
    adapter = RestApiAdapter(connector="pack:clever-style", base_url=clever_api.url_for("/"),
                             client_id="app", client_secret="secret", page_size=1)
    report = run_sync(engine, SourceConfig(name="clever", adapter="rest-api"), adapter.read(),
                      adapter_name="rest-api")
    assert report.state == "applied", (report.message, report.issues[:3])
    assert report.rows_rejected == 0
    assert report.source_stats["pages"] == 9  # one record a page, following links rel=next
    assert rows(engine, "orgs")["clever-s1"] == {
        "name": "Maple Elementary", "type": "school", "identifier": "42",
        "parent": "clever-d1"}
    users = rows(engine, "users")
    assert users["clever-u2"] == {"enabledUser": True, "username": "u2", "givenName": "Ben",
                                  "familyName": "Ortiz", "middleName": "J",
                                  "identifier": "1002", "grades": ["KG"],
                                  "primaryOrg": "clever-s1"}
    assert {r["role"] for r in rows(engine, "roles").values()} == {"student", "teacher"}
    assert rows(engine, "demographics")["clever-u1"] == {"birthDate": "2015-03-02",
                                                         "sex": "female"}
    assert rows(engine, "academicSessions")["clever-t1"]["schoolYear"] == "2027"
    enrollments = rows(engine, "enrollments")
    assert sorted((e["user"], e["role"], e.get("primary")) for e in enrollments.values()) == [
        ("clever-u1", "student", None), ("clever-u2", "student", None),
        ("clever-u3", "teacher", True)]

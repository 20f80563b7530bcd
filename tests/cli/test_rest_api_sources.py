"""`gateway sources check` and `gateway sync` for a REST API source: a bad connector is named
at its YAML line, `--probe` fetches one page of each stream from the real API and shows the
mapped records, and a sync prints what the API cost and where each stream's bookmark stands."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer

from tests.cli.conftest import Workspace
from tests.rest_api.fake_vendor import CONNECTOR, FakeVendor

BROKEN = CONNECTOR.replace("records: data", "records: 'data[' ").replace(
    "username: login", "username: login\n          nickname: login").replace(
    "type: offset,", "type: ofset,")


@pytest.fixture
def vendor_api() -> Iterator[HTTPServer]:
    server = HTTPServer()
    server.start()
    vendor = FakeVendor()
    for path in ("/token", "/people"):
        server.expect_request(path).respond_with_handler(vendor.handle)
    yield server
    server.clear()
    server.stop()


def add_vendor(workspace: Workspace, connector: str, url: str) -> None:
    path = workspace.folder / "vendor.yaml"
    path.write_text(connector, encoding="utf-8")
    workspace.add_source("vendor", "rest-api", connector=str(path), base_url=url,
                         client_id="puller", client_secret="VENDOR_SECRET")


def test_a_bad_connector_is_reported_at_its_line(workspace: Workspace,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VENDOR_SECRET", "s3cret")
    add_vendor(workspace, BROKEN, "http://127.0.0.1:9")
    lines = workspace.gateway("sources", "check", expect=1).output.splitlines()
    assert lines[0] == "vendor: 1 problem(s)"
    assert lines[1].endswith("vendor.yaml:9:20: streams[0].paging.type: paging type is one "
                             "of none, offset, page_number, cursor, next_link")
    add_vendor(workspace, BROKEN.replace("type: ofset,", "type: offset,"), "http://x")
    workspace.config.write_text(workspace.config.read_text().replace(
        '[sources.vendor]', '[sources.old]', 1), encoding="utf-8")
    lines = workspace.gateway("sources", "check", "vendor", expect=1).output.splitlines()
    assert any(":8:14: streams[0].records: 'data[' is not a JMESPath path" in line
               for line in lines), lines
    assert any(":21:11: streams[0].entities[0].fields.nickname: 'nickname' is not a field of "
               "users" in line for line in lines), lines


def test_probe_shows_one_page_of_each_stream_mapped(workspace: Workspace, vendor_api: HTTPServer,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VENDOR_SECRET", "s3cret")
    add_vendor(workspace, CONNECTOR, vendor_api.url_for("/"))
    lines = workspace.gateway("sources", "check", "--probe").output.splitlines()
    assert lines[0] == "vendor: ok"
    assert lines[1].startswith("  people: http://localhost") and "limit=2&offset=0" in lines[1]
    assert lines[2] == ('    users p-0: {"enabledUser": "true", "username": "u0", '
                        '"givenName": "First0", "familyName": "Last0"}')
    assert lines[3].startswith("    users p-1: ")
    assert workspace.gateway("runs").output == ""  # nothing imported


def test_a_sync_prints_what_the_api_cost_and_the_bookmarks(
        workspace: Workspace, vendor_api: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VENDOR_SECRET", "s3cret")
    add_vendor(workspace, CONNECTOR, vendor_api.url_for("/"))
    output = workspace.gateway("sync", "vendor").output
    assert "api: 3 requests, 3 pages, 5 records, 0 retries, 1 tokens" in output
    assert "bookmarks (kept): people=2025-01-01T00:00:00Z" in output
    again = workspace.gateway("sync", "vendor").output
    assert re.search(r"^users\s+delta\s+0\s+0\s+0\s+0\s+0\s+0$", again, re.M), again
    assert "the store already matches the source" in again

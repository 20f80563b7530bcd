"""How a pull from a misbehaving API ends: a correct retry, or a precise error and a store
exactly as it was (with its bookmark), from which the next good run resumes. The API is a real
HTTP server (pytest-httpserver) playing a small vendor JSON API (fake_vendor.py)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import Engine, select

from adapters.rest_api import RestApiAdapter
from gateway.config import SourceConfig
from gateway.model import ROSTER_TABLES
from gateway.sync import bookmarks
from gateway.sync.report import RunReport
from gateway.sync.runner import run_sync
from tests.rest_api.fake_vendor import CONNECTOR, FakeVendor, person


@pytest.fixture
def api() -> Iterator[tuple[HTTPServer, FakeVendor]]:
    server = HTTPServer(threaded=True)
    server.start()
    vendor = FakeVendor()
    server.expect_request("/token", method="POST").respond_with_handler(vendor.handle)
    server.expect_request("/people").respond_with_handler(vendor.handle)
    yield server, vendor
    server.clear()
    server.stop()


@pytest.fixture
def connector(tmp_path: Path) -> Path:
    path = tmp_path / "vendor.yaml"
    path.write_text(CONNECTOR, encoding="utf-8")
    return path


def pull(engine: Engine, server: HTTPServer, connector: Path, **options: object) -> RunReport:
    os.environ["FAKE_VENDOR_SECRET"] = "s3cret"
    adapter = RestApiAdapter(connector=str(connector), base_url=server.url_for("/"),
                             client_id="puller", client_secret="s3cret", **options)
    return run_sync(engine, SourceConfig(name="vendor", adapter="rest-api"), adapter.read(),
                    adapter_name="rest-api")


def names(engine: Engine) -> dict[str, str]:
    users = ROSTER_TABLES["users"]
    with engine.connect() as conn:
        rows = conn.execute(select(users.c.sourced_id, users.c.data, users.c.status)).all()
    return {sid: f"{status}:{data}" for sid, data, status in rows}


def marks(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return bookmarks.stored(conn, "vendor")


def fatal(report: RunReport) -> str:
    assert report.state == "failed", (report.state, report.message)
    return next(i.reason for i in report.issues if i.level == "fatal")


@pytest.fixture
def pulled_once(engine: Engine, api, connector) -> tuple[dict[str, str], dict[str, str]]:  # noqa: ANN001
    """A first, clean pull; then the vendor changes person 1 (the next pull's only change)."""
    server, vendor = api
    report = pull(engine, server, connector)
    assert report.state == "applied" and report.family("users").inserted == 5
    vendor.people[1] = person(1, "2025-02-01T00:00:00Z", login="renamed")
    return names(engine), marks(engine)


def test_a_500_is_retried_and_the_run_applies(engine, api, connector) -> None:
    server, vendor = api
    vendor.faults["500"] = 2
    report = pull(engine, server, connector)
    assert report.state == "applied", report.message
    assert report.source_stats["retries"] == 2
    assert report.family("users").inserted == 5


def test_a_429_is_retried_after_the_wait_it_asks_for(engine, api, connector) -> None:
    server, vendor = api
    vendor.faults["429"] = 1
    started = time.monotonic()
    report = pull(engine, server, connector)
    assert report.state == "applied", report.message
    assert report.source_stats["retries"] == 1
    assert time.monotonic() - started >= 1.0  # Retry-After: 1


def test_a_retry_after_longer_than_allowed_is_an_error_not_a_day_of_sleep(
        engine, api, connector, pulled_once) -> None:
    server, vendor = api
    before, mark = pulled_once
    vendor.faults["429_long"] = -1
    reason = fatal(pull(engine, server, connector))
    assert "Retry-After" in reason and "3600 s" in reason and "max_retry_after = 5" in reason
    assert names(engine) == before and marks(engine) == mark


def test_a_timeout_is_retried(engine, api, connector) -> None:
    server, vendor = api
    vendor.faults["slow"] = 1
    report = pull(engine, server, connector)
    assert report.state == "applied", report.message
    assert report.source_stats["retries"] == 1


def test_a_server_that_stays_too_slow_ends_the_run_with_the_timeout(
        engine, api, connector, pulled_once) -> None:
    server, vendor = api
    before, mark = pulled_once
    vendor.faults["slow"] = -1
    reason = fatal(pull(engine, server, connector))
    assert "/people" in reason and "timed out" in reason and "after 2 retries" in reason
    assert names(engine) == before and marks(engine) == mark


def test_a_malformed_json_page_is_named_and_nothing_is_applied(
        engine, api, connector, pulled_once) -> None:
    server, vendor = api
    before, mark = pulled_once
    vendor.faults["malformed"] = -1
    reason = fatal(pull(engine, server, connector))
    assert "not valid JSON" in reason and "line 1 column" in reason
    assert "updated_since=2025-01-01T00%3A00%3A00Z" in reason  # the page's URL
    assert names(engine) == before and marks(engine) == mark


def test_a_truncated_page_is_an_error_and_the_next_good_run_resumes(
        engine, api, connector, pulled_once) -> None:
    server, vendor = api
    before, mark = pulled_once
    vendor.faults["truncated"] = -1
    report = pull(engine, server, connector, page_size=1)
    reason = fatal(report)
    assert "ended early" in reason or "not valid JSON" in reason
    assert names(engine) == before and marks(engine) == mark
    vendor.faults["truncated"] = 0
    resumed = pull(engine, server, connector)
    assert resumed.state == "applied" and resumed.modes == {"users": "delta"}
    assert resumed.family("users").updated == 1
    assert marks(engine) == {"people": "2025-02-01T00:00:00Z"}


def test_a_paging_loop_is_stopped(engine, api, connector, pulled_once) -> None:
    server, vendor = api
    before, mark = pulled_once
    vendor.people += [person(n, "2025-03-01T00:00:00Z") for n in range(5, 9)]
    vendor.faults["loop"] = -1
    reason = fatal(pull(engine, server, connector))
    assert "paging loop" in reason
    assert names(engine) == before and marks(engine) == mark


def test_a_401_mid_run_gets_one_fresh_token_then_an_error_naming_the_url(
        engine, api, connector, pulled_once) -> None:
    server, vendor = api
    before, mark = pulled_once
    vendor.faults["401"] = 1
    report = pull(engine, server, connector)
    assert report.state == "applied" and report.source_stats["token_refreshes"] == 2
    vendor.faults["401"] = -1
    reason = fatal(pull(engine, server, connector))
    assert "HTTP 401" in reason and "/people" in reason and "invalid_token" in reason
    vendor.faults["401"] = 0
    vendor.faults["token_refused"] = -1
    reason = fatal(pull(engine, server, connector))
    assert "/token" in reason and "invalid_client" in reason and "unknown client" in reason
    assert marks(engine) != mark  # the applied run advanced it; the failed ones did not
    assert marks(engine) == {"people": "2025-02-01T00:00:00Z"}


def test_an_expired_token_is_replaced_before_it_is_refused(engine, api, tmp_path) -> None:
    """The vendor pauses longer than its token lives (a timeout long enough to wait for it, so
    the pause is not a retry): the next page goes out with a fresh token, never the stale one."""
    server, vendor = api
    patient = tmp_path / "patient.yaml"
    patient.write_text(CONNECTOR.replace("timeout: 0.5", "timeout: 10"), encoding="utf-8")
    vendor.token_lifetime = 1
    vendor.faults["expire_wait"] = 1
    report = pull(engine, server, patient)
    assert report.state == "applied", report.message
    # At least one refresh, and never a stale token sent. More than one refresh is right too:
    # on a busy machine another page can take longer than the token's one-second life.
    assert vendor.tokens_issued >= 2 and vendor.hits["401"] == 0


def test_a_huge_response_is_refused_before_it_fills_memory(
        engine, api, connector, pulled_once) -> None:
    server, vendor = api
    before, mark = pulled_once
    vendor.faults["huge"] = -1
    reason = fatal(pull(engine, server, connector, page_size=1))
    assert "max_response_bytes = 20,000" in reason
    assert names(engine) == before and marks(engine) == mark


def test_an_incremental_pull_tombstones_only_what_the_api_says_was_deleted(
        engine, api, connector, pulled_once) -> None:
    server, vendor = api
    vendor.people[2] = person(2, "2025-02-02T00:00:00Z", deleted=True)
    del vendor.people[3]  # vanished without a signal: an incremental pull cannot know
    report = pull(engine, server, connector)
    assert report.state == "applied" and report.modes == {"users": "delta"}
    counts = report.family("users")
    assert (counts.updated, counts.deleted) == (1, 1)
    after = names(engine)
    assert after["p-2"].startswith("tobedeleted") and after["p-3"].startswith("active")

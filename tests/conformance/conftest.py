from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from conformance.cases import load_suite
from conformance.checks import known_checks
from conformance.config import RunConfig
from conformance.outcome import Result
from conformance.runner import run

from .fake_oneroster import FORBIDDEN_SCHOOL, OPTED_OUT, FakeOneRoster

REAL_SPECS = Path(__file__).resolve().parents[2] / "specs"

RunSuite = Callable[..., dict[str, Result]]


def oneroster_config(server: HTTPServer, **overrides: object) -> RunConfig:
    settings: dict[str, object] = {
        "suite": "oneroster",
        "base_url": server.url_for("/").rstrip("/"),
        "token_url": server.url_for("/oauth/token"),
        "client_id": "app",
        "client_secret": "app-secret",
        "version": "1.2",
        "write": True,
        "timeout": 5.0,
        "max_pages": 20,
        "specs_dir": REAL_SPECS,
        "opted_out_student": OPTED_OUT,
        "forbidden_school": FORBIDDEN_SCHOOL,
        "other_client_id": "other",
        "other_client_secret": "other-secret",
        "revocation_url": server.url_for("/oauth/revoke"),
    }
    settings.update(overrides)
    return RunConfig(**settings)  # type: ignore[arg-type]


@pytest.fixture
def run_oneroster(httpserver: HTTPServer) -> RunSuite:
    """Serve a fake OneRoster server with the given defects and run the suite against it."""

    def go(defects: set[str] | None = None, only: str | None = None,
           **overrides: object) -> dict[str, Result]:
        fake = FakeOneRoster(defects)
        httpserver.expect_request(re.compile(".*")).respond_with_handler(fake.handle)
        cases = load_suite("oneroster", known_checks())
        results = run(oneroster_config(httpserver, **overrides), cases, only=only)
        return {r.case.id: r for r in results}

    return go

"""Every response says nosniff and no-store; HTML pages forbid framing unless a view opts in."""

from __future__ import annotations

import pytest
from flask import Flask

from gateway.app import create_app
from gateway.http_headers import frame_policy


@pytest.fixture
def app(database_url: str, tmp_path) -> Flask:  # noqa: ANN001
    app = create_app({"database_url": database_url, "var_dir": str(tmp_path)})
    app.testing = True
    return app


@pytest.mark.parametrize("method,path", [
    ("get", "/ims/oneroster/rostering/v1p2/users"),
    ("get", "/data/v3/ed-fi/students"),
    ("post", "/oauth/token"),
    ("get", "/healthz"),
    ("get", "/no/such/page"),
])
def test_api_and_token_answers_are_nosniff_and_never_cached(app: Flask, method: str,
                                                             path: str) -> None:
    response = getattr(app.test_client(), method)(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_html_pages_carry_a_csp_and_refuse_framing(app: Flask) -> None:
    # "/" answers Ed-Fi discovery (JSON), so the HTML case is a page of its own.
    @app.get("/page-test")
    def page() -> str:
        return "<!doctype html><p>a page</p>"

    response = app.test_client().get("/page-test")
    assert response.mimetype == "text/html"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_a_view_may_choose_its_own_frame_ancestors(app: Flask) -> None:
    @app.get("/launch-test")
    @frame_policy("https://lms.example")
    def launch() -> str:
        return "<!doctype html><p>launched</p>"

    response = app.test_client().get("/launch-test")
    assert "frame-ancestors https://lms.example" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers

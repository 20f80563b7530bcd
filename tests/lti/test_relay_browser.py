"""The full relayed launch in a real browser: Debian's headless Chromium, driven by playwright,
opens the link on the LMS's course page (lti1p3platform in tests/lti/platform_lms.py) and does
what a browser does, nothing played: the redirect to the gateway's /lti/login, the redirect to
the LMS's authorization endpoint, the LMS's auto-submitted form post to the gateway's
/lti/launch, the redirect to the tool's login (pylti1p3 2.0.0, setting its state cookie), the
redirect to the gateway's /lti/authorize, and the gateway's auto-submitted form post to the
tool, which shows the launch it accepted: the pseudonymous sub and the context."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from html import escape
from typing import Any

import pytest
import requests
from flask import Flask, jsonify
from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest

from gateway.auth.lti_state import secret
from gateway.lti.launch import launch_link
from gateway.lti.signing import TOKENS
from tests.browser import headless_chromium
from tests.lti.conftest import form_fields
from tests.lti.test_platform_relay import ISSUER, relay_stack

LTI = "https://purl.imsglobal.org/spec/lti/claim/"


def page_tool_app(holder: dict[str, Any]) -> Flask:
    """A pylti1p3 tool whose launch page shows, as HTML, what it accepted."""
    app = Flask("pylti1p3_page_tool")
    app.secret_key = "tool-session-secret"

    @app.route("/login", methods=["GET", "POST"])
    def login():  # noqa: ANN202
        return FlaskOIDCLogin(FlaskRequest(), holder["conf"]).redirect(holder["launch"])

    @app.post("/launch")
    def launch():  # noqa: ANN202
        try:
            data = FlaskMessageLaunch(FlaskRequest(), holder["conf"]).get_launch_data()
        except Exception as exc:  # noqa: BLE001 - the tool says what pylti1p3 refused
            return f"<h1>Refused</h1><p id=error>{escape(str(exc))}</p>", 400
        context = data[LTI + "context"]
        return ("<!doctype html><title>Maths Lab</title><h1>Launched</h1>"
                f"<p>sub <span id=sub>{escape(data['sub'])}</span></p>"
                f"<p>context <span id=context>{escape(context['id'])}</span> "
                f"<span id=title>{escape(context.get('title', ''))}</span></p>"
                f"<p>as <span id=name>{escape(data.get('given_name', ''))}</span></p>")

    @app.get("/jwks")
    def jwks():  # noqa: ANN202
        return jsonify(holder["conf"].get_jwks())

    return app


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with headless_chromium() as browser:
        yield browser


@pytest.mark.slow
def test_the_relayed_launch_in_chromium_ends_on_the_tool_s_page(chromium, district, database_url,
                                                               tmp_path, tool_key, monkeypatch):
    monkeypatch.setenv("GATEWAY_ISSUER", ISSUER)
    with ExitStack() as stack:
        relay = relay_stack(stack, district, database_url, tmp_path, tool_key, page_tool_app)
        context = chromium.new_context()
        stack.callback(context.close)
        page = context.new_page()
        page.set_default_timeout(30_000)
        visited: list[tuple[str, str]] = []
        page.on("request", lambda r: r.is_navigation_request()
                and visited.append((r.method, r.url.split("?")[0])))
        page.goto(f"{relay.lms.url}/start?user=lms-ben")
        page.wait_for_url(relay.tool_url + "/launch")
        page.wait_for_selector("#sub")
        assert page.text_content("h1") == "Launched", page.content()
        sub, context_id = page.text_content("#sub"), page.text_content("#context")
        assert page.text_content("#title") == "Algebra I (A)"  # the district's class title
        assert page.text_content("#name") == "Ben"
        # the path the browser took, form posts included
        assert visited == [
            ("GET", f"{relay.lms.url}/start"), ("GET", f"{relay.gateway}/lti/login"),
            ("GET", relay.lms.auth_url), ("POST", f"{relay.gateway}/lti/launch"),
            ("GET", f"{relay.tool_url}/login"), ("GET", f"{relay.gateway}/lti/authorize"),
            ("POST", f"{relay.tool_url}/launch")]
        # the tool's state cookie was set by its login and carried by the browser to its launch
        assert any(c["name"].startswith("lti1p3-state-") for c in context.cookies(relay.tool_url))
        # the pseudonym and context are the tool's own for stu-a2 in cls-a, not the LMS's ids
        assert sub != "lms-ben" and context_id != "lms-course-77"
        other = requests.Session()
        direct = other.get(launch_link(secret(relay.engine, TOKENS), relay.gateway,
                                              relay.tool.client_id, "cls-a", "stu-a2"),
                                  allow_redirects=False)
        assert direct.status_code == 302
        assert _launched_sub(other, direct.headers["Location"]) == (sub, context_id)


def _launched_sub(browser: requests.Session, tool_login: str) -> tuple[str, str]:
    """The sub and context the tool shows after a launch the gateway starts itself."""
    login = browser.get(tool_login, allow_redirects=False)
    authorize = browser.get(login.headers["Location"], allow_redirects=False)
    action, fields = form_fields(authorize.text)
    html = browser.post(action, data=fields).text
    return (re.search(r"<span id=sub>([^<]*)<", html)[1],
            re.search(r"<span id=context>([^<]*)<", html)[1])


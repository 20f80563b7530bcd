"""The gateway as the LTI platform of a real, unmodified third-party tool: pylti1p3 2.0.0 in a
small Flask tool app of this test's own, served on a loopback port, launched by the gateway
served on another (`python -m gateway serve`, tests/served.py), with a browser played by a
requests session.

pylti1p3 validates our launch its own way (state cookie, nonce, our JWKS fetched over HTTP,
registration, deployment, message claims) and calls our NRPS with a service token it requests
itself (its own client assertion, checked against the JWK Set it serves), then finds or
creates a line item by tag, posts a score and reads the results through our AGS."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from flask import Flask, jsonify
from joserfc.jwk import RSAKey
from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem
from pylti1p3.tool_config import ToolConfDict
from werkzeug.serving import make_server

from gateway.auth.keys import rotate_keys
from gateway.auth.lti_registry import add_tool
from gateway.auth.lti_state import secret
from gateway.auth.registry import register_app
from gateway.lti.launch import launch_link
from gateway.lti.signing import TOKENS
from gateway.policy.agreement import parse_agreement
from gateway.policy.optouts import add_optout
from tests.lti.conftest import through_tool_login
from tests.served import served_gateway

ISSUER = "https://gateway.district.test"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


def tool_app(holder: dict[str, Any]) -> Flask:
    """A minimal LTI 1.3 tool, all LTI work done by pylti1p3."""
    app = Flask("pylti1p3_tool")
    app.secret_key = "tool-session-secret"

    @app.route("/login", methods=["GET", "POST"])
    def login():  # noqa: ANN202
        try:
            return FlaskOIDCLogin(FlaskRequest(), holder["conf"]).redirect(holder["launch"])
        except Exception as exc:  # noqa: BLE001 - the tool reports what pylti1p3 refused
            return jsonify(error=str(exc)), 400

    @app.post("/launch")
    def launch():  # noqa: ANN202
        try:
            message = FlaskMessageLaunch(FlaskRequest(), holder["conf"])
            data = message.get_launch_data()
            nrps = message.get_nrps()
            members = nrps.get_members()
            paged: list[dict] = []
            url: str | None = data[NRPS_CLAIM]["context_memberships_url"] + "?limit=2"
            pages = 0
            while url:
                page, url = nrps.get_members_page(url)
                paged += page
                pages += 1
            grades = message.get_ags()
            item = grades.find_or_create_lineitem(
                LineItem().set_tag("quiz-1").set_resource_id("q1").set_label("Quiz 1")
                .set_score_maximum(10), find_by="tag")
            grades.put_grade(Grade().set_score_given(7).set_score_maximum(10)
                             .set_timestamp(datetime.now(UTC).isoformat())
                             .set_activity_progress("Completed")
                             .set_grading_progress("FullyGraded").set_user_id(data["sub"]),
                             item)
            results = grades.get_grades(item)
        except Exception as exc:  # noqa: BLE001
            return jsonify(error=f"{type(exc).__name__}: {exc}"), 400
        return jsonify(claims=data, members=members, paged=paged, pages=pages,
                       lineitem=item.get_id(), results=results)

    @app.get("/jwks")
    def jwks():  # noqa: ANN202
        return jsonify(holder["conf"].get_jwks())

    return app


@contextmanager
def serve_tool(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def browser_launch(browser: requests.Session, link: str) -> requests.Response:
    """Follow the launch as a browser would: gateway link -> tool login -> gateway authorize
    -> the auto-submitted form to the tool's launch URL."""
    start = browser.get(link, allow_redirects=False)
    assert start.status_code == 302, start.text
    return through_tool_login(browser, start.headers["Location"], allow_redirects=False)


@pytest.mark.slow
def test_pylti1p3_validates_our_launch_and_reads_our_roster(district, database_url, tmp_path,
                                                            tool_key: RSAKey, monkeypatch):
    monkeypatch.setenv("GATEWAY_ISSUER", ISSUER)
    engine = district
    add_optout(engine, "stu-a5")
    app_id = register_app(engine, "Maths Lab", parse_agreement({
        "name": "Maths Lab", "purpose": "instruction", "expires": "2099-12-31",
        "scopes": ["roster-core.readonly"], "schools": ["sch-a"]})).client_id
    holder: dict[str, Any] = {}
    with serve_tool(tool_app(holder)) as tool_url:
        tool = add_tool(engine, "Maths Lab tool", app_client_id=app_id,
                        login_url=tool_url + "/login", redirect_uris=[tool_url + "/launch"],
                        jwks_url=tool_url + "/jwks", share=["name"])
        holder["launch"] = tool_url + "/launch"
        with served_gateway(database_url, tmp_path) as gateway_url:
            conf = ToolConfDict({ISSUER: [{
                "default": True, "client_id": tool.client_id,
                "auth_login_url": gateway_url + "/lti/authorize",
                "auth_token_url": gateway_url + "/lti/token",
                "key_set_url": gateway_url + "/.well-known/jwks.json", "key_set": None,
                "deployment_ids": [tool.deployment_id]}]})
            private = tool_key.as_pem(private=True).decode()
            conf.set_private_key(ISSUER, private, client_id=tool.client_id)
            conf.set_public_key(ISSUER, tool_key.as_pem(private=False).decode(),
                                client_id=tool.client_id)
            holder["conf"] = conf
            key = secret(engine, TOKENS)

            browser = requests.Session()
            result = browser_launch(browser, launch_link(key, gateway_url, tool.client_id,
                                                         "cls-a", "stu-a2"))
            assert result.status_code == 200, result.text
            body = result.json()
            claims = body["claims"]
            assert claims["iss"] == ISSUER and claims["given_name"] == "Ben"
            assert "email" not in claims
            members = body["members"]
            assert len(members) == 5  # teacher + 4 students; stu-a5 opted out of every app
            ben = next(m for m in members if m.get("given_name") == "Ben")
            assert ben["user_id"] == claims["sub"] and ben["roles"] == [LEARNER]
            # the paged walk (pylti1p3 lowercases each next URL) sees the same members
            assert body["pages"] == 3
            assert sorted(m["user_id"] for m in body["paged"]) == sorted(
                m["user_id"] for m in members)
            # AGS: pylti1p3 found-or-created its line item, posted a score and read it back
            [result] = body["results"]
            assert result["userId"] == claims["sub"] and result["resultScore"] == 7
            assert result["scoreOf"] == body["lineitem"]

            # a rotated signing key: the next launch is signed with it, pylti1p3 finds it
            rotate_keys(engine, 3600)
            again = browser_launch(requests.Session(), launch_link(
                key, gateway_url, tool.client_id, "cls-a", "stu-a2"))
            assert again.status_code == 200, again.text
            assert again.json()["claims"]["sub"] == claims["sub"]
            assert again.json()["lineitem"] == body["lineitem"]  # found by tag, not created

            # an opted-out student is stopped at the gateway, before the tool hears of it
            refused = requests.get(launch_link(key, gateway_url, tool.client_id, "cls-a",
                                               "stu-a5"), allow_redirects=False)
            assert refused.status_code == 403
            assert "Your family has asked" in refused.text

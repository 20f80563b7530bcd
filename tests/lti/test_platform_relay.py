"""The full relayed launch between real, unmodified third-party implementations, all served on
loopback: the district's LMS is lti1p3platform 0.1.8 (a platform library, in a small server of
the test's own, tests/lti/platform_lms.py), launching the gateway (`python -m gateway serve`)
at its tool side (/lti/login, /lti/launch); the gateway checks the LMS's id_token, matches the
LMS user and course onto the roster and launches, as its platform, the learning tool pylti1p3
2.0.0, which validates that launch and calls the gateway's NRPS and AGS. A browser is played
by a requests session (tests/lti/test_relay_browser.py runs the same in Chromium)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from html import unescape
from typing import Any

import pytest
import requests
from joserfc.jwk import RSAKey
from pylti1p3.tool_config import ToolConfDict

from gateway.auth.lti_registry import ToolRegistration, add_platform, add_tool
from gateway.auth.lti_state import secret
from gateway.auth.registry import register_app
from gateway.lti.launch import launch_link
from gateway.lti.signing import TOKENS
from gateway.policy.agreement import parse_agreement
from tests.lti.conftest import through_tool_login
from tests.lti.platform_lms import (
    CLIENT_ID,
    DEPLOYMENT,
    LmsUser,
    PlatformLms,
    served_platform_lms,
)
from tests.lti.test_pylti1p3 import browser_launch, serve_tool, tool_app
from tests.served import served_gateway

ISSUER = "https://gateway.district.test"
COURSE = {"id": "lms-course-77", "title": "Algebra I", "label": "ALG1", "sis_id": "cls-a"}
USERS = [LmsUser("lms-ben", "Ben Pupila", "stu-a2"), LmsUser("lms-zed", "Zed Nobody", "sis-999")]


@dataclass
class Relay:
    engine: Any
    gateway: str
    lms: PlatformLms
    tool: ToolRegistration
    tool_url: str


def pylti1p3_conf(tool: ToolRegistration, gateway: str, key: RSAKey) -> ToolConfDict:
    conf = ToolConfDict({ISSUER: [{
        "default": True, "client_id": tool.client_id,
        "auth_login_url": gateway + "/lti/authorize", "auth_token_url": gateway + "/lti/token",
        "key_set_url": gateway + "/.well-known/jwks.json", "key_set": None,
        "deployment_ids": [tool.deployment_id]}]})
    conf.set_private_key(ISSUER, key.as_pem(private=True).decode(), client_id=tool.client_id)
    conf.set_public_key(ISSUER, key.as_pem(private=False).decode(), client_id=tool.client_id)
    return conf


def relay_stack(stack: ExitStack, engine, database_url: str, tmp_path, key: RSAKey,
                tool_app_factory=tool_app) -> Relay:
    """Gateway, tool and LMS served, registered with one another."""
    app_id = register_app(engine, "Maths Lab", parse_agreement({
        "name": "Maths Lab", "purpose": "instruction", "expires": "2099-12-31",
        "scopes": ["roster-core.readonly"], "schools": ["sch-a"]})).client_id
    holder: dict[str, Any] = {}
    tool_url = stack.enter_context(serve_tool(tool_app_factory(holder)))
    tool = add_tool(engine, "Maths Lab tool", app_client_id=app_id,
                    login_url=tool_url + "/login", redirect_uris=[tool_url + "/launch"],
                    jwks_url=tool_url + "/jwks", share=["name"])
    holder["launch"] = tool_url + "/launch"
    gateway = stack.enter_context(served_gateway(database_url, tmp_path))
    holder["conf"] = pylti1p3_conf(tool, gateway, key)
    lms = stack.enter_context(served_platform_lms(
        gateway + "/lti/login", f"{gateway}/lti/launch?tool={tool.client_id}", USERS, COURSE))
    add_platform(engine, issuer=lms.url, client_id=CLIENT_ID, deployment_ids=[DEPLOYMENT],
                 auth_url=lms.auth_url, token_url=lms.token_url, jwks_url=lms.jwks_url)
    return Relay(engine, gateway, lms, tool, tool_url)


@pytest.fixture
def relay(district, database_url, tmp_path, tool_key, monkeypatch) -> Iterator[Relay]:
    monkeypatch.setenv("GATEWAY_ISSUER", ISSUER)
    with ExitStack() as stack:
        yield relay_stack(stack, district, database_url, tmp_path, tool_key)


def to_gateway(browser: requests.Session, relay: Relay, user: str) -> requests.Response:
    """LMS course page -> gateway login -> LMS authorize (its auto-submitted form) -> the
    form post to the gateway's launch URL; the gateway's answer."""
    start = browser.get(f"{relay.lms.url}/start?user={user}", allow_redirects=False)
    assert start.status_code == 302, start.text
    assert start.headers["Location"].startswith(relay.gateway + "/lti/login?")
    login = browser.get(start.headers["Location"], allow_redirects=False)
    assert login.status_code == 302, login.text
    assert login.headers["Location"].startswith(relay.lms.auth_url + "?")
    authorize = browser.get(login.headers["Location"], allow_redirects=False)
    assert authorize.status_code == 200, authorize.text
    action, fields = lms_form(authorize.text)
    assert action == relay.gateway + "/lti/launch"
    return browser.post(action, data=fields, allow_redirects=False)


def lms_form(html: str) -> tuple[str, dict[str, str]]:
    """The action and fields of the LMS's auto-submitting form."""
    action = unescape(re.search(r'<form method="post" action="([^"]*)"', html)[1])
    fields = {n: unescape(v) for n, v in
              re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', html)}
    return action, fields


def on_to_tool(browser: requests.Session, relay: Relay, to_tool: requests.Response) -> Any:
    assert to_tool.status_code == 302, to_tool.text
    assert to_tool.headers["Location"].startswith(relay.tool_url + "/login?")
    return through_tool_login(browser, to_tool.headers["Location"], allow_redirects=False)


@pytest.mark.slow
def test_a_launch_from_a_real_platform_is_relayed_to_a_real_tool(relay: Relay):
    browser = requests.Session()
    answer = on_to_tool(browser, relay, to_gateway(browser, relay, "lms-ben"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    claims = body["claims"]
    lti = "https://purl.imsglobal.org/spec/lti/claim/"
    assert claims["iss"] == ISSUER and claims["aud"] == relay.tool.client_id
    assert claims["given_name"] == "Ben"
    # nothing of the LMS's own ids reaches the tool
    sent = json.dumps(claims)
    assert "lms-ben" not in sent and "lms-course-77" not in sent and "lms-link-1" not in sent
    assert claims[lti + "context"]["id"] != COURSE["id"]
    # the tool's pseudonym of stu-a2: the same as in a launch the gateway starts itself
    direct = browser_launch(requests.Session(), launch_link(
        secret(relay.engine, TOKENS), relay.gateway, relay.tool.client_id, "cls-a", "stu-a2"))
    assert direct.json()["claims"]["sub"] == claims["sub"]
    assert direct.json()["claims"][lti + "context"]["id"] == claims[lti + "context"]["id"]
    # and the tool read the class and wrote a grade through the gateway's services
    assert len(body["members"]) == 6
    [result] = body["results"]
    assert result["userId"] == claims["sub"] and result["resultScore"] == 7
    # the platform signed one id_token per launch it answered
    assert len(relay.lms.launches) == 1


@pytest.mark.slow
def test_the_platform_s_form_post_replayed_is_refused_and_an_unknown_user_is_told_why(relay):
    browser = requests.Session()
    start = browser.get(f"{relay.lms.url}/start?user=lms-ben", allow_redirects=False)
    login = browser.get(start.headers["Location"], allow_redirects=False)
    authorize = browser.get(login.headers["Location"], allow_redirects=False)
    action, fields = lms_form(authorize.text)
    assert browser.post(action, data=fields, allow_redirects=False).status_code == 302
    replay = requests.post(action, data=fields, allow_redirects=False)
    assert replay.status_code == 401
    assert "nonce: this launch has been used already (replay)" in replay.text.replace(
        "&#x27;", "'")

    unknown = to_gateway(requests.Session(), relay, "lms-zed")
    assert unknown.status_code == 403 and "Location" not in unknown.headers
    assert "lis.person_sourcedid &#x27;sis-999&#x27;" in unknown.text or \
        "lis.person_sourcedid 'sis-999'" in unknown.text

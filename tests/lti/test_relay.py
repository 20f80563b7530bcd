"""The relay: the district's LMS launches the gateway as its tool (/lti/login, /lti/launch),
the gateway checks the LMS's id_token by the security framework's nine points, matches the LMS
user and course onto the roster, and launches the learning tool as its platform. The LMS is a
small platform of the test's own (tests/lti/lms.py, its JWK Set served on loopback); the tool
at the end of the relay is pylti1p3 2.0.0, unmodified. Real app, real store, both backends."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from joserfc.jwk import RSAKey
from sqlalchemy import func, select

from gateway.auth.lti_registry import add_platform
from gateway.auth.lti_relay_state import list_unmatched
from gateway.model import (
    LtiLaunch,
    LtiLmsContext,
    LtiLmsLogin,
    LtiLmsUser,
    LtiPlatform,
    LtiUnmatched,
    LtiUsedValue,
)
from gateway.policy.optouts import add_optout
from tests.lti.conftest import LOGIN, Lti, form_fields, make_lti
from tests.lti.lms import CLIENT_ID, DEPLOYMENT, LTI, Lms, new_key
from tests.lti.pylti_tool import pylti1p3_tool, through_tool, tool_conf

GATEWAY = "http://localhost"
LAUNCH = GATEWAY + "/lti/launch"


@pytest.fixture
def relay(district, database_url, tmp_path, tool_key, lms) -> Lti:
    lti = make_lti(district, database_url, tmp_path, tool_key)
    add_platform(district, issuer=lms.issuer, client_id=CLIENT_ID, deployment_ids=[DEPLOYMENT],
                 auth_url=lms.auth_url, token_url=lms.issuer + "/token",
                 jwks_url=lms.jwks_url)
    return lti


def target(lti: Lti) -> str:
    return f"{LAUNCH}?tool={lti.tool.client_id}"


def lms_login(lti: Lti, lms: Lms, **params: str) -> dict[str, str]:
    """The LMS starts the launch; returns the gateway's authentication request to the LMS."""
    query = {"iss": lms.issuer, "login_hint": "opaque-lms-hint", "target_link_uri": target(lti),
             "lti_message_hint": "lms-message-1", "client_id": CLIENT_ID,
             "lti_deployment_id": DEPLOYMENT, **params}
    response = lti.client.get("/lti/login", query_string=query)
    assert response.status_code == 302, response.get_data(as_text=True)
    auth = lms.authenticate(response.headers["Location"])
    assert auth["redirect_uri"] == LAUNCH and auth["login_hint"] == "opaque-lms-hint"
    assert auth["lti_message_hint"] == "lms-message-1"
    return auth


def post_launch(lti: Lti, id_token: str, state: str) -> Any:
    return lti.client.post("/lti/launch", data={"id_token": id_token, "state": state})


def relayed(lti: Lti, lms: Lms, **claims: Any) -> Any:
    auth = lms_login(lti, lms)
    token = lms.id_token(lms.claims(auth, target(lti), **claims))
    return post_launch(lti, token, auth["state"])


def student(sourced_id: str = "stu-a2") -> dict[str, Any]:
    return {LTI + "lis": {"person_sourcedid": sourced_id, "course_section_sourcedid": "cls-a"}}


def text(response) -> str:
    return response.get_data(as_text=True).replace("&#x27;", "'").replace("&quot;", '"')


def stored(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.__tablename__: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (LtiLaunch, LtiLmsUser, LtiLmsContext, LtiUnmatched, LtiUsedValue)}


def test_a_relayed_launch_reaches_pylti1p3_with_the_gateway_as_its_platform(relay, lms,
                                                                            tool_key: RSAKey):
    issuer = relay.app.config["GATEWAY_SETTINGS"].issuer
    tool = pylti1p3_tool(tool_conf(relay, tool_key))
    to_tool = relayed(relay, lms, sub="lms-ben", **student())
    assert to_tool.status_code == 302, text(to_tool)
    location = to_tool.headers["Location"]
    assert location.startswith(LOGIN + "?")
    claims = through_tool(relay, tool, location)["claims"]

    assert claims["iss"] == issuer and claims["aud"] == relay.tool.client_id
    assert claims["sub"] == relay.launch("stu-a2")["sub"]  # the tool's pseudonym of stu-a2
    assert "lms-ben" not in json.dumps(claims) and "lms-course-77" not in json.dumps(claims)
    assert claims[LTI + "context"]["id"] != "lms-course-77"
    assert claims[LTI + "resource_link"]["id"] != "lms-link-1"
    assert claims[LTI + "roles"][0].endswith("membership#Learner")
    # the match is kept: the next launch of the same LMS user needs no SIS id
    again = relayed(relay, lms, sub="lms-ben", **{LTI + "context": {"id": "lms-course-77"}})
    assert again.status_code == 302, text(again)


def test_the_same_lms_link_is_one_tool_link_and_another_link_another(relay, lms):
    def link_of(response) -> str:
        query = dict(parse_qsl(urlsplit(response.headers["Location"]).query))
        params = relay.auth_request(query)
        _, fields = form_fields(relay.authorize(params).get_data(as_text=True))
        return relay.verify(fields["id_token"])[LTI + "resource_link"]["id"]

    first = link_of(relayed(relay, lms, sub="lms-ben", **student()))
    same = link_of(relayed(relay, lms, sub="lms-ben", **student()))
    other = link_of(relayed(relay, lms, sub="lms-ben", **student(),
                            **{LTI + "resource_link": {"id": "lms-link-2"}}))
    assert first == same != other


@pytest.mark.parametrize("offered, expected", [
    ({LTI + "custom": {"sis_user_id": "stu-a3", "course_section_sourcedid": "cls-a"}},
     "custom.sis_user_id"),
    ({"email": "STU-A4@example.org", LTI + "lis": {"course_section_sourcedid": "cls-a"}},
     "email"),
])
def test_users_match_by_a_sis_id_in_a_custom_variable_or_else_by_e_mail(relay, lms, offered,
                                                                        expected):
    response = relayed(relay, lms, sub="lms-x", **offered)
    assert response.status_code == 302, text(response)
    with relay.engine.connect() as conn:
        row = conn.execute(select(LtiLmsUser)).one()
    assert row.lms_user == "lms-x" and row.matched_by == expected


def test_an_unmatched_launch_says_why_and_is_listed_for_district_it(relay, lms):
    response = relayed(relay, lms, sub="lms-nobody", email="nobody@example.org",
                       **{LTI + "lis": {"person_sourcedid": "sis-999",
                                        "course_section_sourcedid": "cls-a"}})
    assert response.status_code == 403
    page = text(response)
    assert "could not match your LMS user" in page
    assert "lis.person_sourcedid 'sis-999'" in page
    assert "e-mail 'nobody@example.org' (no member of the class has it)" in page
    [listed] = list_unmatched(relay.engine)
    assert (listed.issuer, listed.kind, listed.lms_value) == (lms.issuer, "user", "lms-nobody")
    assert listed.hints["person_sourcedid"] == "sis-999"
    assert stored(relay.engine)["lti_launches"] == 0  # the tool never heard of it

    course = relayed(relay, lms, sub="lms-nobody", **{LTI + "context": {"id": "lms-c9"}})
    assert course.status_code == 403 and "course 'lms-c9'" in text(course)


def test_district_it_maps_an_unmatched_user_and_the_next_launch_goes_through(relay, lms):
    from click.testing import CliRunner

    from gateway.cli import main

    claims = {"sub": "lms-zed", LTI + "lis": {"course_section_sourcedid": "cls-a"}}
    assert relayed(relay, lms, **claims).status_code == 403
    env = {"GATEWAY_DATABASE_URL": str(relay.engine.url.render_as_string(hide_password=False))}
    listed = CliRunner().invoke(main, ["lti", "unmatched"], env=env)
    assert listed.exit_code == 0 and "user lms-zed" in listed.output, listed.output
    mapped = CliRunner().invoke(main, ["lti", "map", "--issuer", lms.issuer, "--lms-user",
                                       "lms-zed", "--user", "stu-a1"], env=env)
    assert mapped.exit_code == 0, mapped.output
    assert list_unmatched(relay.engine) == []
    assert relayed(relay, lms, **claims).status_code == 302


def test_an_opted_out_student_is_stopped_before_the_tool(relay, lms):
    add_optout(relay.engine, "stu-a2")
    response = relayed(relay, lms, sub="lms-ben", **student("stu-a2"))
    assert response.status_code == 403 and "Your family has asked" in text(response)
    assert stored(relay.engine)["lti_launches"] == 0


def test_a_rotated_lms_key_is_fetched_again_when_its_kid_is_unknown(relay, lms):
    assert relayed(relay, lms, sub="lms-ben", **student()).status_code == 302
    fetched = lms.jwks_fetches
    relay.app.extensions["gateway.lti"].lms_keys.refetch_every = 0
    lms.rotate()
    response = relayed(relay, lms, sub="lms-ben", **student())
    assert response.status_code == 302, text(response)
    assert lms.jwks_fetches == fetched + 1


# -- bad input: each refused with a precise reason, nothing stored ---------------------------

def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unsigned(claims: dict[str, Any]) -> str:
    return _b64(b'{"alg":"none","typ":"JWT"}') + "." + _b64(json.dumps(claims).encode()) + "."


def _hs256_with_public_key(lms: Lms, claims: dict[str, Any]) -> str:
    """The classic confusion: a MAC keyed with the LMS's public key, which anyone has."""
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": lms.key.kid}).encode())
    body = _b64(json.dumps(claims).encode())
    pem = lms.key.as_pem(private=False)
    mac = hmac.new(pem, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(mac)}"


def _wrong_key(lms: Lms, claims: dict[str, Any]) -> str:
    forger = new_key()
    return lms.id_token(claims, forger, header={"alg": "RS256", "kid": lms.key.kid})


NOW = int(time.time())
FORGERIES = {
    "alg none": (lambda lms, c: _unsigned(c), "alg 'none' is refused"),
    "HS256 with the LMS public key": (_hs256_with_public_key, "alg 'HS256' is refused"),
    "signed with another key": (_wrong_key, "the signature does not verify"),
    "expired": (lambda lms, c: lms.id_token({**c, "exp": int(time.time()) - 120}),
                "exp: the id_token expired"),
    "iat beyond the leeway": (lambda lms, c: lms.id_token({**c, "iat": int(time.time()) + 120}),
                              "s in the future (leeway 30 s)"),
    "wrong aud": (lambda lms, c: lms.id_token({**c, "aud": "someone-else", "azp": None}),
                  "aud: 'someone-else' does not name the gateway's client_id"),
    "an untrusted second aud": (lambda lms, c: lms.id_token({**c, "aud": [CLIENT_ID, "evil"]}),
                                "which the gateway does not trust"),
    "wrong iss": (lambda lms, c: lms.id_token({**c, "iss": "https://evil.example"}),
                  "iss: 'https://evil.example' is not the issuer"),
    "unknown deployment": (lambda lms, c: lms.id_token({**c, LTI + "deployment_id": "dep-x"}),
                           "deployment_id: 'dep-x' is not registered for this LMS"),
    "another login's nonce": (lambda lms, c: lms.id_token({**c, "nonce": "n-" + "0" * 40}),
                              "nonce: not the nonce this login (state) sent"),
    "no sub": (lambda lms, c: lms.id_token({k: v for k, v in c.items() if k != "sub"}),
               "sub: the launch names no user"),
}


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_a_forged_or_broken_id_token_is_refused_precisely_and_stores_nothing(relay, lms, name):
    forge, reason = FORGERIES[name]
    auth = lms_login(relay, lms)
    before = stored(relay.engine)
    claims = {k: v for k, v in lms.claims(auth, target(relay), **student()).items()
              if v is not None}
    response = post_launch(relay, forge(lms, claims), auth["state"])
    assert response.status_code == 401, text(response)
    assert reason in text(response), text(response)
    assert stored(relay.engine) == before
    with relay.engine.connect() as conn:
        assert conn.execute(select(LtiLmsLogin.used_at)).scalar() is None  # still usable


def test_a_replayed_id_token_is_refused_as_a_nonce_replay(relay, lms):
    auth = lms_login(relay, lms)
    token = lms.id_token(lms.claims(auth, target(relay), sub="lms-ben", **student()))
    assert post_launch(relay, token, auth["state"]).status_code == 302
    before = stored(relay.engine)
    replay = post_launch(relay, token, auth["state"])
    assert replay.status_code == 401
    assert "nonce: this launch has been used already (replay)" in text(replay)
    assert stored(relay.engine) == before


def test_a_state_of_another_login_or_tampered_is_refused(relay, lms):
    first, second = lms_login(relay, lms), lms_login(relay, lms)
    token = lms.id_token(lms.claims(first, target(relay), **student()))
    before = stored(relay.engine)
    swapped = post_launch(relay, token, second["state"])
    assert swapped.status_code == 401
    assert "nonce: not the nonce this login (state) sent" in text(swapped)
    tampered = post_launch(relay, token, first["state"][:-2] + "xx")
    assert tampered.status_code == 400 and "state is not valid (signature)" in text(tampered)
    assert stored(relay.engine) == before


@pytest.mark.parametrize("params, reason", [
    ({"iss": "https://unknown.example"}, "is not an LMS registered"),
    ({"target_link_uri": "https://evil.example/phish"}, "target_link_uri must be the gateway"),
    ({"lti_deployment_id": "dep-x"}, "lti_deployment_id 'dep-x' is not registered"),
    ({"login_hint": ""}, "login_hint is required"),
])
def test_a_bad_login_initiation_is_refused_without_a_redirect(relay, lms, params, reason):
    query = {"iss": lms.issuer, "login_hint": "h", "target_link_uri": target(relay), **params}
    response = relay.client.get("/lti/login", query_string=query)
    assert response.status_code == 400 and "Location" not in response.headers
    assert reason in text(response)
    with relay.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(LtiLmsLogin)).scalar_one() == 0


def test_lms_logins_beyond_the_per_address_limit_are_refused_with_429_and_keep_nothing(
        district, database_url, tmp_path, tool_key, lms, monkeypatch):
    monkeypatch.setenv("GATEWAY_LTI_LOGIN_RATE_LIMIT", "3")
    lti = make_lti(district, database_url, tmp_path, tool_key)
    add_platform(district, issuer=lms.issuer, client_id=CLIENT_ID, deployment_ids=[DEPLOYMENT],
                 auth_url=lms.auth_url, token_url=lms.issuer + "/token",
                 jwks_url=lms.jwks_url)
    query = {"iss": lms.issuer, "login_hint": "h", "target_link_uri": target(lti)}
    for _ in range(3):
        assert lti.client.get("/lti/login", query_string=query).status_code == 302
    refused = lti.client.get("/lti/login", query_string=query)
    assert refused.status_code == 429 and "Location" not in refused.headers
    assert "more than 3 launches a minute came from this address" in text(refused)
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    with lti.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(LtiLmsLogin)).scalar_one() == 3
    # another address is counted on its own
    other = lti.client.get("/lti/login", query_string=query,
                           environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert other.status_code == 302


def _frames(response) -> str:
    csp = response.headers["Content-Security-Policy"]
    return csp.split("frame-ancestors ", 1)[1].split(";")[0]


def test_pages_of_a_relayed_launch_may_be_framed_by_that_lms_only(relay, lms):
    to_tool = relayed(relay, lms, sub="lms-ben", **student())
    login = dict(parse_qsl(urlsplit(to_tool.headers["Location"]).query))
    page = relay.authorize(relay.auth_request(login))
    assert page.status_code == 200
    assert _frames(page) == lms.issuer  # default: the LMS issuer's origin
    assert "X-Frame-Options" not in page.headers
    # the unmatched page is shown in the LMS's frame too
    stopped = relayed(relay, lms, sub="lms-nobody", **{LTI + "context": {"id": "lms-c9"}})
    assert stopped.status_code == 403 and _frames(stopped) == lms.issuer
    # a launch the gateway starts itself is never framed
    own = relay.authorize(relay.auth_request(relay.login("stu-a2")))
    assert _frames(own) == "'none'" and own.headers["X-Frame-Options"] == "DENY"
    # a refusal before the LMS is known (a forged state) is not framed either
    forged = post_launch(relay, "x.y.z", "nonsense")
    assert _frames(forged) == "'none'"


def test_an_lms_registration_s_frame_allowlist_is_used_and_checked(district, database_url,
                                                                   tmp_path, tool_key, lms):
    from gateway.auth.lti_registry import LtiRegistryError

    lti = make_lti(district, database_url, tmp_path, tool_key)
    with pytest.raises(LtiRegistryError, match="must be an origin .* without a path"):
        add_platform(district, issuer=lms.issuer, client_id=CLIENT_ID,
                     deployment_ids=[DEPLOYMENT], auth_url=lms.auth_url,
                     token_url=lms.issuer + "/token", jwks_url=lms.jwks_url,
                     frame_ancestors=["https://lms.example/courses"])
    with lti.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(LtiPlatform)).scalar_one() == 0
    add_platform(district, issuer=lms.issuer, client_id=CLIENT_ID, deployment_ids=[DEPLOYMENT],
                 auth_url=lms.auth_url, token_url=lms.issuer + "/token", jwks_url=lms.jwks_url,
                 frame_ancestors=["https://lms.example", "https://cdn.lms.example:8443"])
    to_tool = relayed(lti, lms, sub="lms-ben", **student())
    login = dict(parse_qsl(urlsplit(to_tool.headers["Location"]).query))
    page = lti.authorize(lti.auth_request(login))
    assert _frames(page) == "https://lms.example https://cdn.lms.example:8443"

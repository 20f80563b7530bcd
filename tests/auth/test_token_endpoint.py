"""POST /oauth/token: client credentials under an agreement (RFC 6749 sections 4.4, 5.1, 5.2)."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest

from gateway.auth.rate_limit import WINDOW
from tests.auth.helpers import V1P1, V1P2, basic, segment

TOKEN = "/oauth/token"
GRANT = {"grant_type": "client_credentials"}


def test_basic_authentication_gets_a_bearer_jwt_with_every_agreed_scope(client, register):
    creds = register(scopes=["roster-core.readonly"])
    response = client.post(TOKEN, data=GRANT, headers=basic(*creds))
    assert response.status_code == 200
    body = response.json
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert "refresh_token" not in body
    assert set(body["scope"].split()) == {V1P1 + "roster-core.readonly",
                                          V1P2 + "roster-core.readonly"}
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"


def test_token_claims_name_the_app_issuer_audience_and_scopes(client, register):
    creds = register(scopes=["roster-core.readonly"])
    before = int(time.time())
    token = client.post(TOKEN, data=GRANT, headers=basic(*creds)).json["access_token"]
    header, claims = segment(token, 0), segment(token, 1)
    assert header["alg"] == "RS256" and header["typ"] == "at+jwt" and header["kid"]
    assert claims["iss"] == "http://localhost:8000"
    assert claims["aud"] == "http://localhost:8000"
    assert claims["client_id"] == claims["sub"] == creds.client_id
    assert before <= claims["iat"] <= claims["exp"] - 3600 + 1
    assert len(claims["jti"]) >= 22
    assert claims["scope"].split() == sorted(claims["scope"].split())


def test_secret_in_the_form_body_is_accepted(client, register):
    creds = register()
    response = client.post(TOKEN, data={**GRANT, "client_id": creds.client_id,
                                        "client_secret": creds.client_secret})
    assert response.status_code == 200


def test_token_lifetime_follows_the_setting(make_node, register):
    creds = register()
    node = make_node(token_lifetime=120)
    body = node.test_client().post(TOKEN, data=GRANT, headers=basic(*creds)).json
    assert body["expires_in"] == 120
    claims = segment(body["access_token"], 1)
    assert claims["exp"] - claims["iat"] == 120


def test_requested_scopes_are_narrowed_to_the_agreement(client, register):
    creds = register(scopes=["roster-core.readonly"])
    asked = f"{V1P2}roster-core.readonly {V1P2}roster-demographics.readonly no-such-scope"
    response = client.post(TOKEN, data={**GRANT, "scope": asked}, headers=basic(*creds))
    assert response.status_code == 200
    assert response.json["scope"] == V1P2 + "roster-core.readonly"


def test_bare_scope_names_mean_every_version_the_agreement_has(client, register):
    creds = register(scopes=[V1P2 + "roster.readonly"])
    response = client.post(TOKEN, data={**GRANT, "scope": "roster.readonly"},
                           headers=basic(*creds))
    assert response.json["scope"] == V1P2 + "roster.readonly"


def test_nothing_left_after_narrowing_is_invalid_scope(client, register):
    creds = register(scopes=["roster-core.readonly"])
    response = client.post(TOKEN, data={**GRANT, "scope": "roster-demographics.readonly"},
                           headers=basic(*creds))
    assert response.status_code == 400
    assert response.json["error"] == "invalid_scope"


def test_wrong_secret_over_basic_is_401_with_www_authenticate(client, register):
    creds = register()
    response = client.post(TOKEN, data=GRANT, headers=basic(creds.client_id, "not-the-secret"))
    assert response.status_code == 401
    assert response.json["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith("Basic ")


def test_unknown_client_is_invalid_client(client):
    response = client.post(TOKEN, data=GRANT, headers=basic("nobody", "nothing"))
    assert response.status_code == 401
    assert response.json["error"] == "invalid_client"


def test_wrong_secret_in_the_body_is_invalid_client(client, register):
    creds = register()
    response = client.post(TOKEN, data={**GRANT, "client_id": creds.client_id,
                                        "client_secret": "wrong"})
    assert response.json["error"] == "invalid_client"
    assert response.status_code in (400, 401)


def test_old_secret_stops_working_after_rotation(client, register, engine):
    from gateway.auth.registry import rotate_secret

    creds = register()
    new_secret = rotate_secret(engine, creds.client_id)
    assert client.post(TOKEN, data=GRANT, headers=basic(*creds)).status_code == 401
    assert client.post(TOKEN, data=GRANT,
                       headers=basic(creds.client_id, new_secret)).status_code == 200


def test_other_grant_types_are_unsupported(client, register):
    creds = register()
    for grant in ("password", "authorization_code", "refresh_token", "implicit"):
        response = client.post(TOKEN, data={"grant_type": grant}, headers=basic(*creds))
        assert response.status_code == 400
        assert response.json["error"] == "unsupported_grant_type"


def test_missing_grant_type_is_invalid_request(client, register):
    response = client.post(TOKEN, data={}, headers=basic(*register()))
    assert response.status_code == 400
    assert response.json == {"error": "invalid_request",
                             "error_description": "grant_type is required"}


def test_repeated_parameter_is_invalid_request(client, register):
    creds = register()
    response = client.post(TOKEN, data={"grant_type": ["client_credentials"] * 2},
                           headers=basic(*creds))
    assert response.json["error"] == "invalid_request"
    assert "grant_type" in response.json["error_description"]


def test_two_authentication_methods_at_once_is_invalid_request(client, register):
    creds = register()
    response = client.post(TOKEN, data={**GRANT, "client_secret": creds.client_secret},
                           headers=basic(*creds))
    assert response.status_code == 400
    assert response.json["error"] == "invalid_request"


def test_disabled_app_gets_no_token(client, register, engine):
    from gateway.auth.registry import disable_app

    creds = register()
    disable_app(engine, creds.client_id)
    response = client.post(TOKEN, data=GRANT, headers=basic(*creds))
    assert response.status_code == 401
    assert response.json == {"error": "invalid_client", "error_description": "the app is disabled"}


def test_expired_agreement_gets_no_token_and_says_when_it_expired(client, register):
    expired = date.today() - timedelta(days=1)
    creds = register(expires=expired)
    response = client.post(TOKEN, data=GRANT, headers=basic(*creds))
    assert response.status_code == 400
    assert response.json["error"] == "unauthorized_client"
    assert response.json["error_description"] == (
        f"the app's data-sharing agreement expired on {expired.isoformat()}")


def test_agreement_ending_today_still_works_today(client, register):
    creds = register(expires=date.today())
    assert client.post(TOKEN, data=GRANT, headers=basic(*creds)).status_code == 200


@pytest.fixture
def steady_window() -> None:
    """Rate tests count within one fixed window: start them clear of a window's end."""
    left = WINDOW - time.time() % WINDOW
    if left < 3:
        time.sleep(left + 0.1)


@pytest.mark.usefixtures("steady_window")
def test_token_requests_beyond_the_limit_get_429_with_retry_after(make_node, register):
    creds = register()
    node = make_node(token_rate_limit=3).test_client()
    statuses = [node.post(TOKEN, data=GRANT, headers=basic(*creds)).status_code
                for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = node.post(TOKEN, data=GRANT, headers=basic(*creds))
    assert limited.json["error"] == "too_many_requests"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60


@pytest.mark.usefixtures("steady_window")
def test_the_limit_is_shared_by_every_gateway_process(make_node, register):
    creds = register()
    first, second = (make_node(token_rate_limit=2).test_client() for _ in range(2))
    assert first.post(TOKEN, data=GRANT, headers=basic(*creds)).status_code == 200
    assert second.post(TOKEN, data=GRANT, headers=basic(*creds)).status_code == 200
    assert first.post(TOKEN, data=GRANT, headers=basic(*creds)).status_code == 429
    assert second.post(TOKEN, data=GRANT, headers=basic(*creds)).status_code == 429


@pytest.mark.usefixtures("steady_window")
def test_the_limit_is_per_app(make_node, register):
    busy, quiet = register("Busy"), register("Quiet")
    node = make_node(token_rate_limit=1).test_client()
    node.post(TOKEN, data=GRANT, headers=basic(*busy))
    assert node.post(TOKEN, data=GRANT, headers=basic(*busy)).status_code == 429
    assert node.post(TOKEN, data=GRANT, headers=basic(*quiet)).status_code == 200


def test_token_endpoint_only_accepts_post(client, register):
    assert client.get(TOKEN, headers=basic(*register())).status_code == 405

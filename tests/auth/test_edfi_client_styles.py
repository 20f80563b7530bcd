"""Ed-Fi API clients ask for tokens in their own ways: Basic with a form, the secret in the
form, or a JSON body; and they ask /oauth/token_info what a token grants."""

from __future__ import annotations

import base64

import pytest

from gateway.app import create_app
from gateway.auth.registry import register_app
from gateway.policy.agreement import parse_agreement


@pytest.fixture
def setup(engine, database_url, tmp_path):  # noqa: ANN001, ANN201
    creds = register_app(engine, "sis push", parse_agreement({
        "name": "SIS push", "purpose": "district-operations", "expires": "2099-01-01",
        "scopes": ["edfi.readonly", "roster-core.readonly"], "schools": ["sch-a"]}))
    app = create_app({"database_url": database_url, "var_dir": str(tmp_path)})
    return app.test_client(), creds


def test_form_basic_and_json_token_requests_all_get_tokens(setup):
    client, (client_id, secret) = setup
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    styles = [
        client.post("/oauth/token", data={"grant_type": "client_credentials"},
                    headers={"Authorization": f"Basic {basic}"}),
        client.post("/oauth/token", data={"grant_type": "client_credentials",
                                          "client_id": client_id, "client_secret": secret}),
        client.post("/oauth/token", json={"grant_type": "client_credentials",
                                          "client_id": client_id, "client_secret": secret}),
        client.post("/oauth/token", json={"grant_type": "client_credentials"},
                    headers={"Authorization": f"Basic {basic}"}),
    ]
    assert [r.status_code for r in styles] == [200, 200, 200, 200], [r.get_json() for r in styles]
    assert all(r.get_json()["token_type"].lower() == "bearer" for r in styles)


def test_a_json_request_with_a_wrong_secret_is_refused_like_a_form_one(setup):
    client, (client_id, _secret) = setup
    response = client.post("/oauth/token", json={"grant_type": "client_credentials",
                                                 "client_id": client_id,
                                                 "client_secret": "wrong"})
    assert response.status_code in (400, 401)
    assert response.get_json()["error"] == "invalid_client"
    garbage = client.post("/oauth/token", data="{not json", content_type="application/json")
    assert garbage.status_code == 400
    assert garbage.get_json()["error"] in ("invalid_request", "unsupported_grant_type")


def test_token_info_describes_the_callers_own_token(setup):
    client, (client_id, secret) = setup
    token = client.post("/oauth/token", json={"grant_type": "client_credentials",
                                              "client_id": client_id,
                                              "client_secret": secret}).get_json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    info = client.post("/oauth/token_info", data={"token": token}, headers=auth)
    assert info.status_code == 200
    body = info.get_json()
    assert body["active"] is True and body["client_id"] == client_id
    assert body["education_organizations"] == ["sch-a"]
    assert "urn:school-data-gateway:scope:edfi/edfi.readonly" in body["scope"].split()
    assert len(body["assigned_profiles"]) == 1
    assert client.post("/oauth/token_info", json={"token": token}, headers=auth).status_code == 200
    other = client.post("/oauth/token_info", data={"token": "someone-elses"}, headers=auth)
    assert other.status_code == 400
    assert client.post("/oauth/token_info", data={"token": token}).status_code == 401

"""RFC 7662 introspection, RFC 7009 revocation, RFC 8414 metadata and the JWK Set."""

from __future__ import annotations

import time

import pytest
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.auth.helpers import basic, call, resign, segment

INTROSPECT = "/oauth/introspect"
REVOKE = "/oauth/revoke"


def test_an_app_introspects_its_own_active_token(client, register, get_token):
    creds = register()
    token = get_token(creds)
    body = client.post(INTROSPECT, data={"token": token}, headers=basic(*creds)).json
    claims = segment(token, 1)
    assert body["active"] is True
    assert body["client_id"] == body["sub"] == creds.client_id
    assert body["scope"] == claims["scope"]
    assert (body["exp"], body["iat"], body["jti"]) == (claims["exp"], claims["iat"],
                                                       claims["jti"])
    assert body["token_type"] == "Bearer"


def test_secret_in_the_body_also_authenticates_introspection(client, register, get_token):
    creds = register()
    form = {"token": get_token(creds), "client_id": creds.client_id,
            "client_secret": creds.client_secret}
    assert client.post(INTROSPECT, data=form).json["active"] is True


def test_another_apps_token_is_inactive_for_me(client, register, get_token):
    mine, theirs = register("Mine"), register("Theirs")
    body = client.post(INTROSPECT, data={"token": get_token(theirs)}, headers=basic(*mine)).json
    assert body == {"active": False}


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "eyJhbGciOiJub25lIn0.e30."])
def test_unknown_tokens_are_inactive_and_nothing_else(client, register, token):
    creds = register()
    response = client.post(INTROSPECT, data={"token": token}, headers=basic(*creds))
    assert response.status_code == 200
    assert response.json == {"active": False}


def test_expired_token_is_inactive(client, engine, register, get_token):
    creds = register()
    old = int(time.time()) - 7200
    expired = resign(engine, get_token(creds), iat=old, exp=old + 3600)
    body = client.post(INTROSPECT, data={"token": expired}, headers=basic(*creds)).json
    assert body == {"active": False}


def test_introspection_needs_client_authentication(client, register, get_token):
    token = get_token(register())
    response = client.post(INTROSPECT, data={"token": token})
    assert response.status_code == 401
    assert response.json["error"] == "invalid_client"


def test_introspection_without_a_token_is_invalid_request(client, register):
    response = client.post(INTROSPECT, data={}, headers=basic(*register()))
    assert response.status_code == 400
    assert response.json["error"] == "invalid_request"


def test_revoked_token_introspects_inactive(client, register, get_token):
    creds = register()
    token = get_token(creds)
    assert client.post(REVOKE, data={"token": token}, headers=basic(*creds)).status_code == 200
    body = client.post(INTROSPECT, data={"token": token}, headers=basic(*creds)).json
    assert body == {"active": False}


def test_revoking_twice_is_fine(client, register, get_token):
    creds = register()
    token = get_token(creds)
    for _ in range(2):
        assert client.post(REVOKE, data={"token": token},
                           headers=basic(*creds)).status_code == 200


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "x" * 9000])
def test_revoking_an_unknown_token_is_200(client, register, token):
    response = client.post(REVOKE, data={"token": token}, headers=basic(*register()))
    assert response.status_code == 200


def test_an_app_cannot_revoke_another_apps_token(client, app, register, get_token):
    mine, theirs = register("Mine"), register("Theirs")
    token = get_token(theirs)
    response = client.post(REVOKE, data={"token": token}, headers=basic(*mine))
    assert response.status_code == 400
    assert call(app, f"Bearer {token}").client_id == theirs.client_id


def test_revocation_needs_client_authentication(client, register, get_token):
    response = client.post(REVOKE, data={"token": get_token(register())})
    assert response.status_code == 401


def test_metadata_describes_this_server(client):
    response = client.get("/.well-known/oauth-authorization-server")
    metadata = AuthorizationServerMetadata(response.json)
    for check in ("issuer", "token_endpoint", "jwks_uri", "scopes_supported",
                  "grant_types_supported", "token_endpoint_auth_methods_supported",
                  "revocation_endpoint", "introspection_endpoint"):
        getattr(metadata, f"validate_{check}")()
    assert metadata["issuer"] == "http://localhost:8000"
    assert metadata["token_endpoint"] == "http://localhost:8000/oauth/token"
    assert metadata["grant_types_supported"] == ["client_credentials"]
    assert set(metadata["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic", "client_secret_post"}
    assert "https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly" in (
        metadata["scopes_supported"])


def test_metadata_follows_the_issuer_setting(make_node):
    node = make_node(issuer="https://gateway.district.example.org/")
    body = node.test_client().get("/.well-known/oauth-authorization-server").json
    assert body["issuer"] == "https://gateway.district.example.org"
    assert body["jwks_uri"] == "https://gateway.district.example.org/.well-known/jwks.json"


def test_jwks_verifies_issued_tokens_without_private_parts(client, register, get_token):
    token = get_token(register())
    keys = client.get("/.well-known/jwks.json").json
    assert all("d" not in key and "p" not in key for key in keys["keys"])
    assert all(key["alg"] == "RS256" and key["use"] == "sig" for key in keys["keys"])
    decoded = jwt.decode(token, KeySet.import_key_set(keys), algorithms=["RS256"])
    assert decoded.claims["jti"] == segment(token, 1)["jti"]


def test_jwks_publishes_a_key_before_any_token_is_issued(client):
    assert len(client.get("/.well-known/jwks.json").json["keys"]) == 1


@pytest.mark.parametrize("path", ["/oauth/token", INTROSPECT, REVOKE])
def test_plain_http_off_loopback_is_refused_with_an_oauth_error(client, register, path):
    response = client.post(path, data={"grant_type": "client_credentials", "token": "x"},
                           headers=basic(*register()), base_url="http://gateway.example.org")
    assert response.status_code == 400
    assert response.json["error"] == "insecure_transport"

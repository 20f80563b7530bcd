"""OAuth 1.0a for OneRoster 1.1 consumers: requests signed with authlib's client are accepted
(HMAC-SHA256 and HMAC-SHA1), and replays, stale or forged requests are refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

import pytest
from authlib.oauth1 import ClientAuth
from authlib.oauth1.rfc5849.signature import generate_signature_base_string
from authlib.oauth1.rfc5849.util import escape
from flask import Flask, request
from sqlalchemy import select

from gateway.auth.guard import AuthError, Caller, authenticate
from gateway.auth.registry import rotate_secret
from gateway.model import OAuth1Secret

USERS = "http://localhost/ims/oneroster/v1p1/users?limit=100&filter=role%3D%27student%27"


def sha256_signature(client: Any, req: Any) -> str:
    """HMAC-SHA256 as OneRoster 1.1 specifies, computed here independently of the server."""
    key = f"{escape(client.client_secret)}&{escape(client.token_secret or '')}"
    base = generate_signature_base_string(req)
    return base64.b64encode(hmac.new(key.encode(), base.encode(), hashlib.sha256).digest()
                            ).decode()


class OneRosterClientAuth(ClientAuth):
    """authlib's OAuth 1.0a client with HMAC-SHA256 and, for clock tests, a set timestamp."""

    SIGNATURE_METHODS = {**ClientAuth.SIGNATURE_METHODS, "HMAC-SHA256": sha256_signature}
    timestamp: int | None = None

    def get_oauth_params(self, nonce: str, timestamp: str) -> list[tuple[str, str]]:
        chosen = timestamp if self.timestamp is None else str(self.timestamp)
        return super().get_oauth_params(nonce, chosen)


def signed(client_id: str, secret: str, url: str = USERS, method: str = "HMAC-SHA256",
           timestamp: int | None = None, **params: Any) -> tuple[str, dict[str, str]]:
    auth = OneRosterClientAuth(client_id, secret, signature_method=method, **params)
    auth.timestamp = timestamp
    uri, headers, _body = auth.sign("GET", url, {}, b"")
    return uri, dict(headers)


def send(app: Flask, uri: str, headers: dict[str, str], **kwargs: Any) -> Caller:
    with app.test_request_context(uri, headers=headers):
        return authenticate(request, allow_oauth1=True, **kwargs)


def refused(app: Flask, uri: str, headers: dict[str, str]) -> AuthError:
    with pytest.raises(AuthError) as caught:
        send(app, uri, headers)
    return caught.value


@pytest.mark.parametrize("method", ["HMAC-SHA256", "HMAC-SHA1"])
def test_a_signed_request_is_accepted_with_every_agreed_scope(app, register, method):
    creds = register(oauth1=True, scopes=["roster.readonly"])
    caller = send(app, *signed(*creds, method=method))
    assert caller.client_id == creds.client_id
    assert caller.token_id is None
    assert caller.scopes == caller.agreement.scopes
    assert caller.agreement.name == "Reading Buddy agreement"


def test_the_same_request_replayed_is_refused(app, register):
    uri, headers = signed(*register(oauth1=True))
    send(app, uri, headers)
    error = refused(app, uri, headers)
    assert error.status == 401
    assert error.description == "this nonce was already used: the request is a replay"


def test_a_replay_to_another_node_is_refused_too(make_node, register):
    uri, headers = signed(*register(oauth1=True))
    send(make_node(), uri, headers)
    assert "replay" in refused(make_node(), uri, headers).description


def test_oauth1_is_refused_where_the_view_does_not_allow_it(app, register):
    uri, headers = signed(*register(oauth1=True))
    with app.test_request_context(uri, headers=headers):
        with pytest.raises(AuthError) as caught:
            authenticate(request)
    assert caught.value.error == "invalid_request"


def test_wrong_secret_is_refused(app, register):
    creds = register(oauth1=True)
    error = refused(app, *signed(creds.client_id, "not-the-secret"))
    assert error.description == "the OAuth 1.0a signature does not match the request"


def test_a_changed_query_breaks_the_signature(app, register):
    uri, headers = signed(*register(oauth1=True))
    assert "signature" in refused(app, uri.replace("limit=100", "limit=5000"), headers).description


def test_a_stale_timestamp_is_refused(app, register):
    uri, headers = signed(*register(oauth1=True), timestamp=int(time.time()) - 600)
    assert refused(app, uri, headers).description == 'Invalid "oauth_timestamp" value'


def test_a_future_timestamp_is_refused(app, register):
    uri, headers = signed(*register(oauth1=True), timestamp=int(time.time()) + 900)
    assert refused(app, uri, headers).description == '"oauth_timestamp" is in the future'


def test_query_string_signing_is_accepted_too(app, register):
    creds = register(oauth1=True)
    uri, headers = signed(*creds, signature_type="QUERY")
    assert "oauth_signature=" in uri
    assert send(app, uri, headers).client_id == creds.client_id


def test_plaintext_signatures_are_not_accepted(app, register):
    error = refused(app, *signed(*register(oauth1=True), method="PLAINTEXT"))
    assert error.description == "sign with HMAC-SHA256 (or HMAC-SHA1)"


def test_an_app_not_registered_for_oauth1_is_refused(app, register):
    error = refused(app, *signed(*register()))
    assert "not registered for OAuth 1.0a" in error.description


def test_the_secret_is_stored_encrypted_not_in_clear(engine, register):
    creds = register(oauth1=True)
    with engine.connect() as conn:
        stored = conn.execute(select(OAuth1Secret.ciphertext)).scalar()
    assert creds.client_secret not in stored
    assert creds.client_secret.encode() not in base64.b64decode(stored.removeprefix("v1:"))


def test_a_rotated_secret_signs_and_the_old_one_does_not(make_node, engine, register, vault):
    creds = register(oauth1=True)
    new_secret = rotate_secret(engine, creds.client_id, oauth1=vault)
    node = make_node()
    assert refused(node, *signed(*creds)).status == 401
    assert send(node, *signed(creds.client_id, new_secret)).client_id == creds.client_id


def test_a_disabled_app_is_refused(make_node, engine, register):
    from gateway.auth.registry import disable_app

    creds = register(oauth1=True)
    disable_app(engine, creds.client_id)
    assert refused(make_node(), *signed(*creds)).description == "the app is disabled"


def test_a_bearer_token_still_works_where_oauth1_is_allowed(app, register, get_token):
    creds = register(oauth1=True)
    token = get_token(creds)
    with app.test_request_context(USERS, headers={"Authorization": f"Bearer {token}"}):
        assert authenticate(request, allow_oauth1=True).token_id is not None

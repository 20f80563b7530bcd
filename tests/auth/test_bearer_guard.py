"""gateway.auth.guard.authenticate with bearer tokens: what a resource view gets, and every
token it must refuse (RFC 6750 section 3.1, RFC 8725, RFC 9068 section 4)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import date, timedelta

import pytest
from flask import request
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import select, update

from gateway.auth.guard import AuthError, authenticate
from gateway.auth.keys import rotate_keys
from gateway.auth.registry import disable_app
from gateway.model import AgreementRow, App, SigningKey
from tests.auth.helpers import (
    USERS,
    V1P2,
    b64,
    basic,
    call,
    forge,
    refusal,
    resign,
    segment,
    signing_key,
)


def test_a_valid_token_gives_the_caller_app_agreement_scopes_and_jti(app, register, get_token):
    creds = register(scopes=["roster-core.readonly"])
    token = get_token(creds, scope=V1P2 + "roster-core.readonly")
    caller = call(app, f"Bearer {token}")
    assert caller.client_id == creds.client_id
    assert caller.scopes == frozenset({V1P2 + "roster-core.readonly"})
    assert caller.agreement.name == "Reading Buddy agreement"
    assert caller.token_id == segment(token, 1)["jti"]
    assert isinstance(caller.app_id, int)


def test_no_credentials_is_401_without_an_error_code(app):
    error = refusal(app, None)
    assert error.status == 401
    assert error.www_authenticate == 'Bearer realm="gateway"'


def test_tokens_in_the_query_string_are_not_read(app, register, get_token):
    token = get_token(register())
    with app.test_request_context(f"/x?access_token={token}"):
        with pytest.raises(AuthError):
            authenticate(request)


def test_other_schemes_are_refused(app, register):
    error = refusal(app, "Basic " + b64(b"a:b"))
    assert error.error == "invalid_request"


def test_garbage_is_an_invalid_token(app):
    for junk in ("", "abc", "a.b.c", "x" * 20_000, "e30.e30.", "....."):
        error = refusal(app, f"Bearer {junk}")
        assert error.status == 401 and error.error == "invalid_token"
        assert error.www_authenticate.startswith('Bearer realm="gateway", error="invalid_token"')


def test_tampered_payload_is_refused(app, register, get_token):
    token = get_token(register(scopes=["roster-core.readonly"]))
    head, _payload, signature = token.split(".")
    claims = {**segment(token, 1), "scope": V1P2 + "roster-demographics.readonly"}
    tampered = f"{head}.{b64(json.dumps(claims).encode())}.{signature}"
    assert "signature" in refusal(app, f"Bearer {tampered}").description


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_unsigned_tokens_are_refused(app, register, get_token, alg):
    token = get_token(register())
    header = {**segment(token, 0), "alg": alg}
    error = refusal(app, f"Bearer {forge(header, segment(token, 1))}")
    assert error.description == "tokens must be signed RS256"


def test_hs256_signed_with_the_public_key_is_refused(app, client, register, get_token):
    token = get_token(register())
    header, claims = segment(token, 0), segment(token, 1)
    jwk = next(k for k in client.get("/.well-known/jwks.json").json["keys"]
               if k["kid"] == header["kid"])
    public_pem = RSAKey.import_key(jwk).as_pem(private=False)
    confused = {**header, "alg": "HS256"}
    signing_input = forge(confused, claims).rsplit(".", 1)[0].encode()
    mac = hmac.new(public_pem, signing_input, hashlib.sha256).digest()
    error = refusal(app, f"Bearer {signing_input.decode()}.{b64(mac)}")
    assert error.description == "tokens must be signed RS256"


def test_a_key_of_our_own_choosing_is_refused(app, register, get_token):
    token = get_token(register())
    attacker = RSAKey.generate_key(2048, private=True)
    header = {**segment(token, 0), "jwk": attacker.as_dict(private=False)}
    forged = jwt.encode(header, segment(token, 1), attacker, algorithms=["RS256"])
    assert "signature" in refusal(app, f"Bearer {forged}").description


def test_unknown_kid_is_refused(app, engine, register, get_token):
    token = get_token(register())
    header = {**segment(token, 0), "kid": "' OR 1=1 --"}
    key = signing_key(engine, segment(token, 0)["kid"])
    forged = jwt.encode(header, segment(token, 1), key, algorithms=["RS256"])
    assert refusal(app, f"Bearer {forged}").description == (
        "the token's signing key is unknown or retired")


def test_expired_token_is_refused(app, engine, register, get_token):
    token = get_token(register())
    old = int(time.time()) - 7200
    expired = resign(engine, token, iat=old, exp=old + 3600)
    assert refusal(app, f"Bearer {expired}").description == "the token has expired"


def test_token_issued_in_the_future_is_refused(app, engine, register, get_token):
    token = get_token(register())
    later = int(time.time()) + 3600
    assert "future" in refusal(app, f"Bearer {resign(engine, token, iat=later)}").description


def test_wrong_audience_is_refused(app, engine, register, get_token):
    token = get_token(register())
    other = resign(engine, token, aud="https://edfi.example.org")
    assert refusal(app, f"Bearer {other}").description == (
        "the token was not issued for this gateway's APIs")


def test_wrong_issuer_is_refused(app, engine, register, get_token):
    token = get_token(register())
    for issuer in ("https://evil.example.org", "http://localhost:8000/"):
        forged = resign(engine, token, iss=issuer)
        assert refusal(app, f"Bearer {forged}").description == (
            "the token was not issued by this gateway")


def test_subject_must_be_the_client(app, engine, register, get_token):
    token = get_token(register())
    error = refusal(app, f"Bearer {resign(engine, token, sub='someone-else')}")
    assert error.description == "the token's subject or scope is malformed"


def test_an_id_token_is_not_an_access_token(app, engine, register, get_token):
    token = get_token(register())
    header = {**segment(token, 0), "typ": "JWT"}
    key = signing_key(engine, header["kid"])
    forged = jwt.encode(header, segment(token, 1), KeySet([key]), algorithms=["RS256"])
    assert "typ" in refusal(app, f"Bearer {forged}").description


def test_revoked_token_is_refused_at_once_on_the_revoking_node(app, client, register, get_token):
    creds = register()
    token = get_token(creds)
    call(app, f"Bearer {token}")  # loads this node's denylist copy
    client.post("/oauth/revoke", data={"token": token}, headers=basic(*creds))
    assert refusal(app, f"Bearer {token}").description == "the token has been revoked"


def test_revocation_is_immediate_on_every_node(make_node, register, get_token):
    """Two create_app() on one store are two workers: the very next request through the
    worker that did not revoke is refused, even with its caches warm."""
    creds = register()
    token = get_token(creds)
    reader = make_node().test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    assert reader.get(USERS, headers=bearer).status_code == 200
    revoker = make_node().test_client()
    revoked = revoker.post("/oauth/revoke", data={"token": token}, headers=basic(*creds))
    assert revoked.status_code == 200
    refused = reader.get(USERS, headers=bearer)
    assert refused.status_code == 401
    assert "revoked" in refused.headers["WWW-Authenticate"]


def test_rotated_key_keeps_working_until_its_tokens_expire(app, engine, register, get_token):
    creds = register()
    before = get_token(creds)
    new_kid = rotate_keys(engine, token_lifetime=3600)
    after = get_token(creds)
    assert segment(after, 0)["kid"] == new_kid != segment(before, 0)["kid"]
    assert call(app, f"Bearer {before}").client_id == creds.client_id
    assert call(app, f"Bearer {after}").client_id == creds.client_id


def test_rotated_out_key_is_refused_after_its_last_token_expired(make_node, engine, register,
                                                                  get_token):
    token = get_token(register())
    rotate_keys(engine, token_lifetime=3600)
    with engine.begin() as conn:  # an hour later: every token of the old key has expired
        conn.execute(update(SigningKey).where(SigningKey.kid == segment(token, 0)["kid"])
                     .values(accept_until=SigningKey.retired_at))
    node = make_node()
    assert refusal(node, f"Bearer {token}").description == (
        "the token's signing key is unknown or retired")
    published = node.test_client().get("/.well-known/jwks.json").json["keys"]
    assert segment(token, 0)["kid"] not in {k["kid"] for k in published}


def test_disabled_app_is_refused_at_use(make_node, engine, register, get_token):
    creds = register()
    token = get_token(creds)
    disable_app(engine, creds.client_id)
    assert refusal(make_node(), f"Bearer {token}").description == "the app is disabled"


def test_agreement_that_expired_since_issue_is_refused_at_use(make_node, engine, register,
                                                               get_token):
    creds = register()
    token = get_token(creds)
    lapsed = date.today() - timedelta(days=1)
    with engine.begin() as conn:  # the agreement's end date has passed since the token
        agreement_id = conn.execute(select(App.agreement_id)
                                    .where(App.client_id == creds.client_id)).scalar()
        document = conn.execute(select(AgreementRow.document)
                                .where(AgreementRow.id == agreement_id)).scalar()
        conn.execute(update(AgreementRow).where(AgreementRow.id == agreement_id)
                     .values(document={**document, "expires": lapsed.isoformat()}))
    error = refusal(make_node(), f"Bearer {token}")
    assert error.description == (
        f"the app's data-sharing agreement expired on {lapsed.isoformat()}")


def test_scopes_dropped_from_the_agreement_since_issue_are_not_honoured(make_node, engine,
                                                                       register, get_token):
    creds = register(scopes=["roster-core.readonly", "roster.readonly"])
    token = get_token(creds)
    with engine.begin() as conn:
        agreement_id = conn.execute(select(App.agreement_id)
                                    .where(App.client_id == creds.client_id)).scalar()
        document = conn.execute(select(AgreementRow.document)
                                .where(AgreementRow.id == agreement_id)).scalar()
        kept = [s for s in document["scopes"] if s.endswith("roster-core.readonly")]
        conn.execute(update(AgreementRow).where(AgreementRow.id == agreement_id)
                     .values(document={**document, "scopes": kept}))
    assert call(make_node(), f"Bearer {token}").scopes == frozenset(kept)


def test_verification_costs_one_denylist_key_read_once_keys_are_cached(app, engine, register,
                                                                         get_token):
    """Revocation is immediate on every node, so each use looks its jti up (one primary-key
    read); keys, app and agreement come from the process's caches."""
    from sqlalchemy import event

    token = get_token(register())
    call(app, f"Bearer {token}")
    queries: list[str] = []
    store = app.extensions["gateway.store"].snapshots  # where requests read
    listener = lambda *args: queries.append(args[2])  # noqa: E731
    event.listen(store, "before_cursor_execute", listener)
    try:
        call(app, f"Bearer {token}")
    finally:
        event.remove(store, "before_cursor_execute", listener)
    reads = [q for q in queries if q.strip().upper() != "BEGIN"]  # SQLite's explicit BEGIN
    assert len(reads) == 1
    assert "FROM revoked_tokens WHERE jti = " in reads[0]


def test_a_token_this_node_verified_before_is_refused_once_it_expires(app, register, get_token,
                                                                      monkeypatch):
    """Verified tokens are remembered by their text, never beyond their expiry."""
    token = get_token(register())
    assert call(app, f"Bearer {token}").client_id  # verified, and remembered
    later = time.time() + 2 * 3600
    monkeypatch.setattr(time, "time", lambda: later)
    assert refusal(app, f"Bearer {token}").description == "the token has expired"


def test_a_token_this_node_verified_before_is_refused_once_its_key_is_retired(
        app, engine, register, get_token):
    from gateway.auth.wiring import auth_state

    token = get_token(register())
    assert call(app, f"Bearer {token}").client_id  # verified, and remembered
    rotate_keys(engine, token_lifetime=3600)
    with engine.begin() as conn:
        conn.execute(update(SigningKey).where(SigningKey.kid == segment(token, 0)["kid"])
                     .values(accept_until=SigningKey.retired_at))
    with app.app_context():
        auth_state().keyring.forget()  # the key ring's next refresh
    assert refusal(app, f"Bearer {token}").description == (
        "the token's signing key is unknown or retired")

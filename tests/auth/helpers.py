"""Helpers the auth tests share: calling the guard inside a real request, and reading,
forging and re-signing JWTs."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from flask import Flask, request
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import Engine, select

from gateway.auth.guard import AuthError, Caller, authenticate
from gateway.model import SigningKey

V1P1 = "https://purl.imsglobal.org/spec/or/v1p1/scope/"
V1P2 = "https://purl.imsglobal.org/spec/or/v1p2/scope/"
USERS = "http://localhost/ims/oneroster/v1p1/users"


def basic(client_id: str, secret: str) -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def segment(token: str, index: int) -> dict[str, Any]:
    part = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def call(app: Flask, authorization: str | None, url: str = USERS, **kwargs: Any) -> Caller:
    headers = {} if authorization is None else {"Authorization": authorization}
    with app.test_request_context(url, headers=headers):
        return authenticate(request, **kwargs)


def refusal(app: Flask, authorization: str | None, **kwargs: Any) -> AuthError:
    with pytest.raises(AuthError) as caught:
        call(app, authorization, **kwargs)
    return caught.value


def forge(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    head = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
    return head + "." + b64(signature)


def signing_key(engine: Engine, kid: str) -> RSAKey:
    with engine.connect() as conn:
        pem = conn.execute(select(SigningKey.private_pem).where(SigningKey.kid == kid)).scalar()
    return RSAKey.import_key(pem, {"kid": kid})


def resign(engine: Engine, token: str, **changes: Any) -> str:
    """The same token with claims changed, properly signed with the gateway's own key: only
    the claim checks stand between it and acceptance."""
    header, claims = segment(token, 0), segment(token, 1)
    key = signing_key(engine, header["kid"])
    return jwt.encode(header, {**claims, **changes}, KeySet([key]), algorithms=["RS256"])

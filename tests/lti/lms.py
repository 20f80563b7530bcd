"""A small LTI 1.3 platform playing the district's LMS, built in the test from joserfc
primitives: its own RSA key with a kid, its JWK Set served for real on loopback by
pytest-httpserver (the gateway fetches it over HTTP), and an authorization endpoint played
in-process: given the gateway's authentication request, it checks the request as a platform
must (SEC 5.1.1.2) and mints the id_token an LMS would post back."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
CLIENT_ID = "gateway-at-lms"
DEPLOYMENT = "dep-1"


@dataclass
class Lms:
    server: HTTPServer
    key: RSAKey
    issuer: str
    jwks_fetches: int = 0
    published: list[RSAKey] = field(default_factory=list)

    @property
    def auth_url(self) -> str:
        return self.issuer + "/authorize"

    @property
    def jwks_url(self) -> str:
        return self.issuer + "/jwks"

    def serve(self) -> None:
        self.published = [self.key]

        def jwks(_request: Request) -> Response:
            self.jwks_fetches += 1
            body = {"keys": [k.as_dict(private=False, kid=k.kid, alg="RS256", use="sig")
                             for k in self.published]}
            return Response(json.dumps(body), mimetype="application/json")

        self.server.expect_request("/jwks").respond_with_handler(jwks)

    def rotate(self) -> None:
        """A new signing key under a new kid, published alone (the old one withdrawn)."""
        self.key = new_key()
        self.published = [self.key]

    def authenticate(self, location: str) -> dict[str, str]:
        """The gateway's authentication request, checked as the LMS would."""
        parts = urlsplit(location)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == self.auth_url
        params = dict(parse_qsl(parts.query))
        assert params["scope"] == "openid" and params["response_type"] == "id_token"
        assert params["response_mode"] == "form_post" and params["prompt"] == "none"
        assert params["client_id"] == CLIENT_ID
        assert params["nonce"] and params["state"]
        return params

    def claims(self, auth: dict[str, str], target: str, **changes: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer, "aud": CLIENT_ID, "azp": CLIENT_ID,
            "sub": "lms-user-" + uuid.uuid4().hex[:8], "iat": now - 1, "exp": now + 300,
            "nonce": auth["nonce"],
            LTI + "message_type": "LtiResourceLinkRequest", LTI + "version": "1.3.0",
            LTI + "deployment_id": DEPLOYMENT, LTI + "target_link_uri": target,
            LTI + "resource_link": {"id": "lms-link-1", "title": "Unit 1 practice"},
            LTI + "context": {"id": "lms-course-77", "label": "ALG1", "title": "Algebra I"},
            LTI + "roles": [LEARNER],
        }
        claims.update(changes)
        return {k: v for k, v in claims.items() if v is not None}

    def id_token(self, claims: dict[str, Any], key: RSAKey | None = None,
                 header: dict[str, Any] | None = None) -> str:
        key = key or self.key
        return jwt.encode(header or {"alg": "RS256", "typ": "JWT", "kid": key.kid}, claims,
                          key, algorithms=["RS256"])


def new_key() -> RSAKey:
    key = RSAKey.generate_key(2048, private=True)
    key.ensure_kid()
    return key

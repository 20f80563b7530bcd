"""Signing a connector's requests: OAuth2 client credentials, OAuth 1.0a, API key, basic.

authlib does the protocols: its OAuth2Session fetches a client-credentials token and fetches a
new one when it expires (with a leeway of a tenth of its lifetime, at most 30 s); its OAuth1
client signs two-legged requests, here with HMAC-SHA256 as OneRoster 1.1 specifies. The secrets
come from the source's options, which name environment variables (never the connector file).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.requests_client import OAuth1Auth, OAuth2Session
from authlib.oauth1.rfc5849.client_auth import ClientAuth
from authlib.oauth1.rfc5849.signature import generate_signature_base_string
from authlib.oauth1.rfc5849.util import escape

from adapters.rest_api.connector import AuthSpec, HttpSpec
from adapters.rest_api.http import SourceError, mount_retries

Renew = Callable[[], None]


def _hmac_sha256(client: Any, request: Any) -> str:
    """RFC 5849 section 3.4.2 with SHA-256 (OneRoster 1.1), over authlib's base string."""
    key = f"{escape(client.client_secret or '')}&{escape(client.token_secret or '')}"
    digest = hmac.new(key.encode(), generate_signature_base_string(request).encode(),
                      hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class OneRosterOAuth1(OAuth1Auth):
    SIGNATURE_METHODS = {**ClientAuth.SIGNATURE_METHODS, "HMAC-SHA256": _hmac_sha256}


class ApiKey(requests.auth.AuthBase):
    def __init__(self, header: str, key: str, prefix: str = "") -> None:
        self.header, self.value = header, f"{prefix}{key}"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers[self.header] = self.value
        return request


def missing_credentials(auth: AuthSpec, credentials: dict[str, str | None]) -> list[str]:
    """Options the auth type needs that the source does not give."""
    needs = {"oauth2_client_credentials": ("client_id", "client_secret"),
             "oauth1_hmac_sha256": ("client_id", "client_secret"),
             "api_key": ("api_key",), "basic": ("username", "password")}.get(auth.type, ())
    return [name for name in needs if not credentials.get(name)]


def build_session(auth: AuthSpec, http: HttpSpec, base_url: str,
                  credentials: dict[str, str | None], ca_bundle: str | None
                  ) -> tuple[requests.Session, Renew | None]:
    """A session that signs every request, with retries mounted; and, for OAuth2, the call
    that fetches a fresh token (after a 401)."""
    renew: Renew | None = None
    if auth.type == "oauth2_client_credentials":
        token_url = urljoin(base_url.rstrip("/") + "/", (auth.token_url or "").lstrip("/")) \
            if not (auth.token_url or "").startswith(("http://", "https://")) else auth.token_url
        session: requests.Session = OAuth2Session(
            credentials["client_id"], credentials["client_secret"], scope=auth.scope,
            token_endpoint=token_url, grant_type="client_credentials",
            token_endpoint_auth_method="client_secret_basic", leeway=0,
            default_timeout=(http.timeout, http.timeout))

        def renew() -> None:
            _fetch_token(session, token_url)  # type: ignore[arg-type]

        _wrap_expiry(session)  # type: ignore[arg-type]
    else:
        session = requests.Session()
        if auth.type == "oauth1_hmac_sha256":
            session.auth = OneRosterOAuth1(credentials["client_id"], credentials["client_secret"],
                                           signature_method="HMAC-SHA256")
        elif auth.type == "api_key":
            session.auth = ApiKey(auth.header or "", credentials["api_key"] or "", auth.prefix)
        elif auth.type == "basic":
            session.auth = (credentials["username"] or "", credentials["password"] or "")
    if ca_bundle:
        _trust_only(session, ca_bundle)
    mount_retries(session, http)
    return session, renew


def _trust_only(session: requests.Session, ca_bundle: str) -> None:
    """Verify against the source's CA bundle on every request, the token's included. requests
    lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE (set on many machines) override `session.verify`,
    so the configured bundle is pinned where requests merges the environment in."""
    session.verify = ca_bundle
    merge = session.merge_environment_settings

    def merged(url, proxies, stream, verify, cert):  # noqa: ANN001, ANN202
        settings = merge(url, proxies, stream, verify, cert)
        settings["verify"] = ca_bundle
        return settings

    session.merge_environment_settings = merged  # type: ignore[method-assign]


def _fetch_token(session: OAuth2Session, token_url: str) -> None:
    try:
        session.fetch_token(token_url, grant_type="client_credentials")
    except AuthlibBaseError as exc:
        raise SourceError(f"{token_url}: the token request was refused: {exc.error}"
                          f"{': ' + exc.description if exc.description else ''}") from None
    except requests.exceptions.RequestException as exc:
        raise SourceError(f"{token_url}: the token request failed: {exc}") from None
    except ValueError as exc:  # a token endpoint that does not answer JSON
        raise SourceError(f"{token_url}: the token endpoint's answer is not a token: {exc}") \
            from None


def _wrap_expiry(session: OAuth2Session) -> None:
    """authlib re-fetches an expired client-credentials token by itself; the first token, and a
    leeway proportionate to short lifetimes, are ours to set up."""
    fetch = session.ensure_active_token

    def ensure(token: Any = None) -> bool:
        current = token if token is not None else session.token
        lifetime = current.get("expires_in")
        session.leeway = min(30, int(lifetime) // 10) if isinstance(lifetime, int) else 0
        try:
            return fetch(current)
        except AuthlibBaseError as exc:
            raise SourceError(f"{session.metadata['token_endpoint']}: the token request was "
                              f"refused: {exc.error}") from None

    session.ensure_active_token = ensure  # type: ignore[method-assign]

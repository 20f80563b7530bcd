"""HTTP endpoints of the authorization server: token, introspection, revocation (POST), and the
public documents clients discover it by (RFC 8414 metadata, the JWK Set)."""

from __future__ import annotations

from authlib.oauth2 import OAuth2Error
from flask import Blueprint, Response, jsonify, request

from gateway.auth.clients import AUTH_METHODS
from gateway.auth.keys import published_jwks
from gateway.auth.request_limits import bound_oauth_requests
from gateway.auth.scopes import CATALOGUE
from gateway.auth.tokens import ALGORITHM
from gateway.auth.wiring import auth_state
from gateway.extensions import store_engine

oauth = Blueprint("oauth", __name__)
bound_oauth_requests(oauth)

TOKEN_PATH = "/oauth/token"
TOKEN_INFO_PATH = "/oauth/token_info"
INTROSPECT_PATH = "/oauth/introspect"
REVOKE_PATH = "/oauth/revoke"
JWKS_PATH = "/.well-known/jwks.json"


@oauth.post(TOKEN_PATH)
def token() -> Response:
    """Throttled inside client authentication (gateway.auth.secret_guard), like introspection
    and revocation."""
    return auth_state().server.create_token_response()


def _endpoint(name: str) -> Response:
    """authlib reads the request before its own error handling starts (it refuses plain http
    off loopback there); such a refusal still gets an RFC 6749 error body."""
    server = auth_state().server
    try:
        return server.create_endpoint_response(name)
    except OAuth2Error as error:
        return server.handle_response(*error())


@oauth.post(INTROSPECT_PATH)
def introspect() -> Response:
    return _endpoint("introspection")


@oauth.post(REVOKE_PATH)
def revoke() -> Response:
    return _endpoint("revocation")


@oauth.get("/.well-known/oauth-authorization-server")
def metadata() -> Response:
    """RFC 8414. There is no authorization endpoint (no user-facing grant), hence no response
    types."""
    issuer = auth_state().settings.issuer
    methods = list(AUTH_METHODS)
    response = jsonify({
        "issuer": issuer,
        "token_endpoint": issuer + TOKEN_PATH,
        "jwks_uri": issuer + JWKS_PATH,
        "scopes_supported": sorted(CATALOGUE),
        "response_types_supported": [],
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": methods,
        "revocation_endpoint": issuer + REVOKE_PATH,
        "revocation_endpoint_auth_methods_supported": methods,
        "introspection_endpoint": issuer + INTROSPECT_PATH,
        "introspection_endpoint_auth_methods_supported": methods,
        "access_token_signing_alg_values_supported": [ALGORITHM],
    })
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@oauth.get(JWKS_PATH)
def jwks() -> Response:
    """Short cache lifetime: a key added by rotation must reach verifiers well before tokens
    signed with it are common."""
    auth_state().signing_keys()  # the first key is made on first use, also by a verifier
    response = jsonify(published_jwks(store_engine()))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@oauth.post(TOKEN_INFO_PATH)
def token_info() -> Response:
    """Ed-Fi's token information endpoint: the caller shows its own bearer token and names it
    in the body; it learns what the token grants (scopes, the schools of its agreement, its
    read profile). Another app's token is never described."""
    from gateway.auth.guard import AuthError, authenticate
    from gateway.edfi.profiles import profile_name

    try:
        caller = authenticate(request)
    except AuthError as exc:
        response = jsonify(error=exc.error, error_description=exc.description)
        response.status_code = 401
        response.headers["WWW-Authenticate"] = exc.www_authenticate
        return response
    named = request.form.get("token", "")
    bearer = request.headers.get("Authorization", "").partition(" ")[2].strip()
    if not named or named != bearer:
        response = jsonify(error="invalid_request",
                           error_description="name the bearer token of this request in the "
                                             "`token` parameter")
        response.status_code = 400
        return response
    schools = caller.agreement.schools
    return jsonify(
        active=True, client_id=caller.client_id, scope=" ".join(sorted(caller.scopes)),
        education_organizations=None if schools is None else sorted(schools),
        assigned_profiles=[profile_name(caller.agreement)],
        agreement={"name": caller.agreement.name, "purpose": caller.agreement.purpose,
                   "expires": caller.agreement.expires.isoformat()},
    )

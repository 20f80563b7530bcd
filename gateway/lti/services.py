"""The bearer check every LTI service makes: a service token this gateway issued for the LTI
services (gateway.lti.service_tokens), of a tool still registered under an active agreement,
carrying the scope the call needs."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response, jsonify, request

from gateway.auth.clients import AppClient
from gateway.auth.lti_registry import ToolRegistration, load_tool
from gateway.auth.tokens import TokenInvalid, verify_token
from gateway.auth.wiring import auth_state
from gateway.extensions import store_engine
from gateway.lti.service_tokens import lti_audience


@dataclass(frozen=True)
class ServiceCaller:
    tool: ToolRegistration
    app: AppClient
    scopes: frozenset[str]


class ServiceError(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description

    def response(self) -> Response:
        body = jsonify(error=self.error, error_description=self.description)
        body.status_code = self.status
        if self.status == 401:
            safe = self.description.replace('"', "'")
            body.headers["WWW-Authenticate"] = (f'Bearer realm="gateway-lti", error='
                                                f'"{self.error}", error_description="{safe}"')
        return body


def service_caller(*accepted: str) -> ServiceCaller:
    """The caller, whose token must carry one of the `accepted` scopes."""
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ServiceError(401, "invalid_request", "send Authorization: Bearer <service token "
                                                   "from /lti/token>")
    state = auth_state()
    engine = store_engine()
    try:
        claims = verify_token(token.strip(), lambda kid: state.keyring.key_for(engine, kid),
                              issuer=state.settings.issuer,
                              audience=lti_audience(state.settings.issuer))
    except TokenInvalid as exc:
        raise ServiceError(401, "invalid_token", exc.description) from None
    tool = load_tool(engine, claims["client_id"])
    app = None if tool is None else state.clients.get(engine, tool.app_client_id)
    if tool is None or app is None or app.refusal():
        raise ServiceError(401, "invalid_token", "the tool is no longer registered under an "
                                                 "active agreement")
    scopes = frozenset(claims.get("scope", "").split()) & tool.scopes
    if not scopes & set(accepted):
        raise ServiceError(403, "insufficient_scope",
                           f"this call needs the scope {' or '.join(accepted)}")
    return ServiceCaller(tool, app, scopes)

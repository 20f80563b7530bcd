"""The OneRoster HTTP surface: one catch-all route per service, dispatched on the raw path to the
operation the service's OpenAPI document declares, after authentication and the scope check."""

from __future__ import annotations

import copy

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from sqlalchemy.exc import OperationalError

from gateway.auth.api_limits import ApiRateLimiter
from gateway.auth.guard import AuthError, authenticate
from gateway.busy import StoreBusy, as_busy
from gateway.extensions import store_engine
from gateway.oneroster.errors import OneRosterError, error_response
from gateway.oneroster.query import QueryError
from gateway.oneroster.reads import ReadContext, handle_read
from gateway.oneroster.routes import SERVICES, Service, match, operations
from gateway.public_url import public_root
from gateway.request_ids import new_request_id
from gateway.specs import load_json

blueprint = Blueprint("oneroster", __name__)
_OPERATIONS = {service.prefix: operations(service) for service in SERVICES}


def _bases(service: Service) -> dict[str, str]:
    root = public_root()
    if service.version == "1.1":
        base = root + service.prefix
        return {"rostering": base, "gradebook": base, "resources": base}
    return {name: f"{root}/ims/oneroster/{name}/v1p2"
            for name in ("rostering", "gradebook", "resources")}


def _raw_rest(service: Service) -> str:
    """The request path after the service prefix, still percent-encoded."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    path = raw.split("?", 1)[0] if raw else request.path
    at = path.find(service.prefix)
    return path[at + len(service.prefix):] if at >= 0 else path


def _dispatch(service: Service) -> Response:
    request_id = new_request_id()
    ops = _OPERATIONS[service.prefix]
    op, params, allowed = match(ops, request.method, _raw_rest(service))
    try:
        if op is None:
            if allowed:
                return error_response(service.version, "invalid_data",
                                      f"{request.method} is not allowed here",
                                      {"Allow": ", ".join(allowed)}), 405
            raise OneRosterError("unknown_object", f"no OneRoster endpoint {request.path}")
        try:
            caller = authenticate(request, allow_oauth1=service.version == "1.1")
        except AuthError as exc:
            raise OneRosterError("unauthorized", exc.description,
                                 {"WWW-Authenticate": exc.www_authenticate}) from None
        decision = current_app.extensions["gateway.api_limits"].hit(store_engine(),
                                                                   caller.client_id)
        if not decision.allowed:
            raise OneRosterError("server_busy", f"more than the app's limit of "
                                                f"{current_app.config['API_RATE_LIMIT']} "
                                                "requests a minute; retry later",
                                 {"Retry-After": str(decision.retry_after)})
        if op.scopes and not caller.scopes & op.scopes:
            raise OneRosterError("forbidden", f"{op.operation_id} needs one of the scopes "
                                              f"{', '.join(sorted(op.scopes))}")
        ctx = ReadContext(service.version, _bases(service), caller, request_id)
        if op.method == "GET":
            return handle_read(ctx, op.operation_id, params)
        from gateway.oneroster.writes import handle_write

        return handle_write(ctx, op.operation_id, params)
    except QueryError as exc:
        return error_response(service.version, exc.code_minor, exc.message)
    except OneRosterError as exc:
        return error_response(service.version, exc.reason, exc.description, exc.headers)
    except (StoreBusy, OperationalError) as exc:
        if (busy := as_busy(exc)) is None:
            raise
        return error_response(service.version, "store_busy",
                              f"{busy}; retry after {busy.retry_after} s",
                              {"Retry-After": str(busy.retry_after)})


def _openapi(service: Service) -> Response:
    """The service's OpenAPI document, with this deployment's server and token URLs."""
    doc = copy.deepcopy(load_json(service.spec))
    root = public_root()
    doc["servers"] = [{"url": root + service.prefix}]
    for scheme in doc.get("components", {}).get("securitySchemes", {}).values():
        flow = scheme.get("flows", {}).get("clientCredentials")
        if flow:
            flow["tokenUrl"] = root + "/oauth/token"
    return jsonify(doc)


def init_app(app: Flask) -> None:
    settings = app.config["GATEWAY_SETTINGS"]
    app.config["API_RATE_LIMIT"] = settings.api_rate_limit
    app.extensions["gateway.api_limits"] = ApiRateLimiter(settings.api_rate_limit)
    for service in SERVICES:
        endpoint = service.prefix.strip("/").replace("/", "_")

        def view(rest: str = "", _service: Service = service) -> Response:
            return _dispatch(_service)

        def spec(_service: Service = service) -> Response:
            return _openapi(_service)

        app.add_url_rule(f"{service.prefix}/openapi.json", f"{endpoint}_openapi", spec)
        app.add_url_rule(f"{service.prefix}/<path:rest>", endpoint, view,
                         methods=["GET", "PUT", "POST", "DELETE"], strict_slashes=False)

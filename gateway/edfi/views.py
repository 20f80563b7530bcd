"""The Ed-Fi HTTP surface: discovery at the root (for JSON clients), metadata, `/data/v3/ed-fi`
resources and descriptors, change queries. Every data route authenticates, checks the Ed-Fi
scope, then hands over to reads, writes or change queries; every error is a problem document."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Flask, Response, request
from sqlalchemy.exc import OperationalError

from adapters.edfi_mapping.identity import is_edfi_id
from adapters.edfi_mapping.resources import RESOURCES
from gateway.auth.guard import AuthError, authenticate
from gateway.auth.scopes import EDFI, EDFI_READ, EDFI_WRITE
from gateway.busy import StoreBusy, as_busy
from gateway.edfi import changes, descriptor_reads, descriptor_writes, discovery, reads
from gateway.edfi.problems import EdFiProblem, busy, problem_response
from gateway.edfi.reads import Request
from gateway.request_ids import new_request_id

blueprint = Blueprint("edfi", __name__)
DATA = discovery.DATA_PATH + "/ed-fi"


def _caller(write: str | None = None) -> Request:
    try:
        caller = authenticate(request)
    except AuthError as exc:
        raise EdFiProblem("security:authentication", exc.description,
                          headers={"WWW-Authenticate": exc.www_authenticate}) from None
    if write is None:
        if not caller.scopes & {EDFI_READ, EDFI_WRITE}:
            raise EdFiProblem("security:authorization",
                              "the app's agreement does not grant Ed-Fi access "
                              "(scope edfi.readonly or edfi.write)")
    elif not caller.scopes & {EDFI_WRITE, f"{EDFI}edfi.write.{write}"}:
        raise EdFiProblem("security:authorization",
                          f"the app's agreement does not grant writing {write} "
                          f"(scope edfi.write or edfi.write.{write})")
    return Request(caller, new_request_id())


def _guarded(handler: Callable[[], Response]) -> Response:
    correlation_id = new_request_id()
    try:
        return handler()
    except EdFiProblem as problem:
        return problem_response(problem, correlation_id)
    except (StoreBusy, OperationalError) as exc:
        if (store_busy := as_busy(exc)) is None:
            raise
        return problem_response(busy(store_busy.retry_after, str(store_busy)), correlation_id)


def _resource(name: str) -> str:
    for known in RESOURCES:
        if known.lower() == name.lower():
            return known
    raise EdFiProblem("not-found", f"{name!r} is not a resource this API serves")


def _descriptor(name: str) -> str | None:
    return next((k for k in descriptor_reads.resource_names() if k.lower() == name.lower()), None)


def _descriptor_item(segment: str, item: str) -> Response:
    """Descriptor values by id (the crosswalk's read-only), and their change queries."""
    if item.lower() in ("deletes", "keychanges") and request.method == "GET":
        _caller()
        if item.lower() == "deletes":
            return changes.descriptor_deletes(segment)
        return changes.descriptor_key_changes()
    if request.method == "GET":
        _caller()
        return descriptor_reads.descriptor_single(segment, item)
    req = _caller(write="descriptors")
    if request.method == "PUT":
        return descriptor_writes.put(req, segment, item)
    return descriptor_writes.delete(req, segment, item)


@blueprint.before_app_request
def _discovery_at_root() -> Response | None:
    if request.path == "/" and request.method == "GET" and discovery.wants_discovery():
        return discovery.discovery_document()
    return None


@blueprint.get(discovery.METADATA_PATH, strict_slashes=False)
def metadata() -> Response:
    return discovery.metadata_index()


@blueprint.get(discovery.OPENAPI_PATH)
def openapi() -> Response:
    return discovery.openapi()


@blueprint.get(discovery.DEPENDENCIES_PATH)
def dependencies() -> Response:
    return discovery.dependencies()


@blueprint.get(discovery.CHANGE_QUERIES_PATH + "/availableChangeVersions", strict_slashes=False)
def available_change_versions() -> Response:
    def run() -> Response:
        _caller()
        return changes.available_change_versions()
    return _guarded(run)


@blueprint.route(DATA + "/<name>", methods=["GET", "POST"], strict_slashes=False)
def collection(name: str) -> Response:
    def run() -> Response:
        segment = _descriptor(name)
        if segment is not None:
            if request.method == "POST":
                return descriptor_writes.post(_caller(write="descriptors"), segment)
            _caller()
            return descriptor_reads.descriptor_collection(segment)
        resource = _resource(name)
        if request.method == "POST":
            from gateway.edfi.writes import post

            return post(_caller(write=resource), resource)
        return reads.collection(_caller(), resource)
    return _guarded(run)


@blueprint.route(DATA + "/<name>/<item>", methods=["GET", "PUT", "DELETE"],
                 strict_slashes=False)
def item(name: str, item: str) -> Response:
    def run() -> Response:
        segment = _descriptor(name)
        if segment is not None:
            return _descriptor_item(segment, item)
        resource = _resource(name)
        if item.lower() in ("deletes", "keychanges") and request.method == "GET":
            req = _caller()
            if item.lower() == "deletes":
                return changes.deletes(req, resource)
            return changes.key_changes(req, resource)
        if not is_edfi_id(item):
            _caller()
            raise EdFiProblem("not-found", f"{item!r} is not an id (32 hexadecimal digits)")
        if request.method == "GET":
            return reads.single(_caller(), resource, item)
        from gateway.edfi.writes import delete, put

        req = _caller(write=resource)
        return put(req, resource, item) if request.method == "PUT" else delete(req, resource,
                                                                               item)
    return _guarded(run)


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)

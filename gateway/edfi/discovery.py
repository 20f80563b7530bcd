"""The documents an Ed-Fi client starts from: the discovery document at the root, the metadata
index, the OpenAPI of the served resources and the dependency order. None needs a token."""

from __future__ import annotations

import copy

from flask import Response, request

from adapters.edfi_mapping.resources import dependency_order
from gateway.edfi.reads import json_response
from gateway.public_url import public_root
from gateway.specs import load_json

DATA_STANDARD = "5.2.0"
API_VERSION = "7.3"
DATA_PATH = "/data/v3"
CHANGE_QUERIES_PATH = "/changeQueries/v1"
METADATA_PATH = "/metadata"
OPENAPI_PATH = "/metadata/data/v3/resources/swagger.json"
DEPENDENCIES_PATH = "/metadata/data/v3/dependencies"


def _root() -> str:
    return public_root()


def wants_discovery() -> bool:
    """JSON unless the client prefers HTML: a browser keeps the health page, an API client
    (Accept: application/json, or */* as HTTP libraries send) gets the discovery document."""
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best != "text/html"


def discovery_document() -> Response:
    root = _root()
    return json_response({
        "version": API_VERSION,
        "informationalVersion": API_VERSION,
        "suite": "3",
        "build": "school-data-gateway",
        "apiMode": "Year Specific",
        "dataModels": [{"name": "Ed-Fi", "version": DATA_STANDARD,
                        "informationalVersion": "The Ed-Fi core resources this gateway serves"}],
        "urls": {
            "dependencies": root + DEPENDENCIES_PATH,
            "openApiMetadata": root + METADATA_PATH,
            "oauth": root + "/oauth/token",
            "tokenInfo": root + "/oauth/token_info",
            "dataManagementApi": root + DATA_PATH,
            "changeQueries": root + CHANGE_QUERIES_PATH + "/",
        },
    })


def metadata_index() -> Response:
    root = _root()
    return json_response([{"name": "Resources", "endpointUri": root + OPENAPI_PATH,
                           "prefix": ""}])


def openapi() -> Response:
    doc = copy.deepcopy(load_json("edfi/openapi.json"))
    root = _root()
    doc["servers"] = [{"url": root + DATA_PATH}]
    for scheme in doc.get("components", {}).get("securitySchemes", {}).values():
        flow = scheme.get("flows", {}).get("clientCredentials")
        if flow:
            flow["tokenUrl"] = root + "/oauth/token"
    return json_response(doc)


def dependencies() -> Response:
    return json_response(dependency_order())

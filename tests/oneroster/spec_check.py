"""Validate gateway responses against the OpenAPI documents in specs/ (the same validator the
conformance suite uses against any server)."""

from __future__ import annotations

from functools import cache

from conformance.openapi import OpenApiDocument
from gateway.specs import SPECS_DIR

DOCS = {
    "/ims/oneroster/v1p1": "oneroster/v1p1/openapi.json",
    "/ims/oneroster/rostering/v1p2": "oneroster/v1p2/rostering.openapi.json",
    "/ims/oneroster/gradebook/v1p2": "oneroster/v1p2/gradebook.openapi.json",
    "/ims/oneroster/resources/v1p2": "oneroster/v1p2/resources.openapi.json",
}


@cache
def document(prefix: str) -> OpenApiDocument:
    return OpenApiDocument.load(SPECS_DIR / DOCS[prefix])


def problems(method: str, path: str, response, *, partial: bool = False) -> list:  # noqa: ANN001
    prefix = next(p for p in DOCS if path.startswith(p))
    body = response.get_json() if response.data else None
    return document(prefix).validate_response(method, path.split("?")[0], response.status_code,
                                              body, partial=partial)


def assert_valid(method: str, path: str, response, *, partial: bool = False) -> None:  # noqa: ANN001
    found = problems(method, path, response, partial=partial)
    assert not found, f"{method} {path} -> {response.status_code}: {found[:3]}"

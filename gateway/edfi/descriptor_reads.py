"""Descriptor resources (`/ed-fi/sexDescriptors`, ...), served from the crosswalk: the values
this gateway reads and writes, with deterministic ids. They carry no student data."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from adapters.edfi_mapping.descriptors import DescriptorValue, crosswalk
from adapters.edfi_mapping.identity import edfi_id
from gateway.edfi.problems import EdFiProblem
from gateway.edfi.query import parse_paging
from gateway.edfi.reads import json_response


def resource_names() -> dict[str, str]:
    """URL segment (`sexDescriptors`) -> descriptor name (`SexDescriptor`)."""
    return {name[0].lower() + name[1:] + "s": name for name in crosswalk().names}


def _object(value: DescriptorValue) -> dict[str, Any]:
    return {"id": edfi_id("descriptors", value.uri), "namespace":
            f"{value.namespace}/{value.descriptor}", "codeValue": value.code_value,
            "shortDescription": value.code_value, "description": value.code_value}


def _values(segment: str) -> list[DescriptorValue]:
    return list(crosswalk().values[resource_names()[segment]])


def descriptor_collection(segment: str) -> Response:
    args = {k.lower(): v for k, v in request.args.items()}
    paging = parse_paging(args)
    objects = [_object(v) for v in _values(segment)]
    wanted = {k: v for k, v in request.args.items()
              if k.lower() in ("codevalue", "namespace")}
    for name, value in wanted.items():
        key = "codeValue" if name.lower() == "codevalue" else "namespace"
        objects = [o for o in objects if str(o[key]).casefold() == value.casefold()]
    page = objects[paging.offset:paging.offset + paging.limit]
    response = json_response(page)
    if paging.total:
        response.headers["Total-Count"] = str(len(objects))
    return response


def descriptor_single(segment: str, the_id: str) -> Response:
    for value in _values(segment):
        obj = _object(value)
        if obj["id"] == the_id.lower():
            return json_response(obj)
    raise EdFiProblem("not-found", f"no {segment} item with id {the_id!r}")

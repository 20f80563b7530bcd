"""An interchange element -> the Ed-Fi JSON-shaped body the shared mapping reads.

Values are typed as the JSON API would carry them (education organization ids and counts as
integers, school years as their ending year, booleans as booleans), because the canonical
sourcedId is a hash of the natural key and must come out the same whichever way a record
arrives. A value that cannot be typed is a `ShapeError` naming the element path it sits at.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from lxml import etree

from adapters.edfi_mapping.gradebook import GRADEBOOK_REFERENCES
from adapters.edfi_mapping.resources import REFERENCES, Resource
from adapters.edfi_mapping.school_years import SchoolYearError, parse_school_year
from adapters.edfi_mapping.to_canonical import resource_named
from adapters.edfi_xml.layouts import (
    REFERENCE_LAYOUTS,
    Layout,
    Many,
    Multi,
    Ref,
    Scalar,
    camel,
)
from adapters.edfi_xml.xml_stream import Top, local_name, namespace_of

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


class ShapeError(ValueError):
    def __init__(self, path: str, message: str, value: str | None = None) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message
        self.value = value


def read_body(top: Top, layout: Layout) -> dict[str, Any]:
    resource = resource_named(layout.resource)
    _check_namespaces(top)
    body: dict[str, Any] = {}
    for part in layout.parts:
        if isinstance(part, Scalar):
            value = _scalar(top, resource, part)
            if value is not None:
                body[part.prop] = value
        elif isinstance(part, Ref):
            found = top.element.find(_q(top.namespace, part.element))
            if found is not None:
                body[part.prop] = _reference(top, part, found)
        elif isinstance(part, Many):
            items = [_leaf_text(item, part.inner, top.namespace)
                     for item in top.element.iterfind(_q(top.namespace, part.element))]
            if items:
                body[part.prop] = [{part.field: text} for text in items if text is not None]
        elif isinstance(part, Multi):
            rows = []
            for item in top.element.iterfind(_q(top.namespace, part.element)):
                rows.append({f.prop: text for f in part.fields
                             if (text := _leaf_text(item, f.path, top.namespace)) is not None})
            if rows:
                body[part.prop] = rows
    return body


@lru_cache(maxsize=4096)
def _q(namespace: str, path: str) -> str:
    return "/".join(f"{{{namespace}}}{step}" for step in path.split("/"))


def _leaf_text(element: etree._Element, path: str | None, namespace: str) -> str | None:
    found = element if path is None else element.find(_q(namespace, path))
    if found is None and path and "/" in path:  # tolerate the ungrouped spelling
        found = element.find(_q(namespace, path.rpartition("/")[2]))
    if found is None or found.text is None:
        return None
    text = found.text.strip()
    return text or None


def _check_namespaces(top: Top) -> None:
    prefix = f"{{{top.namespace}}}"
    for node in top.element.iter():
        tag = node.tag
        if not isinstance(tag, str) or tag.startswith(prefix):
            continue
        if namespace_of(tag) != top.namespace:
            raise ShapeError(f"{top.path}", f"element {local_name(node.tag)} is in namespace "
                             f"{namespace_of(node.tag) or '(none)'!r}, not the interchange's "
                             f"{top.namespace!r}", local_name(node.tag))


def _scalar(top: Top, resource: Resource, part: Scalar) -> Any:
    text = _leaf_text(top.element, part.path, top.namespace)
    if text is None:
        return None
    where = f"{top.path}/{part.path}"
    if part.prop == "schoolYearTypeReference":
        return {"schoolYear": _school_year(where, text)}
    prop = resource.prop(part.prop)
    kind = prop.kind if prop else "string"
    return _typed(where, kind, text)


def _typed(where: str, kind: str, text: str) -> Any:
    if kind == "integer":
        if not text.isdigit():
            raise ShapeError(where, "must be a whole number", text)
        return int(text)
    if kind == "boolean":
        if text.casefold() not in _BOOLEANS:
            raise ShapeError(where, "must be true or false", text)
        return _BOOLEANS[text.casefold()]
    if kind == "date" and not _DATE.match(text):
        raise ShapeError(where, "must be a date (YYYY-MM-DD)", text)
    return text


def _school_year(where: str, text: str) -> int:
    try:
        return parse_school_year(text)
    except SchoolYearError as exc:
        raise ShapeError(where, str(exc), text) from None


def _reference(top: Top, part: Ref, element: etree._Element) -> dict[str, Any]:
    """The flattened key of a reference: every leaf under it by its own (camelCase) name, so
    nested identities (a section's course offering's session's school) come out flat."""
    where = f"{top.path}/{part.element}"
    if len(element) == 0 and element.get("ref"):
        raise ShapeError(where, "references by ref= (IDREF) are not supported; give the "
                         f"{REFERENCE_LAYOUTS[part.element][0]} with the natural key",
                         element.get("ref"))
    kinds = dict((REFERENCES.get(part.prop) or GRADEBOOK_REFERENCES[part.prop])[1])
    key: dict[str, Any] = {}
    for leaf in element.iter():
        if not isinstance(leaf.tag, str) or len(leaf):
            continue
        name = _prop_name(leaf.tag)
        if name not in kinds and f"{name}Descriptor" in kinds:
            name = f"{name}Descriptor"  # `<GradingPeriod>` is the gradingPeriodDescriptor
        text = (leaf.text or "").strip()
        if name == "schoolYear":
            value: Any = _school_year(f"{where}//SchoolYear", text)
        else:
            value = _typed(f"{where}//{local_name(leaf.tag)}", kinds.get(name, "string"), text)
        if name in key and key[name] != value:
            raise ShapeError(where, f"{local_name(leaf.tag)} appears twice with different "
                             f"values ({key[name]!r}, {value!r})", text)
        key[name] = value
    return key


@lru_cache(maxsize=1024)
def _prop_name(tag: str) -> str:
    """`{ns}SchoolId` -> `schoolId`; an import meets the same few tags millions of times."""
    return camel(local_name(tag))

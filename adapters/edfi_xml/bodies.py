"""An interchange element -> the Ed-Fi JSON-shaped body the shared mapping reads.

Values are typed as the JSON API would carry them (education organization ids and counts as
integers, school years as their ending year, booleans as booleans), because the canonical
sourcedId is a hash of the natural key and must come out the same whichever way a record
arrives. A value that cannot be typed is a `ShapeError` naming the element path it sits at.

A reference may give its key (`...Identity`) or name another element by `ref=` (an XML IDREF,
resolved through `id_index`); either way the body holds the key, flattened. A `ref` the index
cannot resolve yet raises `id_index.Unresolved`; one that names nothing usable is a
`ShapeError` naming the reference and the id.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from lxml import etree

from adapters.edfi_mapping.gradebook import GRADEBOOK_REFERENCES
from adapters.edfi_mapping.resources import REFERENCES, PropKind, Resource
from adapters.edfi_mapping.school_years import SchoolYearError, parse_school_year
from adapters.edfi_mapping.to_canonical import resource_named
from adapters.edfi_xml.id_index import RefProblem, Refs, Unresolved
from adapters.edfi_xml.layouts import (
    IDENTITIES,
    Layout,
    Many,
    Multi,
    Ref,
    RefList,
    Scalar,
    camel,
)
from adapters.edfi_xml.xml_stream import Top, local_name, namespace_of

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}
# Every key part's kind, by its (camelCase) name: references share part names.
KEY_KINDS: dict[str, PropKind] = {
    name: kind for _target, parts in (*REFERENCES.values(), *GRADEBOOK_REFERENCES.values())
    for name, kind in parts}
KEY_KINDS |= {"educationServiceCenterId": "integer", "stateEducationAgencyId": "integer",
              "classPeriodName": "string", "gradebookEntryIdentifier": "string",
              "namespace": "string"}


class ShapeError(ValueError):
    def __init__(self, path: str, message: str, value: str | None = None) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message
        self.value = value


def read_body(top: Top, layout: Layout, refs: Refs) -> dict[str, Any]:
    resource = resource_named(layout.resource)
    _check_namespaces(top)
    body: dict[str, Any] = {}
    for part in layout.parts:
        if isinstance(part, Scalar):
            value = _scalar(top, resource, part, refs)
            if value is not None:
                body[part.prop] = value
        elif isinstance(part, Ref):
            found = top.element.find(_q(top.namespace, part.element))
            if found is not None:
                body[part.prop] = _reference(top, part.element, found, refs)
        elif isinstance(part, RefList):
            items = [{part.item: _reference(top, part.element, found, refs)}
                     for found in top.element.iterfind(_q(top.namespace, part.element))]
            if items:
                body[part.prop] = items
        elif isinstance(part, Many):
            texts = [_item_text(top, part, item, refs)
                     for item in top.element.iterfind(_q(top.namespace, part.element))]
            if texts:
                body[part.prop] = [{part.field: text} for text in texts if text is not None]
        elif isinstance(part, Multi):
            rows = []
            for item in top.element.iterfind(_q(top.namespace, part.element)):
                rows.append({f.prop: text for f in part.fields
                             if (text := _leaf_text(item, f.path, top.namespace)) is not None})
            if rows:
                body[part.prop] = rows
    return body


def identity(top: Top, refs: Refs) -> tuple[dict[str, Any], tuple[tuple[str, str], ...]]:
    """An element's natural key as a `ref=` to it stands for (see layouts.IDENTITIES), and the
    references inside it still waiting for ids further on in the set. Ed-Fi also lets an
    interchange declare a reference at the top with an `id` (StudentEnrollment's and
    StudentGradebook's SectionReference) so that others name it by `ref`."""
    key: dict[str, Any] = {}
    later: list[tuple[str, str]] = []
    if top.name not in IDENTITIES:  # a reference declared once at the top (a SectionReference
        # in StudentEnrollment): it stands for the key it holds
        return _reference(top, top.name, top.element, refs, later), tuple(later)
    for part in IDENTITIES[top.name]:
        if isinstance(part, Scalar):
            text = _leaf_text(top.element, part.path, top.namespace)
            if text is None:
                raise ShapeError(f"{top.path}/{part.path}", "is missing (part of the key)")
            key[part.prop] = _key_value(f"{top.path}/{part.path}", part.prop, text)
            continue
        found = top.element.find(_q(top.namespace, part.element))
        if found is None:
            raise ShapeError(f"{top.path}/{part.element}", "is missing (part of the key)")
        _merge(key, _reference(top, part.element, found, refs, later), f"{top.path}")
    return key, tuple(later)


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


@lru_cache(maxsize=256)
def _through_reference(path: str) -> str | None:
    """`GradebookEntryReference/GradebookEntryIdentity/Namespace` -> the reference it is in."""
    head, slash, _rest = path.partition("/")
    return head if slash and head.endswith("Reference") else None


def _scalar(top: Top, resource: Resource, part: Scalar, refs: Refs) -> Any:
    head = _through_reference(part.path)
    if head is not None:  # a key part read through a reference, which may name it by ref=
        holder = top.element.find(_q(top.namespace, head))
        if holder is not None and _by_ref(holder):
            return _referenced(top, head, holder, refs).get(part.prop)
    text = _leaf_text(top.element, part.path, top.namespace)
    if text is None:
        return None
    where = f"{top.path}/{part.path}"
    if part.prop == "schoolYearTypeReference":
        return {"schoolYear": _school_year(where, text)}
    prop = resource.prop(part.prop)
    kind = prop.kind if prop else "string"
    return _typed(where, kind, text)


def _item_text(top: Top, part: Many, item: etree._Element, refs: Refs) -> str | None:
    """One array item's text; an item that is a reference named by `ref` gives the part of
    the referenced element's key that the item holds (a class period's name)."""
    if part.element.endswith("Reference") and _by_ref(item):
        value = _referenced(top, part.element, item, refs).get(part.field)
        return None if value is None else str(value)
    return _leaf_text(item, part.inner, top.namespace)


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


def _key_value(where: str, name: str, text: str) -> Any:
    if name == "schoolYear":
        return _school_year(where, text)
    return _typed(where, KEY_KINDS.get(name, "string"), text)


def _by_ref(element: etree._Element) -> bool:
    """A reference that names its target by `ref` alone (no identity spelled out)."""
    return element.get("ref") is not None and not any(
        isinstance(child.tag, str) for child in element)


def _referenced(top: Top, name: str, element: etree._Element, refs: Refs,
                later: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """The key a `ref=` stands for; a problem is a ShapeError at the reference, valued with
    the id. With `later`, an id not met yet is noted there instead of raising."""
    ref = str(element.get("ref")).strip()
    try:
        return refs.key(ref, name)
    except Unresolved:
        if later is None:
            raise
        later.append((name, ref))
        return {}
    except RefProblem as exc:
        raise ShapeError(f"{top.path}/{_path_to(top.element, element)}", str(exc),
                         ref) from None


def _path_to(top: etree._Element, element: etree._Element) -> str:
    """`SessionReference/SessionIdentity/SchoolReference`: where a nested element sits."""
    steps = []
    node: etree._Element | None = element
    while node is not None and node is not top:
        steps.append(local_name(node.tag))
        node = node.getparent()
    return "/".join(reversed(steps))


def _reference(top: Top, name: str, element: etree._Element, refs: Refs,
               later: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """The flattened key of a reference: every leaf under it by its own (camelCase) name, so
    nested identities (a section's course offering's session's school) come out flat; nested
    references named by `ref` contribute the key of what they name. (An import meets millions
    of these: the element path of a problem is only spelled out when there is one.)"""
    by_ref = element.get("ref") is not None
    if by_ref and _by_ref(element):
        return dict(_referenced(top, name, element, refs, later))
    key: dict[str, Any] = {}
    for leaf in element.iter():
        tag = leaf.tag
        if not isinstance(tag, str) or len(leaf) or leaf is element:
            continue
        if leaf.get("ref") is not None and local_name(tag).endswith("Reference"):
            _merge(key, _referenced(top, local_name(tag), leaf, refs, later),
                   f"{top.path}/{name}")
            continue
        prop = _key_name(tag)
        text = (leaf.text or "").strip()
        try:
            value = _key_part(prop, text)
        except _Bad as bad:
            raise ShapeError(f"{top.path}/{name}//{local_name(tag)}", bad.message,
                             text) from None
        if key.setdefault(prop, value) != value:
            raise ShapeError(f"{top.path}/{name}", f"{local_name(tag)} appears twice with "
                             f"different values ({key[prop]!r}, {value!r})", text)
    if by_ref:  # both an identity and a ref: they must agree
        _merge(key, _referenced(top, name, element, refs, later), f"{top.path}/{name}")
    return key


class _Bad(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _key_part(name: str, text: str) -> Any:
    """A key part's value, typed; `_Bad` says why it cannot be (the caller knows where)."""
    if name == "schoolYear":
        try:
            return parse_school_year(text)
        except SchoolYearError as exc:
            raise _Bad(str(exc)) from None
    kind = KEY_KINDS.get(name)
    if kind == "integer":
        if not text.isdigit():
            raise _Bad("must be a whole number")
        return int(text)
    return text


@lru_cache(maxsize=1024)
def _key_name(tag: str) -> str:
    """`{ns}SchoolId` -> `schoolId`; `{ns}GradingPeriod` in a reference is the
    gradingPeriodDescriptor (descriptor elements drop the suffix)."""
    prop = _prop_name(tag)
    if prop not in KEY_KINDS and f"{prop}Descriptor" in KEY_KINDS:
        return f"{prop}Descriptor"
    return prop


def _merge(key: dict[str, Any], more: dict[str, Any], where: str) -> None:
    """Adds key parts; one part given twice must be the same (a reference's identity and the
    element its `ref` names, an offering's school and its session's school)."""
    for name, value in more.items():
        if key.setdefault(name, value) != value:
            raise ShapeError(where, f"{name} is both {key[name]!r} and {value!r}", str(value))


@lru_cache(maxsize=1024)
def _prop_name(tag: str) -> str:
    """`{ns}SchoolId` -> `schoolId`; an import meets the same few tags millions of times."""
    return camel(local_name(tag))

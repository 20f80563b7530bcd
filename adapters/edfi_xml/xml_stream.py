"""Streams the top-level elements of one interchange file through a hardened lxml parser.

An interchange file comes from outside the district's control, so the parser is told exactly
what it may do: no network, no entity substitution, no DTD loading or validation, libxml2's
size and expansion limits left on (`huge_tree=False`). A DOCTYPE has no place in an interchange
file; one is refused before the first element is looked at, so neither an external entity (a
local file, a URL) nor an entity bomb is ever expanded. Each finished element is cleared, with
its already-read siblings, so memory stays flat however long the file is.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from lxml import etree

# Ed-Fi Data Standard namespaces: http://ed-fi.org/{major.minor.patch}, majors 4 to 6.
_EDFI_NAMESPACE = re.compile(r"^http://ed-fi\.org/[4-6]\.\d+\.\d+(-[a-z0-9.]+)?$")


class XmlRefused(ValueError):
    """The file as a whole cannot be read; `line` is where the parser stopped."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


@dataclass(frozen=True, slots=True)
class Top:
    """One top-level element, complete, with where it is."""

    element: etree._Element
    name: str  # local name
    path: str  # /Root/Name[n], n counting elements of that name from 1
    line: int
    namespace: str
    xml_id: str | None = None  # its `id` attribute, when it has one


def local_name(tag: str) -> str:
    return tag.rpartition("}")[2]


def namespace_of(tag: str) -> str:
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""


def _parser_events(source: BinaryIO, schema: etree.XMLSchema | None,  # noqa: ANN202
                   events: tuple[str, ...] = ("end",)):
    return etree.iterparse(
        source, events=events, resolve_entities=False, no_network=True,
        load_dtd=False, dtd_validation=False, huge_tree=False, remove_comments=True,
        remove_pis=True, schema=schema)


def _check_prolog(root: etree._Element) -> None:
    info = root.getroottree().docinfo
    dtd = info.internalDTD
    entities = [e.name for e in dtd.entities()] if dtd is not None else []
    if entities:
        raise XmlRefused(f"DOCTYPE declares entities ({', '.join(entities[:5])}); entity "
                         "declarations are refused in interchange files", root.sourceline)
    if info.system_url or info.public_id:
        raise XmlRefused(f"DOCTYPE names an external DTD ({info.system_url or info.public_id}"
                         "); external DTDs are never loaded and are refused", root.sourceline)
    if info.doctype:
        raise XmlRefused("a DOCTYPE is not allowed in an interchange file", root.sourceline)


def check_namespace(root: str, namespace: str, line: int | None = None) -> None:
    if not _EDFI_NAMESPACE.match(namespace):
        raise XmlRefused(f"root element {root} is in namespace {namespace or '(none)'!r}; "
                         "expected an Ed-Fi Data Standard namespace such as "
                         "http://ed-fi.org/5.2.0", line)


def _check_root(root: etree._Element, expected: str | None) -> str:
    namespace = namespace_of(root.tag)
    check_namespace(local_name(root.tag), namespace, root.sourceline)
    if expected and local_name(root.tag) != expected:
        raise XmlRefused(f"root element is {local_name(root.tag)}, expected {expected}",
                         root.sourceline)
    return namespace


def _syntax_reason(exc: etree.XMLSyntaxError, kind: str) -> str:
    """libxml2 (2.13 and later) stops an entity-expansion bomb itself, before the prolog check
    sees the DOCTYPE; the report says what it was rather than a bare parser message."""
    if "amplification" in (exc.msg or "").lower():
        return ("DOCTYPE declares entities that expand past the parser's limit (an entity "
                "expansion attack); entity declarations are refused in interchange files")
    return f"{kind}: {exc.msg}"


def root_of(source: BinaryIO) -> tuple[str, str, int]:
    """(root local name, namespace, line) after the prolog checks, reading no further than
    the root start tag."""
    try:
        for _event, element in _parser_events(source, None, ("start",)):
            _check_prolog(element)
            return local_name(element.tag), namespace_of(element.tag), element.sourceline or 1
    except etree.XMLSyntaxError as exc:
        raise XmlRefused(_syntax_reason(exc, "not well-formed XML"), exc.lineno) from None
    raise XmlRefused("the file holds no XML element", 1)


def top_elements(source: BinaryIO, *, expected_root: str | None = None,
                 schema: etree.XMLSchema | None = None,
                 wanted: frozenset[str] | None = None, ids: bool = False) -> Iterator[Top]:
    """Complete top-level elements in file order (only `wanted` names, when given, and with
    `ids` also every element that has an `id` attribute).

    Only end events are asked for (half the events of start+end, which is most of the cost on a
    large file); the root and its prolog are checked at the first event, before anything is
    yielded, and a top-level element is one whose parent is the root.

    Streaming XSD validation tells neither where nor whether a file failed until its end
    (libxml2 records the error without a line and goes on), so a refused file raises
    `XmlRefused` with no line: `xsd_problems` reads it again to say where."""
    counts: dict[str, int] = {}
    root: etree._Element | None = None
    root_name, namespace = "", ""
    last_line = 1  # streaming XSD errors carry no line: the top element last read is named
    try:
        for _event, element in _parser_events(source, schema):
            if root is None:
                root = element.getroottree().getroot()
                _check_prolog(root)
                namespace = _check_root(root, expected_root)
                root_name = local_name(root.tag)
            parent = element.getparent()
            if parent is not root:
                continue
            name = local_name(element.tag)
            counts[name] = counts.get(name, 0) + 1
            last_line = element.sourceline or last_line
            xml_id = element.get("id") if ids else None
            if wanted is None or name in wanted or xml_id is not None:
                yield Top(element, name, f"/{root_name}/{name}[{counts[name]}]",
                          element.sourceline or 0, namespace, xml_id)
            element.clear(keep_tail=False)
            while element.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as exc:
        if schema is not None and _schema_error(exc):
            raise XmlRefused(_syntax_reason(exc, "not valid against the XSD"), None) from None
        raise XmlRefused(_syntax_reason(exc, "not well-formed XML"),
                         exc.lineno or last_line) from None


def _schema_error(exc: etree.XMLSyntaxError) -> bool:
    return any(e.domain == etree.ErrorDomains.SCHEMASV for e in exc.error_log)


def xsd_problems(source: BinaryIO, schema: etree.XMLSchema,
                 limit: int) -> list[tuple[int, str]]:
    """Where a file breaks its XSD: (line, libxml2's message) for up to `limit` problems.

    Each top-level element is validated on its own, inside a copy of the root (a copy keeps
    its source lines), so memory stays that of one element. Ed-Fi's IDREF checks span the
    whole document and neither streaming nor this finds them wrong; the adapter resolves
    `ref` itself and says so for each one that names nothing."""
    found: list[tuple[int, str]] = []
    for top in top_elements(source):
        holder = etree.Element(top.element.getparent().tag,  # type: ignore[union-attr]
                               nsmap=top.element.getparent().nsmap)  # type: ignore[union-attr]
        holder.append(copy.deepcopy(top.element))
        if schema.validate(holder):
            continue
        for error in schema.error_log:
            found.append((error.line or top.line, error.message))
            if len(found) >= limit:
                return found
    return found

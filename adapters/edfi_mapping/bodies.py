"""The Data Standard 5.0 bodies of the served Ed-Fi resources, read from the table in
`specs/edfi/ds5_bodies.txt` (its header describes the format).

`resources.py` says what the gateway keeps of a resource and where; this module says what a
DS 5.0 body may carry at all. Writes accept every property declared here and validate it
(gateway/edfi/body.py); properties the canonical model does not keep are dropped by design
(minimal data) and listed per resource in `kept_and_dropped.md`. The served OpenAPI is generated
from both (specs/edfi/build_openapi.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Literal

TABLE_PATH = Path(__file__).resolve().parents[2] / "specs" / "edfi" / "ds5_bodies.txt"

BodyKind = Literal["string", "descriptor", "integer", "number", "boolean", "date",
                   "reference", "list", "object"]
DESCRIPTOR_MAX_LENGTH = 306
_STRING = re.compile(r"^string\((?:(\d+)\.\.)?(\d+)\)$")
_NUMBER = re.compile(r"^(int32|int64|number)(?:\[(-?[\d.]*)\.\.(-?[\d.]*)\])?$")


class BodyTableError(ValueError):
    """The table is malformed; the message names the line."""


@dataclass(frozen=True)
class BodyProp:
    """One property of a body, of a collection item or of a reference."""

    name: str
    kind: BodyKind
    required: bool = False
    min_length: int | None = None
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    number_format: str | None = None  # int32 | int64 | double
    target: str | None = None  # the reference or shape name of reference/list/object kinds


@dataclass(frozen=True)
class BodyShape:
    name: str
    props: tuple[BodyProp, ...]

    def prop(self, name: str) -> BodyProp | None:
        return next((p for p in self.props if p.name == name), None)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.props if p.required)


@dataclass(frozen=True)
class BodyTable:
    references: dict[str, BodyShape]
    shapes: dict[str, BodyShape]
    resources: dict[str, BodyShape]

    def nested(self, prop: BodyProp) -> BodyShape:
        """The shape a reference, list or object property holds."""
        if prop.kind == "reference":
            return self.references[prop.target or ""]
        return self.shapes[prop.target or ""]


def _kind(token: str, where: str, refs: set[str]) -> dict[str, object]:
    if token.startswith("[") and token.endswith("]"):
        return {"kind": "list", "target": token[1:-1]}
    if token in ("boolean", "date"):
        return {"kind": token}
    if token == "descriptor":
        return {"kind": "descriptor", "max_length": DESCRIPTOR_MAX_LENGTH}
    if (m := _STRING.match(token)) is not None:
        return {"kind": "string", "min_length": int(m.group(1)) if m.group(1) else None,
                "max_length": int(m.group(2))}
    if (m := _NUMBER.match(token)) is not None:
        low, high = (float(x) if x else None for x in (m.group(2), m.group(3)))
        number = m.group(1) == "number"
        return {"kind": "number" if number else "integer", "minimum": low, "maximum": high,
                "number_format": "double" if number else m.group(1)}
    if token.endswith("Reference"):
        return {"kind": "reference", "target": token}
    if token in refs or re.fullmatch(r"[a-z]\w*", token):
        return {"kind": "object", "target": token}
    raise BodyTableError(f"{where}: unknown type {token!r}")


def parse(text: str, source: str = "ds5_bodies.txt") -> BodyTable:
    blocks: dict[str, dict[str, BodyShape]] = {"reference": {}, "shape": {}, "resource": {}}
    current: tuple[str, str] | None = None
    props: list[BodyProp] = []

    def close() -> None:
        if current is not None:
            blocks[current[0]][current[1]] = BodyShape(current[1], tuple(props))

    for number, raw in enumerate(text.splitlines(), start=1):
        where = f"{source}:{number}"
        line = raw.split("#", 1)[0].rstrip()
        if not line:
            continue
        if not line.startswith(" "):
            head = line.split()
            if len(head) != 2 or head[0] not in blocks:
                raise BodyTableError(f"{where}: expected 'reference|shape|resource NAME'")
            close()
            current, props = (head[0], head[1]), []
            continue
        if current is None:
            raise BodyTableError(f"{where}: a property outside any block")
        parts = line.split()
        if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] != "R"):
            raise BodyTableError(f"{where}: expected 'property type [R]'")
        fields = _kind(parts[1], where, set(blocks["shape"]))
        props.append(BodyProp(parts[0], required=len(parts) == 3, **fields))  # type: ignore[arg-type]
    close()
    table = BodyTable(blocks["reference"], blocks["shape"], blocks["resource"])
    _check_targets(table, source)
    return table


def _check_targets(table: BodyTable, source: str) -> None:
    for group in (table.references, table.shapes, table.resources):
        for shape in group.values():
            for prop in shape.props:
                known = table.references if prop.kind == "reference" else table.shapes
                if prop.target is not None and prop.target not in known:
                    raise BodyTableError(f"{source}: {shape.name}.{prop.name} names unknown "
                                         f"{prop.kind} {prop.target!r}")


def _with_parents(table: BodyTable) -> BodyTable:
    """`parents` is the Data Standard 4 name of contacts, keyed by parentUniqueId: served for
    DS 4 clients with the DS 5.0 contact body under that key name."""
    contact = table.resources["contacts"]
    renamed = tuple(replace(p, name="parentUniqueId") if p.name == "contactUniqueId" else p
                    for p in contact.props)
    resources = {**table.resources, "parents": BodyShape("parents", renamed)}
    return BodyTable(table.references, table.shapes, resources)


@cache
def bodies(path: Path = TABLE_PATH) -> BodyTable:
    return _with_parents(parse(path.read_text(encoding="utf-8"), path.name))

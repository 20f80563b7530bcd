"""Turn the compact field tables into JSON Schema (Draft 2020-12) fragments.

A table row reads ``name  token  [R]``; ``R`` marks a field the standard requires.
Tokens:

    string number date datetime uri year bool metadata
    enum:<vocab>   closed vocabulary          ext:<vocab>   vocabulary open to ``ext:`` terms
    exts:<vocab>   list of ext:<vocab>        strings       list of strings
    ref:<kind>     one GUIDRef                refs:<kind>   list of GUIDRefs (refs+ = at least one)
    obj:<Name>     one nested object          objs:<Name>   list of them (objs+ = at least one)

Keeping the grammar this small is deliberate: every type decision is visible in one
line of the tables, where it can be checked against the standard.
"""

from dataclasses import dataclass
from typing import Any

from .vocabularies import EXTENSION_PATTERN, NAMED

Schema = dict[str, Any]


@dataclass(frozen=True)
class Field:
    name: str
    token: str
    required: bool


class TableError(ValueError):
    """A field table row the generator cannot read; names the table and the row."""


def parse_table(table_name: str, text: str) -> list[Field]:
    fields = []
    for line_number, raw in enumerate(text.strip().splitlines(), start=1):
        parts = raw.split()
        if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] != "R"):
            raise TableError(f"{table_name} row {line_number}: cannot read {raw.strip()!r}")
        fields.append(Field(parts[0], parts[1], len(parts) == 3))
    return fields


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def guid_ref_name(kind: str) -> str:
    return f"{kind[0].upper()}{kind[1:]}GUIDRef"


def closed_enum(vocabulary: str) -> Schema:
    return {"type": "string", "enum": list(NAMED[vocabulary])}


def open_enum(vocabulary: str) -> Schema:
    return {
        "anyOf": [
            closed_enum(vocabulary),
            {"type": "string", "pattern": EXTENSION_PATTERN},
        ]
    }


def listed(item: Schema, at_least_one: bool = False) -> Schema:
    schema: Schema = {"type": "array", "items": item}
    if at_least_one:
        schema["minItems"] = 1
    return schema


_SCALARS: dict[str, Schema] = {
    "string": {"type": "string"},
    "number": {"type": "number"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
    "uri": {"type": "string", "format": "uri"},
    "year": {"type": "string", "pattern": "^[0-9]{4}$"},
    "bool": {"type": "string", "enum": list(NAMED["bool"])},
    "metadata": {"type": "object", "additionalProperties": True},
    "strings": {"type": "array", "items": {"type": "string"}},
}


def field_schema(token: str) -> Schema:
    if token in _SCALARS:
        return dict(_SCALARS[token])
    kind, _, argument = token.partition(":")
    at_least_one = kind.endswith("+")
    kind = kind.rstrip("+")
    builders = {
        "enum": lambda: closed_enum(argument),
        "ext": lambda: open_enum(argument),
        "exts": lambda: listed(open_enum(argument), at_least_one),
        "ref": lambda: ref(guid_ref_name(argument)),
        "refs": lambda: listed(ref(guid_ref_name(argument)), at_least_one),
        "obj": lambda: ref(argument),
        "objs": lambda: listed(ref(argument), at_least_one),
    }
    if kind not in builders or not argument:
        raise TableError(f"unknown field token {token!r}")
    return builders[kind]()


def object_schema(
    description: str, fields: list[Field], strict: bool = True, open_ended: bool = False
) -> Schema:
    """An object with the listed properties; ``strict=False`` drops ``required``.

    The non-strict form is what a projected response (``fields=`` or a privacy
    allowlist) can still promise: every field present has the declared type.
    """
    schema: Schema = {
        "description": description,
        "type": "object",
        "properties": {field.name: field_schema(field.token) for field in fields},
    }
    required = [field.name for field in fields if field.required]
    if strict and required:
        schema["required"] = required
    schema["additionalProperties"] = open_ended
    return schema


def guid_ref_schema(kind: str, types: tuple[str, ...]) -> Schema:
    return {
        "description": f"Reference to a {kind} by sourcedId.",
        "type": "object",
        "properties": {
            "href": {"type": "string", "format": "uri"},
            "sourcedId": {"type": "string"},
            "type": {"type": "string", "enum": list(types)},
        },
        "required": ["href", "sourcedId", "type"],
        "additionalProperties": False,
    }

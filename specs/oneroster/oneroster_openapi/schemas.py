"""components.schemas for one document: references, entities, partial entities, envelopes.

Every entity comes twice: ``<Name>`` with the standard's ``required`` list, and
``<Name>Partial`` without it, for responses narrowed by ``fields=`` or by an
agreement's field allowlist. Both keep ``additionalProperties: false`` and the same
field types, so a projected response is still checked for everything it does carry.
"""

from collections.abc import Iterable
from typing import Any

from .entities import BASE_FIELDS, Entity, NestedObject
from .fields import (
    Field,
    guid_ref_name,
    guid_ref_schema,
    object_schema,
    parse_table,
    ref,
)

Schema = dict[str, Any]


def entity_fields(entity: Entity) -> list[Field]:
    return parse_table("base", BASE_FIELDS) + parse_table(entity.name, entity.table)


def referenced_kinds(tables: Iterable[list[Field]]) -> list[str]:
    kinds: list[str] = []
    for fields in tables:
        for field in fields:
            kind, _, argument = field.token.partition(":")
            if kind.rstrip("+") in ("ref", "refs") and argument not in kinds:
                kinds.append(argument)
    return sorted(kinds)


def envelope(key: str, value: Schema, version: str) -> Schema:
    """A single-top-level-key body; 1.1 may add its statusInfoSet of warnings."""
    properties = {key: value}
    if version == "11":
        properties["statusInfoSet"] = ref("imsx_StatusInfoList")
    return {
        "type": "object",
        "properties": properties,
        "required": [key],
        "additionalProperties": False,
    }


def entity_schemas(entity: Entity, version: str) -> dict[str, Schema]:
    fields = entity_fields(entity)
    name = entity.name
    return {
        name: object_schema(entity.description, fields),
        f"{name}Partial": object_schema(
            f"{entity.description} Projected: any subset of the fields.", fields, strict=False
        ),
        f"{name}Set": envelope(
            entity.collection_key, {"type": "array", "items": ref(name)}, version
        ),
        f"{name}SetPartial": envelope(
            entity.collection_key, {"type": "array", "items": ref(f"{name}Partial")}, version
        ),
        f"Single{name}": envelope(entity.single_key, ref(name), version),
        f"Single{name}Partial": envelope(entity.single_key, ref(f"{name}Partial"), version),
    }


def bulk_request_schema(entity: Entity) -> Schema:
    return {
        "type": "object",
        "properties": {
            entity.collection_key: {"type": "array", "minItems": 1, "items": ref(entity.name)}
        },
        "required": [entity.collection_key],
        "additionalProperties": False,
    }


def guid_pair_schemas() -> dict[str, Schema]:
    """The 1.2 answer to a bulk POST: which sourcedId the server kept for each object."""
    return {
        "GUIDPair": {
            "type": "object",
            "properties": {
                "suppliedSourcedId": {"type": "string"},
                "allocatedSourcedId": {"type": "string"},
            },
            "required": ["suppliedSourcedId", "allocatedSourcedId"],
            "additionalProperties": False,
        },
        "GUIDPairSet": {
            "type": "object",
            "properties": {"sourcedIdPairs": {"type": "array", "items": ref("GUIDPair")}},
            "required": ["sourcedIdPairs"],
            "additionalProperties": False,
        },
    }


def component_schemas(
    version: str,
    entities: list[Entity],
    nested: Iterable[NestedObject],
    reference_types: dict[str, tuple[str, ...]],
    bulk_entities: list[Entity],
) -> dict[str, Schema]:
    nested = list(nested)
    nested_fields = {item.name: parse_table(item.name, item.table) for item in nested}
    kinds = referenced_kinds(
        [entity_fields(entity) for entity in entities] + list(nested_fields.values())
    )
    schemas: dict[str, Schema] = {}
    for kind in kinds:
        schemas[guid_ref_name(kind)] = guid_ref_schema(kind, reference_types[kind])
    for item in nested:
        schemas[item.name] = object_schema(
            item.description, nested_fields[item.name], open_ended=item.open_ended
        )
    for entity in entities:
        schemas.update(entity_schemas(entity, version))
    for entity in bulk_entities:
        schemas[f"{entity.name}SetRequest"] = bulk_request_schema(entity)
    if bulk_entities:
        schemas.update(guid_pair_schemas())
    return schemas

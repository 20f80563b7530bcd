"""Descriptor URIs <-> canonical vocabulary terms, through the crosswalk in
`specs/edfi/descriptors.json` (data, so a district can read and extend it).

Outputs are strict (always the full URI of the crosswalk); inputs are tolerant: the namespace
and code value compare case-insensitively, and a bare code value is taken as the crosswalk's own.
A URI the crosswalk does not know is an error naming the descriptor and the known values: an
unknown descriptor must never become a silently empty field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CROSSWALK_PATH = Path(__file__).resolve().parents[2] / "specs" / "edfi" / "descriptors.json"


class UnknownDescriptor(ValueError):
    """A descriptor URI (or code value) the crosswalk does not map."""


@dataclass(frozen=True)
class DescriptorValue:
    descriptor: str
    namespace: str
    code_value: str
    canonical: str

    @property
    def uri(self) -> str:
        return f"{self.namespace}/{self.descriptor}#{self.code_value}"


def descriptor_uri(namespace: str, descriptor: str, code_value: str) -> str:
    return f"{namespace.rstrip('/')}/{descriptor}#{code_value}"


def split_uri(uri: str) -> tuple[str, str, str]:
    """`uri://ed-fi.org/SexDescriptor#Female` -> (`uri://ed-fi.org`, `SexDescriptor`, `Female`)."""
    head, hash_, code = uri.partition("#")
    namespace, slash, name = head.rpartition("/")
    if not hash_ or not slash or not code or not name:
        raise UnknownDescriptor(f"{uri!r} is not a descriptor URI (namespace/Name#CodeValue)")
    return namespace, name, code


class Crosswalk:
    """The loaded crosswalk. One instance per file; see `crosswalk()`."""

    def __init__(self, document: dict) -> None:
        self.edfi_namespace: str = document["namespaces"]["edfi"]
        self.local_namespace: str = document["namespaces"]["local"]
        self.values: dict[str, tuple[DescriptorValue, ...]] = {}
        for name, spec in document["descriptors"].items():
            self.values[name] = tuple(
                DescriptorValue(name, v.get("namespace", self.edfi_namespace), v["codeValue"],
                                v["canonical"])
                for v in spec["values"]
            )

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.values)

    def to_uri(self, descriptor: str, canonical: str) -> str | None:
        """The URI for a canonical term, or None when the crosswalk has none."""
        for value in self.values[descriptor]:
            if value.canonical == canonical:
                return value.uri
        return None

    def to_canonical(self, descriptor: str, given: str) -> str:
        """The canonical term of a URI (or bare code value) of `descriptor`."""
        if descriptor not in self.values:
            raise UnknownDescriptor(f"{descriptor} is not a descriptor this gateway maps")
        if "#" in given:
            namespace, name, code = split_uri(given)
            if name.casefold() != descriptor.casefold():
                raise UnknownDescriptor(f"{given!r} is a {name}, expected a {descriptor}")
        else:
            namespace, code = "", given
        for value in self.values[descriptor]:
            same_code = value.code_value.casefold() == code.strip().casefold()
            if same_code and (not namespace or namespace.casefold() == value.namespace.casefold()):
                return value.canonical
        known = ", ".join(v.uri for v in self.values[descriptor])
        raise UnknownDescriptor(f"{given!r} is not a known {descriptor}; known: {known}")


@cache
def crosswalk(path: Path = CROSSWALK_PATH) -> Crosswalk:
    return Crosswalk(json.loads(path.read_text(encoding="utf-8")))

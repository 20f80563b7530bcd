"""Descriptor URIs <-> canonical vocabulary terms, through the crosswalk in
`specs/edfi/descriptors.json` (data, so a district can read and extend it).

Outputs are strict (always the full URI of a listed value, never an `input_only` one); inputs
are tolerant: the namespace and code value compare case-insensitively, a bare code value is
taken as the crosswalk's own, and the spellings of earlier Data Standards (`aliases`) are read.

Two ways in, for two kinds of caller:

* `to_canonical` / `find` know only what the crosswalk lists. The REST API uses them: a
  descriptor an Ed-Fi client names must exist, as Ed-Fi requires.
* `read` is for imports, where a district's own values (any namespace but Ed-Fi's) arrive with
  the data. It also reads those: by code value when one matches a listed value, else as the
  descriptor's documented stand-in (`otherValues`). Every reading that is not exact says why,
  so the import can warn. An Ed-Fi value the Data Standard does not define is never guessed.

A URI the crosswalk cannot map is an error naming the descriptor: an unknown descriptor must
never become a silently empty field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

CROSSWALK_PATH = Path(__file__).resolve().parents[2] / "specs" / "edfi" / "descriptors.json"
_SHOWN_VALUES = 12  # an error lists this many known values, then counts the rest


class UnknownDescriptor(ValueError):
    """A descriptor URI (or code value) the crosswalk does not map."""


@dataclass(frozen=True)
class DescriptorValue:
    descriptor: str
    namespace: str
    code_value: str
    canonical: str
    input_only: bool = False  # read, never written
    fallback: str | None = None  # why the canonical term is only a stand-in (warned about)

    @property
    def uri(self) -> str:
        return f"{self.namespace}/{self.descriptor}#{self.code_value}"


@dataclass(frozen=True)
class Reading:
    """What an imported descriptor value became, and why when it is not an exact match."""

    canonical: str
    note: str | None = None


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
        self.aliases: dict[str, tuple[DescriptorValue, ...]] = {}
        self.vocabulary: dict[str, frozenset[str] | None] = {}
        self.other_values: dict[str, Reading | None] = {}
        self._index: dict[str, dict[tuple[str, str], DescriptorValue]] = {}
        self._codes: dict[str, dict[str, DescriptorValue]] = {}
        for name, spec in document["descriptors"].items():
            self.values[name] = tuple(self._value(name, v) for v in spec["values"])
            self.aliases[name] = tuple(self._value(name, v) for v in spec.get("aliases", ()))
            terms = spec.get("vocabulary")
            self.vocabulary[name] = frozenset(terms) if terms else None
            other = spec.get("otherValues")
            self.other_values[name] = Reading(other["canonical"], other["why"]) if other \
                else None
            index: dict[tuple[str, str], DescriptorValue] = {}
            codes: dict[str, DescriptorValue] = {}
            for value in (*self.values[name], *self.aliases[name]):
                index.setdefault((value.namespace.casefold(), value.code_value.casefold()), value)
                codes.setdefault(value.code_value.casefold(), value)
            self._index[name], self._codes[name] = index, codes

    def _value(self, name: str, spec: dict[str, Any]) -> DescriptorValue:
        return DescriptorValue(name, spec.get("namespace", self.edfi_namespace), spec["codeValue"],
                               spec["canonical"], bool(spec.get("input_only")),
                               spec.get("fallback"))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.values)

    def to_uri(self, descriptor: str, canonical: str) -> str | None:
        """The URI written for a canonical term, or None when the crosswalk has none."""
        for value in self.values[descriptor]:
            if value.canonical == canonical and not value.input_only:
                return value.uri
        return None

    def to_canonical(self, descriptor: str, given: str) -> str:
        """The canonical term of a URI (or bare code value) the crosswalk lists."""
        return self.find(descriptor, given).canonical

    def find(self, descriptor: str, given: str) -> DescriptorValue:
        """The listed value (or earlier spelling) a URI or bare code value names."""
        namespace, code = self._parts(descriptor, given)
        found = self._lookup(descriptor, namespace, code)
        if found is None:
            raise UnknownDescriptor(f"{given!r} is not a known {descriptor}; known: "
                                    f"{self._known(descriptor)}")
        return found

    def read(self, descriptor: str, given: str) -> Reading:
        """An imported value: a listed one (with its fallback note, if any), else a district's
        own value read by its code value or as the descriptor's stand-in."""
        namespace, code = self._parts(descriptor, given)
        found = self._lookup(descriptor, namespace, code)
        if found is not None:
            note = None if found.fallback is None else (
                f"{found.uri} has no exact canonical equivalent: read as {found.canonical!r} "
                f"({found.fallback})")
            return Reading(found.canonical, note)
        if not namespace or namespace.casefold() == self.edfi_namespace.casefold():
            raise UnknownDescriptor(
                f"{given!r} is not a known {descriptor}: neither the Ed-Fi Data Standard nor the "
                f"gateway defines it; known: {self._known(descriptor)}")
        same = self._codes[descriptor].get(code.casefold())
        if same is not None:
            return Reading(same.canonical, f"{given} is a district value: read as "
                                           f"{same.canonical!r}, like {same.uri}")
        other = self.other_values[descriptor]
        if other is None:
            raise UnknownDescriptor(f"{given!r} is a district value that no {descriptor} "
                                    f"code value matches, and {descriptor} has no stand-in; "
                                    f"known: {self._known(descriptor)}")
        return Reading(other.canonical, f"{given} is a district value: read as "
                                        f"{other.canonical!r} ({other.note})")

    def _parts(self, descriptor: str, given: str) -> tuple[str, str]:
        """(namespace, code value) of a URI or a bare code value ('' namespace)."""
        if descriptor not in self.values:
            raise UnknownDescriptor(f"{descriptor} is not a descriptor this gateway maps")
        if "#" not in given:
            return "", given.strip()
        namespace, name, code = split_uri(given)
        if name.casefold() != descriptor.casefold():
            raise UnknownDescriptor(f"{given!r} is a {name}, expected a {descriptor}")
        return namespace.strip(), code.strip()

    def _lookup(self, descriptor: str, namespace: str, code: str) -> DescriptorValue | None:
        if namespace:
            return self._index[descriptor].get((namespace.casefold(), code.casefold()))
        return self._codes[descriptor].get(code.casefold())

    def _known(self, descriptor: str) -> str:
        listed = [v.uri for v in self.values[descriptor]]
        more = len(listed) - _SHOWN_VALUES
        return ", ".join(listed[:_SHOWN_VALUES]) + (f" and {more} more" if more > 0 else "")


@cache
def crosswalk(path: Path = CROSSWALK_PATH) -> Crosswalk:
    return Crosswalk(json.loads(path.read_text(encoding="utf-8")))

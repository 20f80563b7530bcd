"""Identifiers: the canonical sourcedId of an Ed-Fi natural key, and the Ed-Fi `id` of any row.

Two different jobs, kept apart on purpose:

* `sourced_id_for(resource, key)` is what an Ed-Fi source (the XML adapter, an API POST) uses as
  the canonical sourcedId of a record it creates. It is a pure function of the resource and its
  natural key, so re-importing the same interchange file, or POSTing the same body twice, lands
  on the same row; two sources that describe the same school by its schoolId agree without any
  lookup.
* `edfi_id(resource, sourced_id)` is the 32-hex `id` the REST API shows for a canonical row, also
  for rows that came from OneRoster CSV or a vendor export and therefore have no Ed-Fi natural
  key of their own. It depends only on the row's sourcedId, so it survives edits of the row; for
  rows an Ed-Fi source created it is, through `sourced_id_for`, a function of the natural key.
"""

from __future__ import annotations

import hashlib
import unicodedata
import uuid
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from typing import Any

# Fixed forever: changing either namespace would re-key every Ed-Fi-sourced row of every district.
SOURCED_ID_NAMESPACE = uuid.UUID("6f1c2a52-8d0e-5b4c-9a57-3e0f1d7b2c61")
EDFI_ID_NAMESPACE = uuid.UUID("0b9e4f3a-71c2-5d88-a6e4-52c1f0d93a17")
_EDFI_ID_HASH = hashlib.sha1(EDFI_ID_NAMESPACE.bytes, usedforsecurity=False)


def normalise_key_value(value: Any) -> str:
    """One spelling per key value: Ed-Fi compares key strings case-insensitively (SQL Server
    collation) and ignores surrounding blanks; dates are ISO; integers lose leading zeros."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    text = unicodedata.normalize("NFC", str(value)).strip()
    return text.casefold()


def key_text(resource: str, key: Mapping[str, Any]) -> str:
    """`resource|name=value|...` with names sorted: the text the sourcedId is hashed from."""
    parts = [f"{name}={normalise_key_value(key[name])}" for name in sorted(key)]
    return "|".join([resource, *parts])


def sourced_id_for(resource: str, key: Mapping[str, Any]) -> str:
    """Canonical sourcedId of the Ed-Fi record of `resource` with natural key `key`.

    `key` maps the flattened natural-key names (see `resources.RESOURCES[...].key`) to values.
    Descriptor-valued key parts are passed as full URIs.
    """
    if not key or any(v in (None, "") for v in key.values()):
        missing = sorted(k for k, v in key.items() if v in (None, ""))
        raise ValueError(f"{resource}: natural key incomplete, missing {missing}")
    try:
        return _hashed(resource, tuple(sorted(key.items())))
    except TypeError:  # an unhashable key value: hash it without the cache
        return str(uuid.uuid5(SOURCED_ID_NAMESPACE, key_text(resource, key)))


@lru_cache(maxsize=1 << 13)
def _hashed(resource: str, items: tuple[tuple[str, Any], ...]) -> str:
    """An import names the same school, section or student in thousands of references: the
    hash of a key is remembered (bounded) rather than recomputed for each."""
    return str(uuid.uuid5(SOURCED_ID_NAMESPACE, key_text(resource, dict(items))))


def edfi_id(resource: str, sourced_id: str) -> str:
    """The Ed-Fi `id` (32 lower-case hex digits) of the canonical row `sourced_id` seen as
    `resource` (one row can be seen as several resources, e.g. a student role is both a
    studentSchoolAssociation and a studentEducationOrganizationAssociation)."""
    digest = _EDFI_ID_HASH.copy()
    digest.update(f"{resource}/{sourced_id}".encode())
    return _uuid5_hex(digest.digest())


def _uuid5_hex(sha1: bytes) -> str:
    """uuid.uuid5(...).hex from the SHA-1 of namespace + name, without building a UUID object
    (a document sync asks for hundreds of thousands of ids: the object was most of the cost)."""
    return (sha1[:6] + bytes((sha1[6] & 0x0F | 0x50,)) + sha1[7:8]
            + bytes((sha1[8] & 0x3F | 0x80,)) + sha1[9:16]).hex()


def is_edfi_id(text: str) -> bool:
    return len(text) == 32 and all(c in "0123456789abcdef" for c in text.lower())

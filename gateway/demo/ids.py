"""Opaque, stable identifiers for the demo district.

A sourcedId is a name-based UUID (version 5) derived from the run's seed, the kind of entity
and its SIS number: the same (seed, entity) always gets the same id, two seeds never share ids,
and nothing about a person (name, e-mail) can be read back from it, as the OneRoster privacy
guidance asks.
"""

from __future__ import annotations

import hashlib
import uuid

# A fixed namespace of our own, so demo ids cannot coincide with anyone else's uuid5 ids.
_DEMO_NAMESPACE = uuid.UUID("5b0d7c2e-3f64-4e8a-9a51-7d0e6c2f9b13")


class SourcedIds:
    """Derives sourcedIds from (entity kind, SIS number) within one seed's namespace.

    Equal to `uuid.uuid5(namespace, f"{kind}:{number}")`, computed from a pre-hashed namespace:
    a million-student demo derives some ten million ids, and this is several times faster.
    """

    def __init__(self, seed: int) -> None:
        self.namespace = uuid.uuid5(_DEMO_NAMESPACE, f"seed:{seed}")
        self._prefix = hashlib.sha1(self.namespace.bytes, usedforsecurity=False)

    def __call__(self, kind: str, number: int | str) -> str:
        digest = self._prefix.copy()
        digest.update(f"{kind}:{number}".encode())
        raw = bytearray(digest.digest()[:16])
        raw[6] = (raw[6] & 0x0F) | 0x50  # version 5
        raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
        text = raw.hex()
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"

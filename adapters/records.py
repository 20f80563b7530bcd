"""The events an adapter streams to the sync engine.

Adapters and the sync engine share only this module and `adapters.canonical`: an adapter never
sees the store, and the store never sees a file format. Every event carries its provenance (file,
line) so that an error can always be reported where a district can fix it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Mode = Literal["bulk", "delta"]
Level = Literal["fatal", "error", "warning"]


@dataclass(slots=True)
class Record:
    """One canonical entity as read from a source.

    `fields` is keyed by canonical field names (see `adapters.canonical`); references hold the
    target's sourcedId, lists are Python lists. Values may still be raw strings: the sync engine
    coerces and validates them. `status`/`date_last_modified` are set only by delta sources.
    """

    family: str
    sourced_id: str
    fields: dict[str, Any]
    file: str | None = None
    line: int | None = None
    status: str | None = None
    date_last_modified: str | None = None


@dataclass(slots=True)
class Issue:
    """Something a district should read: a rejected row, a whole-file problem, a normalisation.

    `fatal` stops the run from applying anything (a missing required column, a hostile zip);
    `error` rejects one row; `warning` changes nothing but is reported (a dropped column, a
    lenient-mode normalisation).
    """

    level: Level
    reason: str
    file: str | None = None
    line: int | None = None
    field: str | None = None
    value: str | None = None
    family: str | None = None
    sourced_id: str | None = None


@dataclass(slots=True)
class FamilyMode:
    """Declares how a family is supplied by this run, before any of its records.

    `bulk` means the records are the complete set for this source: whatever the store holds for
    the source and family but the run does not mention becomes a tombstone. `delta` rows carry
    their own status and only change what they name. A family never declared is left untouched.
    """

    family: str
    mode: Mode
    file: str | None = None
    # A digest of everything the family's records are made from (file bytes, format options).
    # When it equals the one of the source's last clean run, the engine may answer the
    # FamilyMode with SKIP (generator.send) and the adapter moves on without parsing.
    fingerprint: str | None = None


# What the sync engine sends back for a FamilyMode whose source content it already holds.
SKIP = "skip"


@dataclass(slots=True)
class DroppedColumn:
    """A source column the canonical model does not declare; listed in the sync report."""

    file: str
    column: str
    reason: str = "not a canonical field"


Event = Record | Issue | FamilyMode | DroppedColumn


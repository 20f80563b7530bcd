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
    # The digest of the source row, when the adapter offered it in a `RowDigests` batch.
    digest: str | None = None


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
# What it sends back for a bulk FamilyMode when it takes `RowDigests` for the family's rows.
DIGESTS = "digests"
# Part of every row digest: bump it when the sync engine would store a different row for the
# same record (validation, coercion, hashing), so that every stored digest stops matching.
ROW_DIGEST_VERSION = "row-digest/1"


@dataclass(slots=True)
class DroppedColumn:
    """A source column the canonical model does not declare; listed in the sync report."""

    file: str
    column: str
    reason: str = "not a canonical field"


@dataclass(slots=True)
class BookmarkRequest:
    """Asks for `stream`'s bookmark: the cursor the source's last applied run ended at. The
    engine answers through generator.send with the bookmark's text, or None (no bookmark, or
    `--full`): the stream is then read whole. Adapters never keep state themselves."""

    stream: str


@dataclass(slots=True)
class Bookmark:
    """Where `stream` ends in this run (the cursor to start after next time). The engine keeps
    it only when the run applies or finds the store already matching, and only when no row of
    `families` was rejected (so a rejected row is read again, as a file with one would be)."""

    stream: str
    value: str
    families: tuple[str, ...] = ()


@dataclass(slots=True)
class SourceStats:
    """Running totals of a source that is not files (requests, pages, retries, seconds spent
    waiting on the network...): shown while the run streams and kept in its summary."""

    counts: dict[str, float]


@dataclass(slots=True)
class RowDigests:
    """Rows of `family` as (line, sourcedId, digest), sent only after the engine answered the
    family's bulk FamilyMode with DIGESTS, before the adapter parses them. The digest covers
    the raw row and everything else that shapes its record. The engine answers through
    generator.send with the lines whose digest the store holds for the same active row of
    this source; the adapter skips those (the engine takes them from the store) and streams
    the others as Records carrying their digest."""

    family: str
    file: str
    rows: list[tuple[int, str, str]]


Event = (Record | Issue | FamilyMode | DroppedColumn | BookmarkRequest | Bookmark | SourceStats
         | RowDigests)


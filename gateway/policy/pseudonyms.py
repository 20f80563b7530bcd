"""Per-app pseudonyms of people: what an app without the `identifiers` grant sees where a wire
format needs a person's key (Ed-Fi's studentUniqueId, staffUniqueId, contactUniqueId), and
what an app under a pseudonymous agreement sees instead of every id of a person, a person's
row (enrollments, results) or, if the agreement says so, a class (gateway/policy/shown_ids.py).

The district's own identifier (`users.identifier`, its SIS id) is a sensitive field: OneRoster
withholds it from such apps, so Ed-Fi may not carry it in a key either. A pseudonym is an HMAC
of the app's id and the person's sourcedId under a secret the store keeps (four store marks,
written once, so every gateway process and every restart agrees without a key file to copy):
stable for one app, different for every other app (two apps cannot join their data on it), and
not reversible without the secret. An app writes with the pseudonyms it was served; the map
back is built per process from the family's sourcedIds, and kept up to date from their
change_version (rows are added, never renamed). A person's pseudonym is one per app whatever
the path (OneRoster's sourcedId is Ed-Fi's unique id); other kinds are tagged, so a class's
pseudonym never equals a person's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.exc import IntegrityError

from gateway.model import ROSTER_TABLES, StoreMark
from gateway.policy.agreement import Agreement
from gateway.policy.shown_edfi_ids import EdFiIdCipher, applies

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

MARKS = StoreMark.__table__
KEY_MARKS = tuple(f"pseudonym_key_{n}" for n in range(4))  # 4 x 62 random bits
USERS = ROSTER_TABLES["users"]
# kind -> (family whose sourcedIds it names, tag mixed into the HMAC). People are untagged:
# their pseudonyms predate the other kinds (Ed-Fi unique ids) and must not change.
KINDS: dict[str, tuple[str, str]] = {"people": ("users", ""), "classes": ("classes", "classes"),
                                     "enrollments": ("enrollments", "enrollments"),
                                     "results": ("results", "results"),
                                     # never shown: the order of Ed-Fi's associations
                                     # (gateway/policy/pseudonym_order.py)
                                     "roles": ("roles", "roles")}
LENGTH = 32  # hex digits: Ed-Fi unique ids are at most 32 characters
FORWARD_ENTRIES = 1 << 17  # pseudonyms one app's process remembers (pages repeat them)


def _read_key(conn: Connection) -> bytes | None:
    found = dict(conn.execute(select(MARKS.c.name, MARKS.c.value)
                              .where(MARKS.c.name.in_(KEY_MARKS))).all())
    if len(found) != len(KEY_MARKS):
        return None
    return b"".join(int(found[name]).to_bytes(8, "big") for name in KEY_MARKS)


def store_key_in(conn: Connection) -> bytes:
    """The store's pseudonym secret inside the caller's write transaction (a sync's, an app's
    registration), created there on first use; another process creating it at the same
    moment wins, and its secret is read."""
    key = _read_key(conn)
    if key is None:
        try:
            with conn.begin_nested():
                conn.execute(insert(MARKS), [{"name": name, "value": secrets.randbits(62)}
                                             for name in KEY_MARKS])
        except IntegrityError:
            pass
        key = _read_key(conn)
    assert key is not None
    return key


def store_key(reads: Connection, writes: Engine) -> bytes:
    """The store's pseudonym secret, created on first use (by whichever process comes
    first: a second one's insert fails on the marks' key and it reads the first's)."""
    key = _read_key(reads)
    if key is not None:
        return key
    try:
        with writes.begin() as conn:
            if _read_key(conn) is None:
                conn.execute(insert(MARKS), [{"name": name, "value": secrets.randbits(62)}
                                             for name in KEY_MARKS])
    except IntegrityError:
        pass
    with writes.connect() as conn:
        key = _read_key(conn)
    assert key is not None
    return key


class Pseudonyms:
    """One app's pseudonyms of one kind, both ways."""

    def __init__(self, key: bytes, app_id: int, kind: str = "people") -> None:
        family, tag = KINDS[kind]
        self.key = key
        self.table = ROSTER_TABLES[family]
        self.prefix = f"{app_id}\x1f".encode() + (f"{tag}\x1f".encode() if tag else b"")
        self.reverse: dict[str, str] = {}
        self.mark = -1  # users' change_version the map is complete up to
        self.forward: dict[str, str] = {}

    def of(self, sourced_id: str) -> str:
        found = self.forward.get(sourced_id)
        if found is None:
            if len(self.forward) >= FORWARD_ENTRIES:
                self.forward.clear()
            found = self.forward[sourced_id] = hmac.new(
                self.key, self.prefix + sourced_id.encode("utf-8"),
                hashlib.sha256).hexdigest()[:LENGTH]
        return found

    def each(self, sourced_ids: Iterable[str]) -> Iterator[str]:
        """`of` each id, computed afresh (a bulk fill: gateway/policy/pseudonym_order.py);
        the keyed HMAC state is made once and copied, not rebuilt per id."""
        base = hmac.new(self.key, self.prefix, hashlib.sha256)
        for sid in sourced_ids:
            mac = base.copy()
            mac.update(sid.encode("utf-8"))
            yield mac.hexdigest()[:LENGTH]

    def add(self, sourced_ids: Iterable[str]) -> None:
        for sid in sourced_ids:
            self.reverse[self.of(sid)] = sid

    def person(self, conn: Connection, pseudonym: str) -> str | None:
        """The sourcedId behind a pseudonym this app was (or could have been) served."""
        self._refresh(conn)
        return self.reverse.get(str(pseudonym).strip().lower())

    real = person  # the same question, for a kind other than people

    def _refresh(self, conn: Connection) -> None:
        table = self.table
        rows = conn.execute(select(table.c.sourced_id, table.c.change_version)
                            .where(table.c.change_version > self.mark)).all()
        if rows:
            self.add(r.sourced_id for r in rows)
            self.mark = max(r.change_version for r in rows)


def _sealer(key: bytes) -> Fernet:
    # cryptography is imported on first use: its native bindings are several MiB of memory
    # that a sync (which imports this module through the read engine) never needs.
    from cryptography.fernet import Fernet

    return Fernet(base64.urlsafe_b64encode(hmac.new(key, b"page tokens", hashlib.sha256)
                                           .digest()))


class PseudonymStore:
    """Per store and process: the secret, and each app's map back (a ReadCaches member)."""

    def __init__(self) -> None:
        self.key: bytes | None = None
        self.apps: dict[tuple[int, str], Pseudonyms] = {}
        self.edfi_ids: dict[int, EdFiIdCipher] = {}
        # The store's engine, for creating the secret on first use when a caller has only a
        # read connection (set by the store's handle in the app).
        self.writes: Callable[[], Engine] | None = None

    def ready(self, reads: Connection) -> None:
        """Have the secret before a caller takes the store's write lock (creating it then
        would wait on that lock: SQLite has one writer)."""
        if self.key is None:
            assert self.writes is not None, "no engine to create the pseudonym secret"
            self.key = store_key(reads, self.writes())

    def seal(self, reads: Connection, text: str) -> str:
        """`text` (a district id a page token carries) encrypted and authenticated under the
        store's secret, for an app that must not see district ids."""
        self.ready(reads)
        assert self.key is not None
        return _sealer(self.key).encrypt(text.encode("utf-8")).decode("ascii")

    def unseal(self, reads: Connection, token: str) -> str | None:
        """What `seal` sealed, or None (not a token this store sealed)."""
        self.ready(reads)
        assert self.key is not None
        from cryptography.fernet import InvalidToken

        try:
            return _sealer(self.key).decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError, ValueError):
            return None

    def edfi_ids_for(self, reads: Connection, app_id: int,
                     agreement: Agreement) -> EdFiIdCipher | None:
        """The Ed-Fi ids the app is shown (gateway/policy/shown_edfi_ids.py): its cipher
        under a pseudonymous agreement, else None (the district's ids)."""
        if not applies(agreement):
            return None
        found = self.edfi_ids.get(app_id)
        if found is None:
            self.ready(reads)
            assert self.key is not None
            if len(self.edfi_ids) > 1024:
                self.edfi_ids.clear()
            found = self.edfi_ids[app_id] = EdFiIdCipher(self.key, app_id)
        return found

    def for_app(self, reads: Connection, writes: Engine | None, app_id: int,
                kind: str = "people") -> Pseudonyms:
        if self.key is None:
            if writes is None:
                assert self.writes is not None, "no engine to create the pseudonym secret"
                writes = self.writes()
            self.key = store_key(reads, writes)
        found = self.apps.get((app_id, kind))
        if found is None:
            if len(self.apps) > 1024:
                self.apps.clear()
            found = self.apps[(app_id, kind)] = Pseudonyms(self.key, app_id, kind)
        return found

"""The read engine: the one road from the store to a consumer.

A consumer (OneRoster, Ed-Fi, LTI's roster service, the console, parents' reports) describes
what it wants: a family, which documents, the rows its relation, subset and filter select, an
order and a page. The engine adds what the app may see (its agreement's schools, parents'
opt-outs) to the same SQL, so paging and totals stay honest; reads the page's documents, which
the sync engine rendered when the rows changed (see gateway/sync/documents.py); prunes what a
document embeds that this app may not see and projects the fields its agreement (and the
request) allow; and appends the disclosure when the page carries students. One response, one
snapshot: the count, the page and the versions that key the caches are read in the same
transaction (`for_reads`).

Per process, keyed by the store's change version and the policy version (so a sync or an
opt-out invalidates them at once): the orgs above an agreement's schools, an app's opted-out
students, and totals per (app, listing).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
from sqlalchemy import ColumnElement, Connection, Engine, func, or_, select

from gateway.model import ROSTER_TABLES, ChangeCounter, OptOut
from gateway.policy.agreement import Agreement
from gateway.policy.disclosures import DisclosureEntry, record
from gateway.policy.scoping import Scope

COUNTER = ChangeCounter.__table__
OPTOUTS = OptOut.__table__
# How a family's rows name the students they carry (the disclosure log's question):
# (column naming the student, column that must say "student" for it to count, or None).
STUDENT_OF: dict[str, tuple[str, str | None]] = {
    "demographics": ("sourced_id", None),
    "enrollments": ("user_id", "role"),
    "results": ("student_id", None),
}
CACHE_ENTRIES = 4096


@dataclass(frozen=True)
class View:
    """What one app may see of the rows a page's documents embed: `orgs` (None: every org),
    and of the users they name, those it may see (`visible_users`, None: all but
    `hidden_users`, the opted-out)."""

    orgs: frozenset[str] | None
    visible_users: frozenset[str] | None
    hidden_users: frozenset[str] = frozenset()

    def sees_user(self, user: str) -> bool:
        if user in self.hidden_users:
            return False
        return self.visible_users is None or user in self.visible_users

    def sees_org(self, org: str) -> bool:
        return self.orgs is None or org in self.orgs


class Documents(Protocol):
    """What a wire format tells the engine about the documents it rendered: which column
    holds them, and how to prune what they embed (`doc_refs`) for one app's view."""

    column: str

    def named_users(self, family: str, refs: dict[str, Any]) -> set[str]: ...

    def needs_pruning(self, family: str, refs: dict[str, Any], view: View) -> bool: ...

    def prune(self, family: str, doc: dict[str, Any], refs: dict[str, Any],
              view: View) -> dict[str, Any]: ...

    def is_student(self, family: str, refs: dict[str, Any], view: View) -> bool: ...


@dataclass(frozen=True)
class Reader:
    """Who reads, and the request the disclosure log names."""

    app_id: int
    agreement: Agreement
    request_id: str = ""
    endpoint: str = ""
    log_disclosures: bool = True


@dataclass(frozen=True)
class Listing:
    """What one read selects, beyond what the policy adds.

    `where` holds the relation to a parent, the typed subset and the client's filter (already
    parenthesised), all on the family's table; `order` the sort keys, sourced_id last; `shape`
    names the listing for the totals cache (family, version, relation parameters, filter text,
    tombstones): two requests with the same shape count the same rows."""

    family: str
    documents: Documents
    where: tuple[ColumnElement[bool], ...] = ()
    order: tuple[Any, ...] = ()
    default_order: bool = True
    limit: int = 100
    offset: int = 0
    keep: tuple[str, ...] | None = None  # the wire fields to send, in the wire's order
    full: tuple[str, ...] = ()  # every wire field the version may carry
    tombstones: bool = False
    shape: tuple[Any, ...] = ()


@dataclass
class Page:
    documents: list[bytes]
    total: int | None = None
    students: list[str] = field(default_factory=list)


class _Cache:
    """A small per-process LRU."""

    def __init__(self, size: int = CACHE_ENTRIES) -> None:
        self.size = size
        self.items: OrderedDict[Any, Any] = OrderedDict()

    def get(self, key: Any) -> Any:
        if key in self.items:
            self.items.move_to_end(key)
            return self.items[key]
        return None

    def put(self, key: Any, value: Any) -> Any:
        self.items[key] = value
        self.items.move_to_end(key)
        while len(self.items) > self.size:
            self.items.popitem(last=False)
        return value


_SCOPES = _Cache(256)
_OPTED_OUT = _Cache(256)
_TOTALS = _Cache()


def versions(conn: Connection) -> tuple[int, int]:
    """(change version, policy version) as this snapshot sees them."""
    found = dict(conn.execute(select(COUNTER.c.id, COUNTER.c.value)).all())
    return found.get(1, 0), found.get(2, 0)


class ReadSession:
    """One response's reads: one connection, one snapshot, one app's view."""

    def __init__(self, conn: Connection, reader: Reader, log: Engine) -> None:
        self.conn = conn
        self.reader = reader
        self.log = log
        self.versions = versions(conn)
        schools = reader.agreement.schools
        key = (None if schools is None else tuple(sorted(schools)), self.versions[0])
        scope = _SCOPES.get(key)
        if scope is None:
            scope = _SCOPES.put(key, Scope(conn, reader.app_id, schools))
        self.scope = scope.for_app(reader.app_id)

    # -- the app's view of embedded rows ---------------------------------------------------
    def opted_out(self) -> frozenset[str]:
        key = (self.reader.app_id, self.versions[1])
        found = _OPTED_OUT.get(key)
        if found is None:
            found = _OPTED_OUT.put(key, frozenset(self.conn.execute(
                select(OPTOUTS.c.student_id).where(or_(
                    OPTOUTS.c.app_id.is_(None), OPTOUTS.c.app_id == self.reader.app_id))
            ).scalars()))
        return found

    def view(self, named: set[str]) -> View:
        """What the app may see of the users and orgs that a page's documents name."""
        orgs = None if self.scope.orgs is None else frozenset(self.scope.orgs)
        if orgs is None or not named:
            return View(orgs, None, self.opted_out())
        users = ROSTER_TABLES["users"]
        visible = frozenset(self.conn.execute(select(users.c.sourced_id).where(
            users.c.sourced_id.in_(sorted(named)), users.c.status == "active",
            self.scope.visible("users"))).scalars())
        return View(orgs, visible)

    # -- reads -------------------------------------------------------------------------------
    def visible(self, family: str) -> ColumnElement[bool]:
        return self.scope.visible(family)

    def exists(self, family: str, sourced_id: str, *where: ColumnElement[bool]) -> bool:
        """Whether the app may see this active row (a parent in a nested path)."""
        table = ROSTER_TABLES[family]
        return self.conn.execute(select(table.c.sourced_id).where(
            table.c.sourced_id == sourced_id, table.c.status == "active",
            self.scope.visible(family), *where)).first() is not None

    def single(self, listing: Listing, sourced_id: str) -> Page | None:
        table = ROSTER_TABLES[listing.family]
        rows = self.conn.execute(self._select(listing).where(
            table.c.sourced_id == sourced_id, table.c.status == "active")).all()
        if not rows:
            return None
        return self._page(listing, rows, None)

    def list(self, listing: Listing) -> Page:
        table = ROSTER_TABLES[listing.family]
        where = self._where(listing)
        total = self._total(listing, where)
        query = self._select(listing)
        if listing.default_order and listing.offset:
            # A deep offset becomes a key first: the skipped rows are walked in the
            # (status, sourced_id) index alone, never read with their documents.
            first = (select(table.c.sourced_id).where(*where).order_by(table.c.sourced_id)
                     .offset(listing.offset).limit(1).scalar_subquery())
            query = query.where(table.c.sourced_id >= first).order_by(table.c.sourced_id) \
                .limit(listing.limit)
        else:
            query = query.order_by(*listing.order).limit(listing.limit).offset(listing.offset)
        return self._page(listing, self.conn.execute(query).all(), total)

    # -- parts ---------------------------------------------------------------------------------
    def _where(self, listing: Listing) -> list[ColumnElement[bool]]:
        table = ROSTER_TABLES[listing.family]
        where = [self.scope.visible(listing.family), *listing.where]
        if not listing.tombstones:
            where.append(table.c.status == "active")
        return where

    def _select(self, listing: Listing):  # noqa: ANN202
        table = ROSTER_TABLES[listing.family]
        columns = [table.c.sourced_id, table.c[listing.documents.column], table.c.doc_refs]
        student = STUDENT_OF.get(listing.family)
        if student is not None:
            columns += [table.c[c] for c in student if c is not None]
        return select(*columns).where(*self._where(listing))

    def _total(self, listing: Listing, where: Sequence[ColumnElement[bool]]) -> int:
        key = (self.reader.app_id, self.reader.agreement.schools, listing.shape, self.versions)
        total = _TOTALS.get(key)
        if total is None:
            table = ROSTER_TABLES[listing.family]
            total = _TOTALS.put(key, self.conn.execute(
                select(func.count()).select_from(table).where(*where)).scalar_one())
        return total

    def _page(self, listing: Listing, rows: Sequence[Any], total: int | None) -> Page:
        family, docs = listing.family, listing.documents
        refs = [orjson.loads(r.doc_refs) if r.doc_refs else None for r in rows]
        named: set[str] = set()
        for ref in refs:
            if ref is not None:
                named |= docs.named_users(family, ref)
        view = self.view(named) if any(r is not None for r in refs) else None
        keep = None if listing.keep is None else frozenset(listing.keep)
        narrowed = keep is not None and not frozenset(listing.full) <= keep
        documents: list[bytes] = []
        for row, ref in zip(rows, refs, strict=True):
            raw = row[1]
            if view is not None and ref is not None and docs.needs_pruning(family, ref, view):
                doc = docs.prune(family, orjson.loads(raw), ref, view)
                documents.append(orjson.dumps(_keep(doc, keep) if narrowed else doc,
                                              option=orjson.OPT_SORT_KEYS))
            elif narrowed:
                documents.append(orjson.dumps(_keep(orjson.loads(raw), keep),
                                              option=orjson.OPT_SORT_KEYS))
            else:
                documents.append(raw.encode())
        students = self._students(listing, rows, refs, view)
        page = Page(documents, total, students)
        if students and self.reader.log_disclosures:
            kept = listing.keep if listing.keep is not None else listing.full
            record(self.log, DisclosureEntry(
                app_id=self.reader.app_id, request_id=self.reader.request_id,
                endpoint=self.reader.endpoint,
                fields=tuple(f"{family}.{f}" for f in kept), students=tuple(students)))
        return page

    @staticmethod
    def _students(listing: Listing, rows: Sequence[Any], refs: list[Any],
                  view: View | None) -> list[str]:
        family = listing.family
        if family == "users":
            return sorted(r.sourced_id for r, ref in zip(rows, refs, strict=True)
                          if ref is not None and view is not None
                          and listing.documents.is_student(family, ref, view))
        rule = STUDENT_OF.get(family)
        if rule is None:
            return []
        column, must_be = rule
        return [getattr(r, column) for r in rows
                if must_be is None or getattr(r, must_be) == "student"]


def _keep(doc: dict[str, Any], keep: frozenset[str] | None) -> dict[str, Any]:
    if keep is None:
        return doc
    return {k: v for k, v in doc.items() if k in keep}


@contextmanager
def read_session(reads: Engine, log: Engine, reader: Reader) -> Iterator[ReadSession]:
    """`reads` is the store as reads see it (one snapshot per connection); `log` the store
    the disclosure log is appended to."""
    with reads.connect() as conn:
        yield ReadSession(conn, reader, log)

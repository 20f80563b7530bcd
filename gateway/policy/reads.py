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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    and_,
    bindparam,
    func,
    null,
    or_,
    select,
)

from gateway.busy import StoreBusy
from gateway.documents.names import SECTION, Named, View, optional_fields
from gateway.model import EDFI_DOCUMENTS, ROSTER_TABLES, OptOut
from gateway.policy.agreement import Agreement
from gateway.policy.disclosures import DisclosureEntry
from gateway.policy.pseudonym_order import Keyed, behind, ordered, refresh
from gateway.policy.pseudonyms import PseudonymStore
from gateway.policy.scoping import Scope
from gateway.policy.shown_ids import OWN_KIND, WRITABLE, ShownIds
from gateway.store.driver_sql import Prepared, fetch
from gateway.store.snapshot import head

VERSIONS = ("SELECT (SELECT value FROM change_counter WHERE id = 1), "
            "(SELECT value FROM store_marks WHERE name = 'policy_version')")
OPTOUTS = OptOut.__table__
# How a family's rows name the students they carry (the disclosure log's question):
# (column naming the student, column that must say "student" for it to count, or None).
STUDENT_OF: dict[str, tuple[str, str | None]] = {
    "demographics": ("sourced_id", None),
    "enrollments": ("user_id", "role"),
    "results": ("student_id", None),
}
CACHE_ENTRIES = 4096


class Documents(Protocol):
    """What a wire format tells the engine about the documents it rendered: which column
    holds them, and how to prune one for an app's view, given the detail it packed into
    `doc_refs` (see `pack_refs`)."""

    column: str

    def prune(self, family: str, doc: dict[str, Any], detail: Any,
              view: View) -> dict[str, Any]: ...

    def pseudonymise(self, family: str, doc: bytes, shown: ShownIds,
                     own: bool) -> bytes: ...


class RenderedDocuments(Protocol):
    """Documents a wire format renders from the page's rows at read time, inside this
    session's snapshot (Ed-Fi's, whose keys and references differ per app: pseudonymous
    unique ids, the agreement's profile). `column` names them in statement caches; `columns`
    are the family's columns `render` reads (sourced_id first). `stored` names the Ed-Fi
    resource whose documents the sync engine stored (rows then carry `stored_doc` and
    `stored_persons`, None where a row has none), or None. `render` answers the page's
    documents and the students they carry (the disclosure log's question)."""

    column: str
    columns: tuple[str, ...]
    stored: str | None

    def render(self, session: ReadSession, family: str,
               rows: Sequence[Any]) -> tuple[list[bytes], list[str]]: ...


@dataclass(frozen=True)
class Reader:
    """Who reads, and the request the disclosure log names."""

    app_id: int
    agreement: Agreement
    request_id: str = ""
    endpoint: str = ""
    log_disclosures: bool = True
    # The app's own source (the rows it wrote), for what a pseudonymous agreement shows.
    source: str = ""
    # The consumer works on the district's ids and shows the app only what it derives from
    # them (LTI: pairwise ids, and ShownIds where it sends a sourcedId): documents keep them.
    internal_ids: bool = False


@dataclass(frozen=True)
class Listing:
    """What one read selects, beyond what the policy adds.

    `where` builds the relation to a parent, the typed subset and the client's filter (already
    parenthesised), all on the family's table; `order` the client's sort keys (the engine
    breaks ties by sourcedId, or for an app shown pseudonyms of the family, by its own key:
    gateway/policy/pseudonym_order.py). `shape`
    names everything they depend on (operation, path parameters, filter and sort text,
    tombstones): the engine builds and compiles the statement once per app and shape, and
    counts once per shape and store version, so a paging client pays for neither again."""

    family: str
    documents: Documents | RenderedDocuments
    where: Callable[[], Sequence[ColumnElement[bool]]] = tuple
    order: Callable[[], Sequence[Any]] = tuple
    default_order: bool = True
    limit: int = 100
    offset: int = 0
    keep: tuple[str, ...] | None = None  # the wire fields to send, in the wire's order
    full: tuple[str, ...] = ()  # every wire field the version may carry
    tombstones: bool = False
    shape: tuple[Any, ...] = ()
    # Keyset paging (the default order): rows after the row with this sourcedId; the
    # offset is then ignored.
    after: str | None = None
    count: bool = True  # whether the page carries the total (a cached count)
    peek: bool = False  # read one row more, to tell whether another page follows
    disclosed: tuple[str, ...] | None = None  # `family.field` names logged, when not `keep`


@dataclass
class Page:
    documents: list[bytes]
    total: int | None = None
    students: list[str] = field(default_factory=list)
    more: bool = False  # (peek) another page follows
    last: str | None = None  # the sourcedId of the page's last row


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


ANCHOR_EVERY = 200  # rows between the keys a deep page starts from


class ReadCaches:
    """What one gateway process remembers about one store between requests. Owned by the
    store's handle in the app (one per store per process), never shared between stores: keys
    name apps and versions, which two stores number alike."""

    def __init__(self) -> None:
        self.scopes = _Cache(256)
        self.opted_out = _Cache(256)
        self.totals = _Cache()
        self.statements = _Cache(1024)
        self.anchors = _Cache(256)
        self.pseudonyms = PseudonymStore()
        # (app, pseudonymised kinds, change version): the app's order keys are complete
        self.order_ready = _Cache(256)
        # The store as API writes use it (set by the store's handle in the app): where an
        # app's order keys are caught up when a read finds them behind.
        self.writes: Callable[[], Engine] | None = None


def versions(conn: Connection) -> tuple[int, int]:
    """(change version, policy version) as this snapshot sees them: read with the snapshot's
    first statement where the request opened it (gateway.store.snapshot), else now."""
    opened = head(conn)
    if opened is not None:
        return opened.change, opened.policy
    (change, policy), = fetch(conn, VERSIONS)
    return change or 0, policy or 0


class ReadSession:
    """One response's reads: one connection, one snapshot, one app's view."""

    def __init__(self, conn: Connection, reader: Reader, log: DisclosureLog,
                 caches: ReadCaches) -> None:
        self.conn = conn
        self.reader = reader
        self.log = log
        self.caches = caches
        self.versions = versions(conn)
        if reader.agreement.pseudonymous_ids:
            self._order_ready()
        schools = reader.agreement.schools
        key = (None if schools is None else tuple(sorted(schools)), self.versions[0])
        scope = caches.scopes.get(key)
        if scope is None:
            scope = caches.scopes.put(key, Scope(conn, reader.app_id, schools))
        self.scope = scope.for_app(reader.app_id)
        self._shown: ShownIds | None = None

    def _order_ready(self) -> None:
        """Have the app's order keys complete in this snapshot before any read (a sync or
        its registration keeps them so; otherwise they are caught up on the writer and the
        snapshot taken again: nothing has been read in it but the token's check)."""
        reader = self.reader
        key = (reader.app_id, reader.agreement.pseudonymous_ids, self.versions[0])
        if self.caches.order_ready.get(key):
            return
        if behind(self.conn, reader.app_id, reader.agreement, self.versions[0]):
            writes = self.caches.writes
            assert writes is not None, "no engine to catch the order keys up on"
            refresh(writes(), reader.app_id)
            if self.conn.in_transaction():
                self.conn.rollback()
            self.versions = versions(self.conn)
            key = (reader.app_id, reader.agreement.pseudonymous_ids, self.versions[0])
            if behind(self.conn, reader.app_id, reader.agreement, self.versions[0]):
                # Not even a snapshot after the catch-up has them (a registration racing
                # more syncs): a page now would miss rows; the client retries.
                raise StoreBusy(None)
        self.caches.order_ready.put(key, True)

    def _keyed(self, listing: Listing) -> Keyed | None:
        """The app's own order of this family, when its agreement pseudonymises it."""
        if not ordered(self.reader.agreement, listing.family):
            return None
        return Keyed(self.reader.app_id, listing.family)

    def _tiebreak(self, listing: Listing) -> list[Any]:
        table = ROSTER_TABLES[listing.family]
        keyed = self._keyed(listing)
        return [table.c.sourced_id] if keyed is None else keyed.order(table)

    def shown_ids(self) -> ShownIds | None:
        """The app's pseudonyms when its agreement asks for them, else None."""
        if not self.reader.agreement.pseudonymous_ids:
            return None
        if self._shown is None:
            self._shown = ShownIds(self.conn, self.caches.pseudonyms, self.reader.app_id,
                                   self.reader.agreement, self.reader.source)
        return self._shown

    # -- the app's view of embedded rows ---------------------------------------------------
    def opted_out(self) -> frozenset[str]:
        key = (self.reader.app_id, self.versions[1])
        found = self.caches.opted_out.get(key)
        if found is None:
            found = self.caches.opted_out.put(key, frozenset(self.conn.execute(
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
        statement = self._statement(("single", listing.documents.column), listing,
                                    self._single_statement)
        rows = statement.rows(self.conn, {"sid": sourced_id})
        if not rows:
            return None
        return self._page(listing, rows, None)

    def list(self, listing: Listing) -> Page:
        if listing.after is not None:
            return self._keyset(listing)
        if listing.default_order and listing.offset >= ANCHOR_EVERY:
            return self._anchored(listing)
        statement = self._statement(("list", listing.documents.column), listing,
                                    self._list_statement)
        total = self._total(listing) if listing.count else None
        rows = statement.rows(self.conn, {"page_limit": listing.limit + listing.peek,
                                          "page_offset": listing.offset})
        return self._page(listing, rows, total)

    def _keyset(self, listing: Listing) -> Page:
        """A page of the rows after a row, in the default order (a client's page token)."""
        statement = self._statement(("keyset", listing.documents.column), listing,
                                    self._keyset_statement)
        total = self._total(listing) if listing.count else None
        params: dict[str, Any] = {"after": listing.after,
                                  "page_limit": listing.limit + listing.peek}
        keyed = self._keyed(listing)
        if keyed is not None:
            params["after_key"] = keyed.key(self.conn, listing.after or "")
            if params["after_key"] is None:  # not a row of this family: nothing follows it
                return self._page(listing, [], total)
        rows = statement.rows(self.conn, params)
        return self._page(listing, rows, total)

    def _anchored(self, listing: Listing) -> Page:
        """A deep page in the default order: start from the nearest anchor (every
        ANCHOR_EVERY-th key of this listing, read once per store version) and skip fewer
        than ANCHOR_EVERY index entries, so page 900 costs about what page 1 does."""
        anchors = self._anchors(listing)
        slot = listing.offset // ANCHOR_EVERY
        total = self._total(listing) if listing.count else None
        if slot >= len(anchors):
            return self._page(listing, [], total)
        statement = self._statement(("anchored", listing.documents.column), listing,
                                    self._anchored_statement)
        sort_key, sourced_id = anchors[slot]
        params = {"anchor": sourced_id, "page_limit": listing.limit + listing.peek,
                  "page_offset": listing.offset - slot * ANCHOR_EVERY}
        if sort_key is not None:
            params["anchor_key"] = sort_key
        rows = statement.rows(self.conn, params)
        return self._page(listing, rows, total)

    def _anchors(self, listing: Listing) -> list[tuple[str | None, str]]:
        """Every ANCHOR_EVERY-th row's (order key, sourcedId); the key is None where the
        order is the sourcedId's."""
        key = self._cache_key(listing)
        anchors = self.caches.anchors.get(key)
        if anchors is None:
            table = ROSTER_TABLES[listing.family]
            keyed = self._keyed(listing)
            if keyed is None:
                walk = select(null(), table.c.sourced_id)
            else:
                walk = select(*keyed.order(table)).select_from(keyed.join(table, table))
            anchors, seen = [], 0
            for sort_key, sourced_id in self.conn.execute(
                    walk.where(*self._where(listing)).order_by(*self._tiebreak(listing))):
                if seen % ANCHOR_EVERY == 0:
                    anchors.append((sort_key, sourced_id))
                seen += 1
            self.caches.anchors.put(key, anchors)
            self.caches.totals.put(key, seen)  # the walk counted them too
        return anchors

    # -- statements, built once per app and shape ------------------------------------------
    def _statement(self, kind: tuple[Any, ...], listing: Listing,
                   build: Callable[[Listing], Any]) -> Prepared:
        """The listing's statement, compiled once per app, shape and store version and run
        through the driver (see `Prepared`): the page is the request's largest read."""
        key = (kind, *self._cache_key(listing))
        statement = self.caches.statements.get(key)
        if statement is None:
            statement = self.caches.statements.put(
                key, Prepared.compile(build(listing), self.conn.dialect))
        return statement

    def _single_statement(self, listing: Listing) -> Any:
        table = ROSTER_TABLES[listing.family]
        return self._select(listing).where(table.c.sourced_id == bindparam("sid"),
                                           table.c.status == "active")

    def _list_statement(self, listing: Listing) -> Any:
        return self._select(listing).order_by(*listing.order(), *self._tiebreak(listing)) \
            .limit(bindparam("page_limit")).offset(bindparam("page_offset"))

    def _keyset_statement(self, listing: Listing) -> Any:
        table = ROSTER_TABLES[listing.family]
        keyed = self._keyed(listing)
        after = table.c.sourced_id > bindparam("after") if keyed is None else keyed.from_(
            table, bindparam("after_key"), bindparam("after"), inclusive=False)
        return self._select(listing).where(after).order_by(*self._tiebreak(listing)) \
            .limit(bindparam("page_limit"))

    def _anchored_statement(self, listing: Listing) -> Any:
        table = ROSTER_TABLES[listing.family]
        keyed = self._keyed(listing)
        start = table.c.sourced_id >= bindparam("anchor") if keyed is None else keyed.from_(
            table, bindparam("anchor_key"), bindparam("anchor"), inclusive=True)
        return self._select(listing).where(start).order_by(*self._tiebreak(listing)) \
            .limit(bindparam("page_limit")).offset(bindparam("page_offset"))

    # -- parts ---------------------------------------------------------------------------------
    def _where(self, listing: Listing) -> list[ColumnElement[bool]]:
        table = ROSTER_TABLES[listing.family]
        where = [self.scope.visible(listing.family), *listing.where()]
        if not listing.tombstones:
            where.append(table.c.status == "active")
        return where

    def _select(self, listing: Listing):  # noqa: ANN202
        table = ROSTER_TABLES[listing.family]
        rendered = getattr(listing.documents, "columns", None)
        source: Any = table
        if rendered is not None:
            columns = [table.c[c] for c in rendered]
            stored = getattr(listing.documents, "stored", None)
            if stored is not None:
                docs = EDFI_DOCUMENTS
                columns += [docs.c.doc.label("stored_doc"),
                            docs.c.persons.label("stored_persons")]
                source = table.outerjoin(docs, and_(docs.c.resource == stored,
                                                    docs.c.sourced_id == table.c.sourced_id))
        else:
            columns = [table.c.sourced_id, table.c[listing.documents.column],
                       table.c.doc_refs, table.c.doc_extra]
        student = STUDENT_OF.get(listing.family)
        if student is not None:
            columns += [table.c[c] for c in student if c is not None]
        if OWN_KIND.get(listing.family) in WRITABLE and self.reader.agreement.pseudonymous_ids:
            columns.append(table.c.source.label("row_source"))
        keyed = self._keyed(listing)
        if keyed is not None:
            source = keyed.join(source, table)
        return select(*columns).select_from(source).where(*self._where(listing))

    def _cache_key(self, listing: Listing) -> tuple[Any, ...]:
        """Everything a listing's rows depend on: the app (its schools, its opt-outs), the
        listing's shape and the store's versions."""
        return (self.reader.app_id, self.reader.agreement.schools,
                self.reader.agreement.pseudonymous_ids, listing.family,
                listing.shape, listing.tombstones, self.versions)

    def _total(self, listing: Listing) -> int:
        key = self._cache_key(listing)
        total = self.caches.totals.get(key)
        if total is None:
            table = ROSTER_TABLES[listing.family]
            total = self.caches.totals.put(key, self.conn.execute(
                select(func.count()).select_from(table).where(*self._where(listing))
            ).scalar_one())
        return total

    def _page(self, listing: Listing, rows: Sequence[Any], total: int | None) -> Page:
        more = listing.peek and len(rows) > listing.limit
        if more:
            rows = rows[:listing.limit]
        last = rows[-1].sourced_id if rows else None
        if hasattr(listing.documents, "render"):
            documents, students = listing.documents.render(self, listing.family, rows)
            self.disclose(listing, students)
            return Page(documents, total, students, more, last)
        family, docs = listing.family, listing.documents
        refs, view = self._refs(rows)
        assemble = _Assembly(listing, family)
        documents: list[bytes] = []
        for row, ref in zip(rows, refs, strict=True):
            if view is not None and ref is not None and ref.hidden_from(view):
                detail = orjson.loads(ref.detail)
                documents.append(assemble.decoded(row, lambda doc, d=detail, v=view:
                                                  docs.prune(family, doc, d, v)))
            else:
                documents.append(assemble(row))
        students = self._students(listing, rows, refs, view)
        self.disclose(listing, students)
        shown = None if self.reader.internal_ids else self.shown_ids()
        if shown is not None:
            source = self.reader.source
            documents = [docs.pseudonymise(family, d, shown, bool(source) and getattr(
                row, "row_source", None) == source) for d, row in zip(documents, rows,
                                                                      strict=True)]
        return Page(documents, total, students, more, last)

    def _refs(self, rows: Sequence[Any]) -> tuple[list[Named | None], View | None]:
        """What each row's document names (None: nothing this app's view must prune), and
        the app's view. A district-wide app is hidden only the opted-out: a document that
        cannot name one of them (not even as a substring of its packed names) is not
        unpacked at all, which is most of a page's cost otherwise."""
        texts = [r.doc_refs for r in rows]
        if not any(texts):
            return [None] * len(rows), None
        if self.scope.orgs is None:
            hidden = self.opted_out()
            view = View(None, None, hidden)
            return [Named.unpack(t) if t and _may_name(t, hidden) else None
                    for t in texts], view
        refs = [Named.unpack(t) if t else None for t in texts]
        named: set[str] = set()
        for ref in refs:
            if ref is not None:
                named.update(ref.users)
        return refs, self.view(named)

    def disclose(self, listing: Listing, students: Sequence[str]) -> None:
        """Append the disclosure of a response that carried these students (none: nothing)."""
        if not students or not self.reader.log_disclosures:
            return
        fields = listing.disclosed
        if fields is None:
            kept = listing.keep if listing.keep is not None else listing.full
            fields = tuple(f"{listing.family}.{f}" for f in kept)
        self.log.record(DisclosureEntry(
            app_id=self.reader.app_id, request_id=self.reader.request_id,
            endpoint=self.reader.endpoint, fields=tuple(fields), students=tuple(students)))

    @staticmethod
    def _students(listing: Listing, rows: Sequence[Any], refs: list[Named | None],
                  view: View | None) -> list[str]:
        family = listing.family
        if family == "users" and view is not None and view.orgs is None:
            # Every org is seen: a student is a row naming any org it is a student at.
            return sorted(r.sourced_id for r in rows
                          if r.doc_refs and not r.doc_refs.startswith(SECTION))
        if family == "users":
            return sorted(r.sourced_id for r, ref in zip(rows, refs, strict=True)
                          if ref is not None and view is not None and ref.is_student(view))
        rule = STUDENT_OF.get(family)
        if rule is None:
            return []
        column, must_be = rule
        return [getattr(r, column) for r in rows
                if must_be is None or getattr(r, must_be) == "student"]


def _may_name(packed: str, hidden: frozenset[str]) -> bool:
    """Whether packed names may include one of `hidden` (a substring test: a false alarm
    only costs the exact check)."""
    if not hidden:
        return False
    return len(hidden) > 64 or any(h in packed for h in hidden)


class _Assembly:
    """One page's documents as the app may see them. A stored document lacks the optional
    (sensitive) fields, kept apart: when the app may see every field of the document itself,
    it is sent as stored, with the optional fields it was granted spliced in; only a narrower
    view (an allowlist, `fields=`) or a pruned row costs a decode."""

    def __init__(self, listing: Listing, family: str) -> None:
        full = frozenset(listing.full)
        keep = full if listing.keep is None else frozenset(listing.keep)
        optional = optional_fields(family)
        self.keep = keep
        self.wanted = keep & optional
        self.narrowed = not keep >= (full - optional)

    def __call__(self, row: Any) -> bytes:
        if self.narrowed:
            return self.decoded(row)
        base: bytes = row[1]
        if self.wanted and row.doc_extra:
            extra = {k: v for k, v in orjson.loads(row.doc_extra).items() if k in self.wanted}
            if extra:
                return base[:-1] + b"," + orjson.dumps(extra)[1:]
        return base

    def decoded(self, row: Any, change: Any = None) -> bytes:
        doc = orjson.loads(row[1])
        if change is not None:
            doc = change(doc)
        if self.wanted and row.doc_extra:
            doc.update(orjson.loads(row.doc_extra))
        return orjson.dumps({k: v for k, v in doc.items() if k in self.keep},
                            option=orjson.OPT_SORT_KEYS)


class DisclosureLog(Protocol):
    def record(self, entry: DisclosureEntry) -> None: ...


@contextmanager
def read_session(reads: Connection | Engine, log: DisclosureLog, caches: ReadCaches,
                 reader: Reader) -> Iterator[ReadSession]:
    """`reads` is the store as reads see it: a connection holding the request's snapshot, or
    an engine to take one from; `log` where disclosures are recorded (the app's spool);
    `caches` what this process remembers about this store."""
    if isinstance(reads, Connection):
        yield ReadSession(reads, reader, log, caches)
        return
    with reads.connect() as conn:
        yield ReadSession(conn, reader, log, caches)

"""Wire documents kept in step with the rows they render, in the transaction that changes them.

A run marks what its apply touches: the changed rows themselves, and the rows whose documents
embed them (a user embeds its roles and profiles, and contacts through roles naming it; an org
or session lists its children). References are marked from the store's values both before the
apply (a role moved away from a user) and after it (the user it moved to). Then every marked row
is rendered again (`gateway.oneroster.documents`) in batches and written back, so a reader
never sees a document out of step with its row.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    String,
    Table,
    func,
    insert,
    literal,
    select,
)

from gateway.documents.oneroster import FORMAT_VERSION, Related, RoleRow, Row, render
from gateway.documents.oneroster_catalogue import ENVELOPES
from gateway.model import ROSTER_TABLES
from gateway.store.engine import for_writes
from gateway.store.marks import DOCUMENTS_FORMAT, EDFI_DOCUMENTS_FORMAT, read_mark, set_mark
from gateway.sync import edfi_documents
from gateway.sync.edfi_documents import STORED as EDFI_STORED
from gateway.sync.edfi_documents import mark_family as edfi_mark
from gateway.sync.staging import write_many

DOCUMENTED = tuple(ENVELOPES)
BATCH = 1000
# changed family -> (family whose documents embed it, the column of the changed row naming it)
EMBEDDED_IN: dict[str, tuple[tuple[str, str], ...]] = {
    "roles": (("users", "user_id"), ("users", "student_id")),
    "userProfiles": (("users", "user_id"),),
    "enrollments": (("users", "user_id"),),  # a user holding no role: its implied roles
    "orgs": (("orgs", "parent_id"),),
    "academicSessions": (("academicSessions", "parent_id"),),
}
# The same for the stored Ed-Fi documents (gateway.sync.edfi_documents): changed family ->
# (Ed-Fi family whose documents embed it, or whose resources it puts a row in, the column of
# the changed row naming that row, or of the Ed-Fi family's row naming the changed one).
EDFI_EMBEDDED_IN: dict[str, tuple[tuple[str, str, str], ...]] = {
    "users": (("roles", "user_id", "target"), ("roles", "student_id", "target")),
    "demographics": (("users", "sourced_id", "changed"), ("roles", "user_id", "target")),
    "roles": (("users", "user_id", "changed"),),
}
EDFI_EVERYTHING_WHEN = {"orgs": "roles", "academicSessions": "roles"}


class DocumentMarks:
    """The rows of one run whose documents must be rendered again (a temporary table)."""

    def __init__(self, conn: Connection) -> None:
        meta = MetaData()
        self.table = Table(
            "doc_marks", meta,
            Column("family", String(64), primary_key=True),
            Column("sourced_id", String(255), primary_key=True),
            prefixes=["TEMPORARY"],
        )
        meta.create_all(conn)
        self.conn = conn
        self.families: set[str] = set()  # the families with marked rows

    def _add(self, family: str, ids) -> None:  # noqa: ANN001
        """Mark `ids` (a SELECT of sourced_ids) of `family`, once each."""
        query = select(literal(family), ids.c.sourced_id).distinct().where(
            ids.c.sourced_id.is_not(None),
            ~select(self.table.c.sourced_id).where(
                self.table.c.family == family,
                self.table.c.sourced_id == ids.c.sourced_id).exists())
        added = self.conn.execute(insert(self.table).from_select(["family", "sourced_id"],
                                                                 query))
        if added.rowcount != 0:  # -1 where the driver cannot tell
            self.families.add(family)

    def embedding(self, chg: Table) -> None:
        """Mark the rows whose documents embed a changed row, as the store names them now."""
        for family in _changed_families(self.conn, chg) & set(EMBEDDED_IN):
            embedded_in = EMBEDDED_IN[family]
            changed = ROSTER_TABLES[family]
            for target, column in embedded_in:
                ids = select(changed.c[column].label("sourced_id")).join(
                    chg, (chg.c.family == family) & (chg.c.sourced_id == changed.c.sourced_id)
                ).subquery()
                self._add(target, ids)
        self._edfi_embedding(chg)

    def _edfi_embedding(self, chg: Table) -> None:
        changed_families = _changed_families(self.conn, chg)
        for family in changed_families & set(EDFI_EMBEDDED_IN):
            changed = ROSTER_TABLES[family]
            for target, column, side in EDFI_EMBEDDED_IN[family]:
                if side == "changed":  # the changed row's column names the target row
                    ids = select(changed.c[column].label("sourced_id")).join(
                        chg, (chg.c.family == family)
                        & (chg.c.sourced_id == changed.c.sourced_id)).subquery()
                else:  # the target row's column names the changed row
                    table = ROSTER_TABLES[target]
                    ids = select(table.c.sourced_id).join(
                        chg, (chg.c.family == family)
                        & (chg.c.sourced_id == table.c[column])).subquery()
                self._add(edfi_mark(target), ids)
        for family in changed_families & set(EDFI_EVERYTHING_WHEN):
            target = EDFI_EVERYTHING_WHEN[family]
            self._add(edfi_mark(target), select(ROSTER_TABLES[target].c.sourced_id).subquery())

    def changed(self, chg: Table) -> None:
        families = _changed_families(self.conn, chg)
        for family in families & set(DOCUMENTED):
            ids = select(chg.c.sourced_id).where(chg.c.family == family).subquery()
            self._add(family, ids)
        for family in families & set(EDFI_STORED):
            ids = select(chg.c.sourced_id).where(chg.c.family == family).subquery()
            self._add(edfi_mark(family), ids)

    def everything(self) -> None:
        for family in DOCUMENTED:
            table = ROSTER_TABLES[family]
            self._add(family, select(table.c.sourced_id).subquery())
        self.everything_edfi()

    def everything_edfi(self) -> None:
        for family in EDFI_STORED:
            self._add(edfi_mark(family), select(ROSTER_TABLES[family].c.sourced_id).subquery())

    def batches(self, family: str) -> Iterator[list[str]]:
        after = ""
        while True:
            ids = list(self.conn.execute(
                select(self.table.c.sourced_id)
                .where(self.table.c.family == family, self.table.c.sourced_id > after)
                .order_by(self.table.c.sourced_id).limit(BATCH)).scalars())
            if not ids:
                return
            yield ids
            after = ids[-1]


def _changed_families(conn: Connection, chg: Table) -> set[str]:
    """The families a run changed (a small write touches one or two)."""
    return set(conn.execute(select(chg.c.family).distinct()).scalars())


def render_marked(conn: Connection, marks: DocumentMarks) -> int:
    """Render and store the documents of every marked row; the count rendered."""
    done = 0
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    for family in [f for f in DOCUMENTED if f in marks.families]:
        # The driver's own executemany: thousands of rows a batch, without per-row binding
        # work in SQLAlchemy (a third of the cost of rendering otherwise).
        statement = (f"UPDATE {ROSTER_TABLES[family].name} SET doc_v1p1 = {mark}, "
                     f"doc_v1p2 = {mark}, doc_refs = {mark}, doc_extra = {mark} "
                     f"WHERE sourced_id = {mark}")
        for ids in marks.batches(family):
            rows = _rows(conn, family, ids)
            if not rows:
                continue
            related = _related(conn, family, [r.sourced_id for r in rows])
            documents = render(family, rows, related)
            if conn.dialect.name == "postgresql":
                _copy_documents(conn, ROSTER_TABLES[family].name, documents)
            else:
                conn.exec_driver_sql(statement, [(d.v1p1, d.v1p2, d.refs, d.extra,
                                                  d.sourced_id) for d in documents])
            done += len(documents)
    if done and _stored_format(conn) is None:  # a new store: its documents are this format
        set_mark(conn, DOCUMENTS_FORMAT, FORMAT_VERSION)
    edfi_done = 0
    for family in EDFI_STORED:
        if edfi_mark(family) in marks.families:
            for ids in marks.batches(edfi_mark(family)):
                edfi_done += edfi_documents.render_batch(conn, family, ids)
    if edfi_done and read_mark(conn, EDFI_DOCUMENTS_FORMAT) is None:
        set_mark(conn, EDFI_DOCUMENTS_FORMAT, edfi_documents.FORMAT_VERSION)
    return done + edfi_done


_DOCUMENT_COLUMNS = ["sourced_id", "doc_v1p1", "doc_v1p2", "doc_refs", "doc_extra"]


def _copy_documents(conn: Connection, table: str, documents: list) -> None:  # noqa: ANN001
    """PostgreSQL: a batch of documents goes in by COPY and one UPDATE ... FROM, instead of
    one UPDATE statement a row (executemany there is a round of parse, plan and index work
    per row: most of a first sync's time)."""
    conn.exec_driver_sql(
        "CREATE TEMPORARY TABLE IF NOT EXISTS doc_out (sourced_id varchar(255), "
        "doc_v1p1 bytea, doc_v1p2 bytea, doc_refs text, doc_extra text) ON COMMIT DELETE ROWS")
    write_many(conn, "doc_out", _DOCUMENT_COLUMNS,
               [(d.sourced_id, d.v1p1, d.v1p2, d.refs, d.extra) for d in documents])
    conn.exec_driver_sql(
        f"UPDATE {table} AS t SET doc_v1p1 = d.doc_v1p1, doc_v1p2 = d.doc_v1p2, "
        "doc_refs = d.doc_refs, doc_extra = d.doc_extra FROM doc_out AS d "
        "WHERE t.sourced_id = d.sourced_id")
    conn.exec_driver_sql("DELETE FROM doc_out")


def rebuild_documents(conn: Connection) -> int:
    """Render every row's documents again (after an upgrade that adds or changes them)."""
    marks = DocumentMarks(conn)
    marks.everything()
    return render_marked(conn, marks)


def ensure_documents(engine: Engine) -> int:
    """Bring stored documents up to this release's format: a store migrated from before they
    existed, or rendered by an older release, has every document rendered again (the count;
    0 when they were current). Commands that open the store call this after migrating."""
    with engine.connect() as conn:
        current = _stored_format(conn) == FORMAT_VERSION and not _missing_documents(conn)
        edfi_current = read_mark(conn, EDFI_DOCUMENTS_FORMAT) == edfi_documents.FORMAT_VERSION
    done = 0
    if not current:
        with for_writes(engine).begin() as conn:
            done = rebuild_documents(conn)
            set_mark(conn, DOCUMENTS_FORMAT, FORMAT_VERSION)
            set_mark(conn, EDFI_DOCUMENTS_FORMAT, edfi_documents.FORMAT_VERSION)
    elif not edfi_current:
        with for_writes(engine).begin() as conn:
            marks = DocumentMarks(conn)
            marks.everything_edfi()
            done = render_marked(conn, marks)
            set_mark(conn, EDFI_DOCUMENTS_FORMAT, edfi_documents.FORMAT_VERSION)
    return done


def _stored_format(conn: Connection) -> int | None:
    return read_mark(conn, DOCUMENTS_FORMAT)


def _missing_documents(conn: Connection) -> bool:
    """Whether some row has no documents yet."""
    for family in DOCUMENTED:
        table = ROSTER_TABLES[family]
        if conn.execute(select(func.count()).select_from(
                select(table.c.sourced_id).where(table.c.doc_v1p2.is_(None)).limit(1)
                .subquery())).scalar_one():
            return True
    return False


@lru_cache(maxsize=256)
def _moment(value: datetime | str) -> datetime:
    """A stored date_last_modified as an aware datetime. A run stamps all its rows with one
    time, so this is worked out a few times per run, not once per row (SQLite hands back
    the stored text, PostgreSQL a datetime)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _rows(conn: Connection, family: str, ids: list[str]) -> list[Row]:
    """The rows to render, read through the driver: SQLAlchemy's per-row result processing
    (a datetime parsed for every row) cost more than the query."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    table = ROSTER_TABLES[family].name
    cursor = conn.exec_driver_sql(
        f"SELECT sourced_id, status, date_last_modified, data FROM {table} "
        f"WHERE sourced_id IN ({', '.join([mark] * len(ids))})", tuple(ids))
    loads = orjson.loads
    return [Row(sid, status, _moment(modified), loads(data))
            for sid, status, modified, data in cursor.fetchall()]


def _enrolled_of_roleless(conn: Connection, ids: list[str], related: Related) -> None:
    """What the fallback roles of users holding none are made of (their enrollments' schools,
    else the district)."""
    roleless = [i for i in ids if i not in related.roles]
    if not roleless:
        return
    enrollments = ROSTER_TABLES["enrollments"]
    for e in conn.execute(select(enrollments.c.user_id, enrollments.c.school_id,
                                 enrollments.c.role)
                          .where(enrollments.c.user_id.in_(roleless),
                                 enrollments.c.status == "active")
                          .order_by(enrollments.c.user_id, enrollments.c.school_id,
                                    enrollments.c.sourced_id)):
        related.enrolled.setdefault(e.user_id, []).append((e.school_id, e.role))
    orgs = ROSTER_TABLES["orgs"]
    first = select(orgs.c.sourced_id).where(orgs.c.status == "active") \
        .order_by(orgs.c.sourced_id).limit(1)
    related.district = conn.execute(first.where(orgs.c.type == "district")).scalar() \
        or conn.execute(first).scalar()


def _related(conn: Connection, family: str, ids: list[str]) -> Related:
    related = Related()
    if family == "users":
        roles = ROSTER_TABLES["roles"]
        active = roles.c.status == "active"
        for r in conn.execute(select(roles.c.user_id, roles.c.sourced_id, roles.c.data)
                              .where(roles.c.user_id.in_(ids), active)
                              .order_by(roles.c.user_id, roles.c.sourced_id)):
            related.roles.setdefault(r.user_id, []).append(
                RoleRow(r.sourced_id, orjson.loads(r.data)))
        for r in conn.execute(select(roles.c.student_id, roles.c.user_id, roles.c.sourced_id,
                                     roles.c.data)
                              .where(roles.c.student_id.in_(ids), active)
                              .order_by(roles.c.sourced_id)):
            related.contact_roles.setdefault(r.student_id, []).append(
                (r.user_id, RoleRow(r.sourced_id, orjson.loads(r.data))))
        _enrolled_of_roleless(conn, ids, related)
        profiles = ROSTER_TABLES["userProfiles"]
        for p in conn.execute(select(profiles.c.user_id, profiles.c.sourced_id, profiles.c.data)
                              .where(profiles.c.user_id.in_(ids),
                                     profiles.c.status == "active")
                              .order_by(profiles.c.sourced_id)):
            related.profiles.setdefault(p.user_id, []).append(
                (p.sourced_id, orjson.loads(p.data)))
    elif family in ("orgs", "academicSessions"):
        table = ROSTER_TABLES[family]
        for c in conn.execute(select(table.c.parent_id, table.c.sourced_id)
                              .where(table.c.parent_id.in_(ids), table.c.status == "active")
                              .order_by(table.c.sourced_id)):
            related.children.setdefault(c.parent_id, []).append(c.sourced_id)
    return related


__all__: list[Any] = ["DocumentMarks", "render_marked", "rebuild_documents",
                      "ensure_documents"]

"""Per-run staging tables: validated rows land here before any comparison with the store.

Temporary tables on the run's own connection, so nothing is visible to readers and a killed run
leaves nothing behind. Rows are written in batches (executemany on SQLite, COPY on PostgreSQL).
"""

from __future__ import annotations

from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, Text

from adapters.canonical import FAMILIES
from gateway.model.columns import indexed_column

BATCH = 20000


def staged_fields(family_name: str) -> list:
    """Fields copied into their own staging column: the store's indexed columns, plus every
    scalar reference so the reference check can run in SQL."""
    fam = FAMILIES[family_name]
    return [f for f in fam.fields if f.indexed or f.kind == "ref"]


def _columns_for(family_name: str) -> list[str]:
    return ["line", "file", "sourced_id", "status", "content_hash", "data", "row_digest",
            "held"] + [
        indexed_column(f.name, f.kind) for f in staged_fields(family_name)
    ]


class Staging:
    """The staging tables of one run, and buffered writers into them."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.meta = MetaData()
        self.rows: dict[str, Table] = {}
        self.links: dict[tuple[str, str], Table] = {}
        self.columns: dict[str, list[str]] = {}
        self._buffers: dict[str, list[tuple]] = {}
        for fam in FAMILIES.values():
            cols = _columns_for(fam.name)
            self.columns[fam.name] = cols
            self.rows[fam.name] = Table(
                f"stg_{fam.table}", self.meta,
                Column("line", Integer), Column("file", Text),
                Column("sourced_id", String(255), nullable=False, index=True),
                Column("status", String(16), nullable=False),
                Column("content_hash", String(32), nullable=False),
                Column("data", Text, nullable=False),
                Column("row_digest", String(32)),
                # 1: the row is the store's own, unchanged (gateway.sync.known_rows)
                Column("held", Integer),
                *[Column(c, String(255)) for c in cols[8:]],
                prefixes=["TEMPORARY"],
            )
            for f in fam.linked:
                self.links[(fam.name, f.name)] = Table(
                    f"stg_{fam.table}_{f.name.lower()}", self.meta,
                    Column("owner_id", String(255), index=True),
                    Column("position", Integer),
                    Column("target_id", String(255)),
                    prefixes=["TEMPORARY"],
                )
        # Rows rejected in this run, with where they were (so that a row pointing at one can
        # name it) and, for a role, its user (a user left without any role is rejected too).
        self.rejects = Table(
            "stg_rejects", self.meta,
            Column("family", String(64)), Column("sourced_id", Text),
            Column("file", Text), Column("line", Integer), Column("user_id", Text),
            prefixes=["TEMPORARY"],
        )
        self.meta.create_all(conn)

    # -- writing -----------------------------------------------------------------------------
    def add_row(self, family: str, row: tuple) -> None:
        self._push(f"rows:{family}", row)

    def add_link(self, family: str, field: str, owner: str, position: int, target: str) -> None:
        self._push(f"link:{family}:{field}", (owner, position, target))

    def add_reject(self, family: str, sourced_id: str, file: str | None = None,
                   line: int | None = None, user: str | None = None) -> None:
        self._push("rejects", (family, sourced_id, file, line, user))

    def _push(self, key: str, row: tuple) -> None:
        buffer = self._buffers.setdefault(key, [])
        buffer.append(row)
        if len(buffer) >= BATCH:
            self._flush(key)

    def flush(self) -> None:
        for key in list(self._buffers):
            self._flush(key)

    def _flush(self, key: str) -> None:
        rows = self._buffers.pop(key, [])
        if not rows:
            return
        kind, _, rest = key.partition(":")
        if kind == "rows":
            table, cols = self.rows[rest], self.columns[rest]
        elif kind == "link":
            family, field = rest.split(":")
            table, cols = self.links[(family, field)], ["owner_id", "position", "target_id"]
        else:
            table, cols = self.rejects, ["family", "sourced_id", "file", "line", "user_id"]
        write_many(self.conn, table.name, cols, rows)

    def drop(self) -> None:
        self.meta.drop_all(self.conn)


def write_many(conn: Connection, table: str, columns: list[str], rows: list[tuple]) -> None:
    """Bulk insert without per-row SQLAlchemy overhead: COPY on PostgreSQL, executemany else."""
    if conn.dialect.name == "postgresql":
        raw = conn.connection.dbapi_connection
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

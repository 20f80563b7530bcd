"""A byte-for-byte picture of the store, to prove that a refused run changed nothing.

The run log (`sync_runs`, `run_issues`) is left out on purpose: recording every attempt,
refused or not, is its job. Every other table is compared, change counter included.
"""

from __future__ import annotations

from sqlalchemy import Engine, MetaData, select

RUN_LOG = frozenset({"sync_runs", "run_issues"})


def store_snapshot(engine: Engine) -> dict[str, list[tuple]]:
    """Every table but the run log, as rows sorted by their printed form (so that row order,
    which the database does not promise, cannot make two equal stores look different)."""
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as conn:
        return {
            name: sorted((tuple(row) for row in conn.execute(select(table))), key=repr)
            for name, table in sorted(metadata.tables.items()) if name not in RUN_LOG
        }

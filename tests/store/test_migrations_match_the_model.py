"""The migrations build exactly the schema the model declares: several changes add tables and
columns at once, and a store upgraded from an older release must end where a fresh one does."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from gateway.model import metadata


def test_a_migrated_store_has_every_table_column_and_index_the_model_declares(engine):
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    assert differences == []

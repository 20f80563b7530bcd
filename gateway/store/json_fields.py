"""SQL expressions over a row's canonical JSON document (`data`), on SQLite and PostgreSQL.

The store keeps canonical fields as JSON text; filters on fields that have no indexed column
read them here. Each construct compiles to the dialect's own JSON functions and always yields
text (booleans as 'true'/'false'), so the OneRoster filter compares like with like.
"""

from __future__ import annotations

from sqlalchemy import Boolean, ColumnElement, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement


def _key(key: str) -> str:
    if not key.isidentifier():
        raise ValueError(f"not a field name: {key!r}")
    return key


class json_text(FunctionElement):
    """The text value of a scalar field (NULL when absent)."""

    type = String()
    inherit_cache = True
    name = "json_text"

    def __init__(self, column: ColumnElement, key: str) -> None:
        self.key = _key(key)
        super().__init__(column)


@compiles(json_text, "sqlite")
def _json_text_sqlite(element, compiler, **kw):  # noqa: ANN001, ANN202
    column = compiler.process(list(element.clauses)[0], **kw)
    path = f"'$.{element.key}'"
    return (f"CASE json_type({column}, {path}) WHEN 'true' THEN 'true' "
            f"WHEN 'false' THEN 'false' ELSE CAST(json_extract({column}, {path}) AS TEXT) END")


@compiles(json_text, "postgresql")
def _json_text_pg(element, compiler, **kw):  # noqa: ANN001, ANN202
    column = compiler.process(list(element.clauses)[0], **kw)
    return f"(CAST({column} AS JSONB) ->> '{element.key}')"


class json_list_contains(FunctionElement):
    """True when the list field `key` has an element equal to `value`."""

    type = Boolean()
    inherit_cache = True
    name = "json_list_contains"

    def __init__(self, column: ColumnElement, key: str, value: ColumnElement) -> None:
        self.key = _key(key)
        super().__init__(column, value)


@compiles(json_list_contains, "sqlite")
def _contains_sqlite(element, compiler, **kw):  # noqa: ANN001, ANN202
    column, value = (compiler.process(c, **kw) for c in element.clauses)
    return (f"EXISTS (SELECT 1 FROM json_each({column}, '$.{element.key}') "
            f"WHERE json_each.value = {value})")


@compiles(json_list_contains, "postgresql")
def _contains_pg(element, compiler, **kw):  # noqa: ANN001, ANN202
    column, value = (compiler.process(c, **kw) for c in element.clauses)
    return (f"(COALESCE(CAST({column} AS JSONB) -> '{element.key}', '[]'::jsonb) "
            f"@> jsonb_build_array(CAST({value} AS TEXT)))")

"""Column names derived from canonical field names, shared by the store and the sync engine."""

import re

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def snake(name: str) -> str:
    return _CAMEL.sub("_", name).lower()


def indexed_column(field_name: str, kind: str) -> str:
    """`class` (ref) -> `class_id`; `role` (enum) -> `role`."""
    return f"{snake(field_name)}_id" if kind == "ref" else snake(field_name)


def link_table_name(table: str, field_name: str) -> str:
    return f"{table}_{snake(field_name)}"

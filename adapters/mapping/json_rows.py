"""A JSON record seen as a mapping row: a column is a JMESPath path into the record.

`givenName`, `primaryOrg.sourcedId` and `terms[].sourcedId` read like column names in a
connector's mapping; JMESPath (the language AWS and Azure CLIs use for the same job) gives
projections over lists and filters (`roles[?roleType=='primary'].org.sourcedId | [0]`) without
a language of our own. Paths are compiled once, when the connector loads.

Inside an entity with `each`, `item` names the list item being mapped and every other path
still reads the record around it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError
from jmespath.parser import ParsedResult

ITEM = "item"


class PathError(ValueError):
    pass


@lru_cache(maxsize=4096)
def compile_path(path: str) -> ParsedResult:
    try:
        return jmespath.compile(path)
    except JMESPathError as exc:
        raise PathError(f"{path!r} is not a JMESPath path: {exc}") from None


def path_problem(path: str) -> str | None:
    """Why `path` cannot be used as a column of a JSON record, or None."""
    try:
        compile_path(path)
    except PathError as exc:
        return str(exc)
    return None


def search(path: str, data: Any) -> Any:
    return compile_path(path).search(data)


class JsonRow(Mapping[str, Any]):
    """The values of one record (and, with `each`, of one item inside it) by path. A path that
    finds nothing, or finds null, is absent: `get` answers the default, as for a blank cell."""

    __slots__ = ("record", "_scope")

    def __init__(self, record: Any, item: Any = None, *, has_item: bool = False) -> None:
        self.record = record
        if has_item and isinstance(record, dict):
            self._scope: Any = {**record, ITEM: item}
        else:
            self._scope = record

    def __getitem__(self, path: str) -> Any:
        found = compile_path(path).search(self._scope)
        if found is None:
            raise KeyError(path)
        return found

    def get(self, path: str, default: Any = None) -> Any:  # type: ignore[override]
        found = compile_path(path).search(self._scope)
        return default if found is None else found

    def __iter__(self) -> Iterator[str]:
        return iter(self._scope if isinstance(self._scope, dict) else ())

    def __len__(self) -> int:
        return len(self._scope) if isinstance(self._scope, dict) else 0

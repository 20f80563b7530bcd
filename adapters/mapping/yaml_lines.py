"""Loads a YAML document together with the line and column of every key and value.

PyYAML forgets where things came from once it builds Python objects, yet a district can only
fix a mapping if we name the line. So we compose the node tree ourselves, build the data from
it and keep a map from each document path (`("entities", 3, "fields", "sex")`) to its marks.

Keys are always kept as the text written: YAML 1.1 would turn a value-map key such as `ON`,
`yes` or `0` into a boolean or a number, and codes in an export are text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]


@dataclass
class LineMap:
    """Where each path of the document was written (1-based line and column)."""

    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: Path, *, key: bool = False) -> tuple[int, int] | None:
        """The mark of `path`, or of its nearest ancestor that was written down."""
        probe = tuple(path)
        if key and probe in self.keys:
            return self.keys[probe]
        while probe:
            if probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), None)


class YamlProblem(Exception):
    def __init__(self, message: str, line: int | None, column: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    def __init__(self, loader: yaml.SafeLoader) -> None:
        self.loader = loader
        self.lines = LineMap()
        self.duplicates: list[YamlProblem] = []

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.lines.values[path] = _mark(node)
        if isinstance(node, yaml.MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else None
                if key is None:
                    line, column = _mark(key_node)
                    raise YamlProblem("keys must be plain text", line, column)
                if key in result:
                    first = self.lines.keys[path + (key,)]
                    line, column = _mark(key_node)
                    message = f"duplicate key {key!r} (first at line {first[0]})"
                    self.duplicates.append(YamlProblem(message, line, column))
                    continue
                self.lines.keys[path + (key,)] = _mark(key_node)
                result[key] = self.build(value_node, path + (key,))
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        return self.loader.construct_object(node, deep=True)


def load_with_lines(text: str) -> tuple[Any, LineMap]:
    """Parse `text`; raise YamlProblem (with its line) for a syntax error or a duplicate key."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        raise YamlProblem(f"not valid YAML: {exc.problem or exc.context}", line, column) from None
    finally:
        loader.dispose()
    if node is None:
        return None, LineMap()
    builder = _Builder(loader)
    data = builder.build(node, ())
    if builder.duplicates:
        raise builder.duplicates[0]
    return data, builder.lines


def render_path(path: Path) -> str:
    """`("entities", 3, "fields", "sex")` -> `entities[3].fields.sex`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text

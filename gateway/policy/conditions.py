"""A parsed filter, as the read engine takes it from any query language.

OneRoster's `filter` parses into these nodes directly (field paths in the wire's names, which
the field policy resolves); other query languages (Ed-Fi query by example) build the same
tree. The engine compiles it to one parenthesised SQL condition ANDed after the policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias


@dataclass(frozen=True)
class Comparison:
    field: str
    op: str
    value: str


@dataclass(frozen=True)
class Logical:
    op: Literal["AND", "OR"]
    left: Node
    right: Node


Node: TypeAlias = Comparison | Logical

"""The adapter protocol: what every source plugin provides.

An adapter is constructed from the options district IT writes in `gateway.toml` and streams
events (`adapters.records`). It reads files or services and never touches the store; the sync
engine validates, stages, diffs and applies. Options are declared so that `gateway adapters` and
`gateway sources check` can list and check them without running anything.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

from adapters.records import Event


@dataclass(frozen=True, slots=True)
class Option:
    """One configuration option of an adapter, as `gateway adapters` shows it."""

    name: str
    help: str
    required: bool = False
    default: Any = None
    secret: bool = False  # given as the *name* of an environment variable, never inline


class OptionError(ValueError):
    """A source's options are wrong; the message names the option and what is expected."""


@runtime_checkable
class Adapter(Protocol):
    name: ClassVar[str]
    description: ClassVar[str]
    options: ClassVar[tuple[Option, ...]]

    def __init__(self, **options: Any) -> None: ...

    def check(self) -> list[str]:
        """Problems found without reading data (missing path, bad mapping); empty when fine."""
        ...

    def read(self) -> Iterator[Event]:
        """Stream the source as events: FamilyMode before a family's records, then Records,
        Issues and DroppedColumns in file order."""
        ...


def resolve_options(
    adapter: type[Adapter], given: Mapping[str, Any], environ: Mapping[str, str]
) -> dict[str, Any]:
    """Fill defaults, reject unknown options and read secrets from the named env variables."""
    known = {o.name: o for o in adapter.options}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise OptionError(
            f"{adapter.name}: unknown option(s) {', '.join(unknown)}; "
            f"known: {', '.join(known) or 'none'}"
        )
    resolved: dict[str, Any] = {}
    for option in adapter.options:
        if option.name not in given:
            if option.required:
                raise OptionError(f"{adapter.name}: option {option.name!r} is required")
            resolved[option.name] = option.default
            continue
        value = given[option.name]
        if option.secret:
            if value not in environ:
                raise OptionError(
                    f"{adapter.name}: option {option.name!r} names environment variable "
                    f"{value!r}, which is not set"
                )
            value = environ[value]
        resolved[option.name] = value
    return resolved

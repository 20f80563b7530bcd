"""Finds adapters through the `gateway.adapters` entry point group, so a district can install a
third-party adapter with pip and name it in `gateway.toml` without touching this code."""

from __future__ import annotations

from importlib.metadata import entry_points

from adapters.base import Adapter

GROUP = "gateway.adapters"


class UnknownAdapter(LookupError):
    pass


def available() -> dict[str, type[Adapter]]:
    """Installed adapters by name, loaded lazily only when asked for."""
    found: dict[str, type[Adapter]] = {}
    for ep in entry_points(group=GROUP):
        found[ep.name] = ep.load()
    return dict(sorted(found.items()))


def load(name: str) -> type[Adapter]:
    for ep in entry_points(group=GROUP, name=name):
        return ep.load()
    known = ", ".join(ep.name for ep in entry_points(group=GROUP)) or "none installed"
    raise UnknownAdapter(f"no adapter named {name!r}; installed: {known}")

"""Configured sources as the CLI and the console use them: build one's adapter from its
options (secrets from the environment), and check it without importing anything."""

from __future__ import annotations

import os
from typing import Any

from adapters import registry
from adapters.base import OptionError, resolve_options
from gateway.config import ConfigError, Settings, SourceConfig

SOURCE_ERRORS = (OptionError, registry.UnknownAdapter, ConfigError)


def build_adapter(settings: Settings, name: str) -> tuple[SourceConfig, Any]:
    """The source's configuration and its adapter, ready to `check()` and `read()`; raises
    one of SOURCE_ERRORS with a message naming what is wrong."""
    source = settings.source(name)
    adapter_cls = registry.load(source.adapter)
    options = resolve_options(adapter_cls, source.options, os.environ)
    return source, adapter_cls(**options)


def check_source(settings: Settings, name: str) -> list[str]:
    """What is wrong with the source's adapter, options and mapping (empty: nothing)."""
    try:
        _source, adapter = build_adapter(settings, name)
        return list(adapter.check())
    except SOURCE_ERRORS as exc:
        return [str(exc)]

"""Opening the store for a command or the app: engine, and the schema brought up to date."""

from __future__ import annotations

from sqlalchemy import Engine

from gateway.config import Settings
from gateway.store.engine import make_engine
from gateway.store.migrate import upgrade


def open_store(settings: Settings, *, migrate: bool = True) -> Engine:
    engine = make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    return engine

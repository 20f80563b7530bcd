"""Objects the app holds for its lifetime: the store engine (created lazily, once per
process, so gunicorn workers each open their own pool after forking)."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import Engine

from gateway.config import Settings
from gateway.store.engine import make_engine


class Store:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.settings.database_url)
        return self._engine


def store_engine() -> Engine:
    return current_app.extensions["gateway.store"].engine

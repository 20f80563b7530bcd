"""Engine and session setup, migrations, and typed queries over the canonical store."""

from gateway.store.engine import make_engine
from gateway.store.migrate import upgrade

__all__ = ["make_engine", "upgrade"]

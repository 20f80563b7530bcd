"""The disclosure log as a parent's report reads it, in tests that call the API in-process."""

from __future__ import annotations

from flask import Flask


def settle(app: Flask) -> None:
    """Move what the app's responses spooled into the store, indexed by student (a report
    does the same before it reads)."""
    app.extensions["gateway.disclosures"].settle()

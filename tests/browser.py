"""Debian's headless Chromium driven by playwright, for the tests that need a real browser (the
console, the relayed LTI launch). Playwright's own browser downloads are never used: `make test`
installs Debian's chromium where it can, and without it these tests are skipped with the reason."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")


@contextmanager
def headless_chromium() -> Iterator[Any]:
    """A launched browser (each test opens its own context in it), closed on exit."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.is_file():
        pytest.skip("Debian's chromium is not installed and `make test` could not install it "
                    "(apt-get install chromium needs root)")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()

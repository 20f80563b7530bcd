"""The official standards documents, for tests that compare the gateway with them.

They are not part of the project: CI keeps them beside the checkout, in
`../shared/standards/` (resolved from the repository root). Where they are absent, a test that
needs one skips and says which file it looked for.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
STANDARDS = ROOT.parent / "shared" / "standards"
EDFI_RESOURCES = STANDARDS / "edfi" / "openapi" / "resources-ds-5.0.yaml"


def require(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"the official document {path} is not there (CI keeps ../shared/standards "
                    "beside the checkout)")
    return path


@cache
def _load(path: Path) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)  # noqa: S506 - a safe loader


def official_edfi_resources() -> dict[str, Any]:
    """The Ed-Fi DS 5.0 resources OpenAPI (skips the test when it is absent)."""
    return _load(require(EDFI_RESOURCES))

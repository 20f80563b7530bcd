"""Where the machine-readable wire specs live (`specs/` at the project root), for serving them
and for deriving routes and scopes from them."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

SPECS_DIR = Path(__file__).resolve().parent.parent / "specs"


@cache
def load_json(relative: str) -> dict[str, Any]:
    return json.loads((SPECS_DIR / relative).read_text(encoding="utf-8"))

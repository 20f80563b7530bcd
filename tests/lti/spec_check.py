"""Responses checked against the LTI wire formats in specs/lti/ (JSON Schema 2020-12, with
`format` checked: uri, date-time)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

SPECS = Path(__file__).resolve().parents[2] / "specs" / "lti"


@cache
def validator(name: str) -> Draft202012Validator:
    schema = json.loads((SPECS / f"{name}.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def check(name: str, instance: Any) -> None:
    errors = sorted(validator(name).iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]

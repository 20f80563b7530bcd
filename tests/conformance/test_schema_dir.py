"""`--schema-dir`: the suite also validates responses against official OpenAPI documents a user
keeps in a folder. Here the folder holds a OneRoster 1.2 Rostering document made from the facts
recorded of the official one (specs/oneroster/v1p2/official-rostering-facts.json); a server
leaving out what that document requires fails, and without the option the case says what it
needs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.official import OfficialDocuments
from conformance.outcome import FAILED, PASSED, SKIPPED
from gateway.specs import SPECS_DIR
from tests.oneroster.official_facts import envelope, error_schema, facts

from .conftest import RunSuite

CASE = "oneroster.rostering.official-schema"


def _rostering_document() -> dict[str, Any]:
    """An OpenAPI 3.0 document shaped like the official Rostering one: the same paths and, per
    response, the envelope the facts describe."""
    ours = json.loads((SPECS_DIR / "oneroster/v1p2/rostering.openapi.json").read_text(
        encoding="utf-8"))
    paths: dict[str, Any] = {}
    for template, item in ours["paths"].items():
        ref = item["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        name = ref.split("/")[-1]
        single = name.startswith("Single")
        entity = name.removeprefix("Single").removesuffix("Set")
        key = facts()["entities"][entity]["single" if single else "collection"]
        paths[template] = {"get": {"responses": {
            "200": {"description": "ok", "content": {"application/json": {
                "schema": envelope(key, single)[1]}}},
            "default": {"description": "error", "content": {"application/json": {
                "schema": error_schema()}}}}}}
    return {"openapi": "3.0.0", "info": {"title": "rostering", "version": "1.2"},
            "servers": [{"url": "https://example.test/ims/oneroster/rostering/v1p2"}],
            "paths": paths}


@pytest.fixture
def schema_dir(tmp_path: Path) -> Path:
    (tmp_path / "rostering.json").write_text(json.dumps(_rostering_document()))
    (tmp_path / "notes.txt").write_text("not a document")
    return tmp_path


def test_a_correct_server_passes_against_the_official_document(run_oneroster: RunSuite,
                                                               schema_dir: Path) -> None:
    results = run_oneroster(only="oneroster.rostering.*", schema_dir=schema_dir)
    assert results[CASE].status == PASSED, results[CASE].message
    assert not [cid for cid, r in results.items() if r.status == FAILED]


def test_a_server_leaving_out_a_required_identifier_fails_the_official_case(
        run_oneroster: RunSuite, schema_dir: Path) -> None:
    results = run_oneroster({"org-without-identifier"}, only=CASE, schema_dir=schema_dir)
    assert results[CASE].status == FAILED
    assert "'identifier' is a required property" in results[CASE].message


def test_the_official_case_says_it_needs_the_option(run_oneroster: RunSuite) -> None:
    results = run_oneroster(only=CASE)
    assert results[CASE].status == SKIPPED and "--schema-dir" in results[CASE].message


def test_documents_are_found_by_method_and_path_behind_any_prefix(schema_dir: Path) -> None:
    official = OfficialDocuments.load(schema_dir)
    assert official.names() == ["rostering.json"]
    found = official.operation("GET", "https://gw.example/x/ims/oneroster/rostering/v1p2/orgs")
    assert found is not None and found[1] == "/orgs"
    assert official.operation("GET", "https://gw.example/data/v3/ed-fi/schools") is None

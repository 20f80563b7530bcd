"""The conformance suite's Ed-Fi cases against the gateway, served on a loopback port with the
two-school district and an app granted Ed-Fi access, with --write: the write cases POST, PUT and
DELETE gradeLevelDescriptors in a district namespace, which the gateway stores beside the
crosswalk's read-only values. With --schema-dir pointing at the official Ed-Fi OpenAPI files
(../shared/standards/edfi/openapi, where present) every served resource and descriptor is also
validated against them."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.auth.registry import register_app
from gateway.config import SourceConfig
from gateway.policy.agreement import parse_agreement
from gateway.store import make_engine
from gateway.sync.runner import run_sync
from tests.oneroster.district import two_schools
from tests.served import conformance, served_gateway
from tests.standards import EDFI_RESOURCES

pytestmark = pytest.mark.slow


def test_the_served_district_passes_the_edfi_cases(tmp_path: Path, database_url: str):
    engine = make_engine(database_url)
    assert run_sync(engine, SourceConfig(name="sis", adapter="test"), iter(two_schools()),
                    adapter_name="test").state == "applied"
    creds = register_app(engine, "edfi", parse_agreement({
        "name": "edfi", "purpose": "instruction", "expires": "2099-12-31",
        "scopes": ["edfi.readonly", "edfi.write"],
        # the conformance cases write descriptor values in their own namespace
        "descriptor_namespaces": ["uri://conformance.example"]}))
    engine.dispose()
    official = EDFI_RESOURCES.parent
    schema_dir = ["--schema-dir", str(official)] if official.is_dir() else []
    with served_gateway(database_url, tmp_path) as url:
        result = conformance(
            "edfi", "--write", "--base-url", url, "--token-url", f"{url}/oauth/token",
            "--client-id", creds.client_id, "--client-secret", creds.client_secret,
            *schema_dir, timeout=300)
    print(result.stdout)
    assert result.returncode == 0, result.stdout[-4000:]
    assert "FAIL " not in result.stdout, result.stdout[-4000:]
    for case in ("edfi.write.upsert-round-trip", "edfi.write.etag-if-match"):
        line = next(ln for ln in result.stdout.splitlines() if case in ln)
        assert "PASS" in line, line
    line = next(ln for ln in result.stdout.splitlines() if "edfi.read.official-schema" in ln)
    assert ("PASS" if schema_dir else "SKIP") in line, line

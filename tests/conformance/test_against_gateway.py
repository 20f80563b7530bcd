"""The conformance suite against the gateway itself: the demo district, served on a loopback
port by `gateway serve`, must pass every OneRoster case (1.1 and 1.2, writes and privacy
probes) and the OAuth2 cases. The Ed-Fi cases run in tests/edfi/test_conformance_suite.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.auth.registry import register_app
from gateway.config import SourceConfig
from gateway.demo import write_demo
from gateway.model import ROSTER_TABLES
from gateway.policy.agreement import parse_agreement
from gateway.policy.optouts import add_optout
from gateway.store import make_engine
from gateway.sync.runner import run_sync
from tests.served import conformance, served_gateway

pytestmark = pytest.mark.slow
SCOPES = ["roster-core.readonly", "roster.readonly", "roster-demographics.readonly",
          "gradebook.readonly", "gradebook-core.readonly", "gradebook.createput",
          "gradebook.createpost", "gradebook.delete", "resource.readonly",
          "resource-core.readonly"]


@pytest.fixture
def served_demo(tmp_path: Path, database_url: str):
    from adapters.oneroster_csv import OneRosterCsvAdapter

    write_demo(tmp_path / "demo", students=300, seed=3, format="oneroster-csv")
    engine = make_engine(database_url)
    report = run_sync(engine, SourceConfig(name="demo", adapter="oneroster-csv"),
                      OneRosterCsvAdapter(path=str(tmp_path / "demo")).read(),
                      adapter_name="oneroster-csv")
    assert report.state == "applied"
    orgs = ROSTER_TABLES["orgs"]
    roles = ROSTER_TABLES["roles"]
    with engine.connect() as conn:
        schools = conn.execute(select(orgs.c.sourced_id).where(orgs.c.type == "school")
                               .order_by(orgs.c.sourced_id)).scalars().all()
        student = conn.execute(select(roles.c.user_id).where(
            roles.c.role == "student", roles.c.org_id == schools[0])
            .order_by(roles.c.user_id)).scalars().first()
    base = {"purpose": "instruction", "expires": "2099-12-31", "scopes": SCOPES,
            "sensitive": ["demographics", "birth_date", "contact", "identifiers"]}
    full = register_app(engine, "conformance", parse_agreement({**base, "name": "full"}))
    scoped = register_app(engine, "scoped", parse_agreement(
        {**base, "name": "scoped", "schools": [schools[0]]}))
    other = register_app(engine, "other", parse_agreement({**base, "name": "other"}))
    add_optout(engine, student, scoped.client_id)
    engine.dispose()
    with served_gateway(database_url, tmp_path) as url:
        yield {"url": url, "full": full, "scoped": scoped, "other": other,
               "student": student, "forbidden_school": schools[-1], "tmp": tmp_path}


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_the_served_demo_district_passes_the_oneroster_suite(served_demo, version):
    demo = served_demo
    junit, html = demo["tmp"] / f"or{version}.xml", demo["tmp"] / f"or{version}.html"
    common = ["--base-url", demo["url"], "--token-url", f"{demo['url']}/oauth/token",
              "--version", version, "--max-pages", "10", "--page-limit", "200"]
    full = conformance("oneroster", *common, "--client-id", demo["full"].client_id,
                        "--client-secret", demo["full"].client_secret, "--write",
                        "--junit", str(junit), "--html", str(html))
    assert full.returncode == 0, full.stdout[-4000:]
    assert "conformant to every case run" in full.stdout.lower(), full.stdout[-2000:]
    assert "FAIL " not in full.stdout
    assert junit.read_text().startswith("<?xml") and "<html" in html.read_text().lower()
    probes = conformance(
        "oneroster", *common, "--client-id", demo["scoped"].client_id,
        "--client-secret", demo["scoped"].client_secret, "--only", "oneroster.privacy.*",
        "--opted-out-student", demo["student"], "--forbidden-school", demo["forbidden_school"],
        "--other-client-id", demo["other"].client_id,
        "--other-client-secret", demo["other"].client_secret,
        "--revocation-url", f"{demo['url']}/oauth/revoke")
    assert probes.returncode == 0, probes.stdout[-4000:]
    ran = [line for line in probes.stdout.splitlines() if "oneroster.privacy." in line]
    assert ran and all(line.startswith("PASS") for line in ran), probes.stdout[-3000:]


def test_the_served_gateway_passes_the_oauth_suite(served_demo):
    demo = served_demo
    result = conformance(
        "oauth", "--base-url", demo["url"], "--token-url", f"{demo['url']}/oauth/token",
        "--client-id", demo["full"].client_id, "--client-secret", demo["full"].client_secret,
        "--scope", "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly "
        "https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.readonly",
        "--introspection-url", f"{demo['url']}/oauth/introspect",
        "--revocation-url", f"{demo['url']}/oauth/revoke",
        "--resource-url", f"{demo['url']}/ims/oneroster/rostering/v1p2/orgs")
    assert result.returncode == 0, result.stdout[-4000:]

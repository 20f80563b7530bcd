"""The console and the public pages in a real browser: Debian's headless Chromium, driven by
playwright, against the gateway served by gunicorn on a loopback port. An administrator signs
in, registers an app under an agreement, runs a sync and watches it finish, opts a student out
and sees the student vanish from the app's OneRoster read (real HTTP, real token), and
produces a parent report; a parent uses the public pages; session cookies stay out of scripts'
reach.

With GATEWAY_SCREENSHOTS=folder (`make screenshots`) each main page is also saved as a PNG."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from gateway.policy.parent_requests import issue_code
from gateway.store import make_engine
from tests.admin.conftest import ADMIN
from tests.browser import headless_chromium
from tests.served import served_gateway

FIXTURE = Path("adapters/oneroster_csv/fixtures/v1p2_bulk")
SHOTS = os.environ.get("GATEWAY_SCREENSHOTS")
USERS = "/ims/oneroster/rostering/v1p2/users?limit=1000"



@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """One headless Chromium for the whole session (each test gets its own context)."""
    with headless_chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def served(district_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """The district (two schools, an administrator) served with a OneRoster CSV source."""
    work = tmp_path_factory.mktemp("served")
    store = work / "store.db"
    shutil.copy(district_template, store)
    shutil.copytree(FIXTURE, work / "maple")
    url = f"sqlite:///{store}"
    config = (f'[sources.maple]\nadapter = "oneroster-csv"\n'
              f'options = {{ path = "{work / "maple"}" }}\nmax_error_share = 0.5\n')
    with served_gateway(url, work, config=config) as base:
        yield {"base": base, "database_url": url}


@pytest.fixture
def page(chromium) -> Iterator[object]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _shot(page, name: str) -> None:  # noqa: ANN001
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _sign_in(page, base: str) -> None:  # noqa: ANN001
    page.goto(f"{base}/console/")
    assert page.url.startswith(f"{base}/console/sign-in")
    _shot(page, "01-sign-in")
    page.fill("input[name=username]", ADMIN[0])
    page.fill("input[name=password]", ADMIN[1])
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/console/")


def _token(base: str, client_id: str, secret: str) -> str:
    response = requests.post(f"{base}/oauth/token", data={"grant_type": "client_credentials"},
                             auth=(client_id, secret), timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def _students(base: str, token: str) -> set[str]:
    response = requests.get(base + USERS, headers={"Authorization": f"Bearer {token}"},
                            timeout=10)
    assert response.status_code == 200, response.text
    return {u["sourcedId"] for u in response.json()["users"]}


def test_an_administrator_registers_syncs_opts_a_student_out_and_reports(page, served):
    base = served["base"]
    _sign_in(page, base)
    assert page.inner_text("h1") == "Overview"
    _shot(page, "02-overview")

    # register an app under an agreement
    page.click("text=Apps & agreements")
    page.click("text=Register an app")
    page.fill("input[name=app_name]", "Math Quest")
    page.fill("input[name=agreement_name]", "Math Quest DPA 2026")
    page.select_option("select[name=purpose]", "instruction")
    page.check("input[name=scopes][value='roster-core.readonly']")
    page.check("input[name=scopes][value='roster.readonly']")
    assert not page.is_checked("input[name=sensitive][value=contact]")
    _shot(page, "03-agreement-form")
    page.click("button:has-text('Register')")
    client_id = page.inner_text("#client-id")
    secret = page.inner_text("#client-secret")
    _shot(page, "04-credentials-shown-once")

    # run a sync and watch it finish
    page.goto(f"{base}/console/sources")
    page.click("form[action='/console/sources/maple/sync'] >> text=Sync now")
    page.wait_for_selector("#job-state:not(.reading):not(.starting)", timeout=60_000)
    assert page.inner_text("#job-state") == "applied", page.inner_text("main")
    assert re.search(r"\d+ rows read", page.inner_text("#job-rows"))
    _shot(page, "05-sync-finished")
    page.goto(f"{base}/console/sources")
    _shot(page, "06-sources")

    # opt a student out: the app's real OneRoster read loses them at once
    token = _token(base, client_id, secret)
    assert "stu-a1" in _students(base, token)
    page.goto(f"{base}/console/optouts")
    page.fill("input[name=q]", "Ana")
    page.click("button:has-text('Find')")
    page.click("a:has-text('Ana Pupila') >> nth=0")
    page.select_option("select[name=app]", label="Math Quest")
    page.click("button:has-text('Opt out')")
    assert "Opted out." in page.inner_text("main")
    _shot(page, "07-optouts")
    students = _students(base, token)
    assert "stu-a1" not in students and "stu-a2" in students

    # a parent report with the app, the agreement, the purpose and the fields
    page.goto(f"{base}/console/reports/parent?student=stu-a2")
    table = page.inner_text("#report-apps")
    assert "Math Quest" in table and "Math Quest DPA 2026" in table
    assert "instruction" in table and "users.givenName" in table
    assert page.locator("svg.timeline line[stroke-width]").count() >= 2
    assert page.inner_text("#student-name") == "Ben Pupila"
    _shot(page, "08-parent-report")
    with page.expect_download() as download:
        page.click("text=Download PDF")
    assert download.value.suggested_filename == "disclosures-stu-a2.pdf"
    page.goto(f"{base}/console/disclosures?student=stu-a2")
    assert "intact" in page.inner_text("#chain")
    _shot(page, "09-disclosures")
    page.goto(f"{base}/console/apps")
    _shot(page, "10-apps")
    page.goto(f"{base}/console/audit")
    audit = page.inner_text("main")
    assert "app.register" in audit and "staff:ada" in audit, audit
    _shot(page, "11-audit")


def test_a_parent_reads_the_transparency_page_and_opts_a_child_out(page, served):
    base = served["base"]
    engine = make_engine(served["database_url"])
    code = issue_code(engine, "stu-b3", actor="test")
    engine.dispose()
    page.goto(f"{base}/privacy/")
    _shot(page, "12-public-transparency")
    page.click("text=opt a student out")
    page.fill("input[name=code]", code)
    page.click("button:has-text('Send request')")
    assert "no longer receives" in page.inner_text("#outcome")
    _shot(page, "13-public-opt-out")
    page.fill("input[name=code]", "WRNG-CODE-AAAA-BBBB")
    page.click("button:has-text('Send request')")
    assert "not one the district issued" in page.inner_text("#error")


def test_the_session_cookie_is_out_of_scripts_reach_and_rotated_at_sign_in(page, served):
    base = served["base"]
    page.goto(f"{base}/console/sign-in")
    before = {c["name"]: c for c in page.context.cookies()}["gateway_console"]
    assert page.evaluate("document.cookie") == ""
    _sign_in(page, base)
    after = {c["name"]: c for c in page.context.cookies()}["gateway_console"]
    assert after["value"] != before["value"]
    assert after["httpOnly"] and after["sameSite"] == "Lax"

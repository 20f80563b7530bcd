"""Sources in the console: check one, dry-run it (the diff, nothing applied), run a sync and
watch it finish, and read the run's rejected rows on its page and as CSV."""

from __future__ import annotations

import csv
import io
import shutil
import time
from pathlib import Path

import pytest

from gateway.app import create_app
from tests.admin.conftest import Browser, District

FIXTURE = Path("adapters/oneroster_csv/fixtures/v1p2_bulk")


@pytest.fixture
def with_source(district: District, tmp_path: Path) -> District:
    """The console of a gateway whose source `maple` is a OneRoster CSV export with one bad
    row (a user whose enabledUser is not a boolean), allowed to apply the rest."""
    folder = tmp_path / "maple"
    shutil.copytree(FIXTURE, folder)
    users = folder / "users.csv"
    lines = users.read_text().splitlines()
    lines.append("user-broken,,,perhaps,broken,,Bro,Ken,,,,,,,,,,,,,org-school-1,")
    users.write_text("\n".join(lines) + "\n")
    app = create_app({"database_url": district.database_url, "var_dir": str(tmp_path),
                      "sources": {"maple": {"adapter": "oneroster-csv",
                                            "options": {"path": str(folder)},
                                            "max_error_share": 0.5}}})
    app.config["TESTING"] = True
    return District(app, district.engine, district.database_url)


def _follow(admin: Browser, response) -> str:  # noqa: ANN001
    """Watch the job page as a browser does (it refreshes itself) until the run is done."""
    assert response.status_code == 303, response.get_data(as_text=True)
    location = response.headers["Location"]
    deadline = time.monotonic() + 60
    while True:
        page = admin.get(location).get_data(as_text=True)
        if 'http-equiv="refresh"' not in page:
            return page
        assert time.monotonic() < deadline, page
        time.sleep(0.2)


def test_a_dry_run_shows_the_diff_and_a_sync_applies_it_with_its_rejected_rows(with_source):
    admin = with_source.browser()
    checked = admin.post("/console/sources/maple/check", follow_redirects=True)
    assert "in order" in checked.get_data(as_text=True)
    dry = _follow(admin, admin.post("/console/sources/maple/sync", {"mode": "dry-run"}))
    assert 'class="state dry-run"' in dry and "What would change" in dry
    assert "inserted users: " in dry and "user-s-1" in dry
    assert "user-s-1" not in admin.get("/console/optouts?q=jordan").get_data(as_text=True)
    done = _follow(admin, admin.post("/console/sources/maple/sync", {"mode": "apply"}))
    assert 'class="state applied"' in done
    run_id = done.split('href="/console/runs/')[1].split('"')[0]
    run = admin.get(f"/console/runs/{run_id}").get_data(as_text=True)
    assert "user-broken" in run and "enabledUser" in run and "users.csv" in run
    issues = list(csv.DictReader(io.StringIO(
        admin.get(f"/console/runs/{run_id}/issues.csv").get_data(as_text=True))))
    assert any(i["sourced_id"] == "user-broken" and i["field"] == "enabledUser"
               for i in issues)
    assert "user-s-1" in admin.get("/console/optouts?q=jordan").get_data(as_text=True)
    history = admin.get("/console/sources").get_data(as_text=True)
    assert history.count('class="state applied"') >= 2  # the district's own run, and this
    overview = admin.get("/console/").get_data(as_text=True)
    assert "maple" in overview and f'/console/runs/{run_id}"' in overview


def test_an_unknown_source_is_not_found(with_source):
    admin = with_source.browser()
    assert admin.post("/console/sources/nope/sync", {"mode": "apply"}).status_code == 404

"""Acceptance: the gateway, served on a loopback port with a demo district, is a real upstream
OneRoster 1.1, OneRoster 1.2 and Ed-Fi provider. A second gateway pulls it through each shipped
pack and serves the same people, classes and enrollments (compared through the APIs, objects
whole but for what only a server decides: its URLs and modification times); after a change
upstream, the next pull is incremental and sees only the change."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from adapters.rest_api import RestApiAdapter
from gateway.config import SourceConfig
from gateway.store import make_engine
from gateway.sync.report import RunReport
from gateway.sync.runner import run_sync
from tests.rest_api.compare import Get, edfi, oneroster, served_in_process, served_over_http
from tests.rest_api.upstream import Upstream, served_upstream

pytestmark = pytest.mark.slow

PACKS = {  # pack -> (upstream export format, OneRoster version it is compared through)
    "oneroster-1.2": ("oneroster-csv", "v1p2"),
    "oneroster-1.1": ("oneroster-csv", "v1p1"),
    "edfi-v3": ("edfi-xml", "v1p2"),
}
ROSTER = ("orgs", "academicSessions", "courses", "classes", "users", "enrollments",
          "demographics")
EDFI = ("localEducationAgencies", "schools", "sessions", "gradingPeriods", "courses",
        "courseOfferings", "sections", "students", "staffs",
        "contacts", "studentSchoolAssociations", "studentEducationOrganizationAssociations",
        "studentSectionAssociations", "staffSectionAssociations", "studentContactAssociations")


def pull(database_url: str, up: Upstream, pack: str) -> RunReport:
    creds = up.oauth1 if pack == "oneroster-1.1" else up.oauth2
    adapter = RestApiAdapter(connector=f"pack:{pack}", base_url=up.url,
                             client_id=creds.client_id, client_secret=creds.client_secret)
    assert adapter.check() == []
    engine = make_engine(database_url)
    try:
        return run_sync(engine, SourceConfig(name="upstream", adapter="rest-api"),
                        adapter.read(), adapter_name="rest-api")
    finally:
        engine.dispose()


def assert_same_district(upstream: Get, downstream: Get, pack: str) -> None:
    """OneRoster packs: every collection, sourcedIds included. Ed-Fi: every resource, whose
    items name each other by natural keys (sourcedIds are the puller's own there: each
    gateway derives them from the keys it was given)."""
    if pack == "edfi-v3":
        for resource in EDFI:
            theirs = edfi(upstream, resource)
            assert theirs, resource
            assert edfi(downstream, resource) == theirs, resource
        return
    version = PACKS[pack][1]
    for collection in ROSTER:
        theirs, ours = oneroster(upstream, version, collection), \
            oneroster(downstream, version, collection)
        assert theirs, collection
        assert ours == theirs, collection


def change_upstream(up: Upstream) -> None:
    """Rename one person and drop one enrollment in the district's export, and import it."""
    if up.fmt == "oneroster-csv":
        rows = list(csv.reader((up.files / "users.csv").open(encoding="utf-8")))
        given = rows[0].index("givenName")
        rows[1][given] = "Renamed"
        with (up.files / "users.csv").open("w", encoding="utf-8", newline="") as out:
            csv.writer(out).writerows(rows)
        lines = (up.files / "enrollments.csv").read_text(encoding="utf-8").splitlines()
        (up.files / "enrollments.csv").write_text("\n".join(lines[:-1]) + "\n", "utf-8")
    else:
        student = up.files / "Student.xml"
        text = student.read_text(encoding="utf-8")
        start = text.index("<FirstName>") + len("<FirstName>")
        student.write_text(text[:start] + "Renamed" + text[text.index("</", start):], "utf-8")
        tree = etree.parse(str(up.files / "StudentEnrollment.xml"))
        first = next(e for e in tree.getroot()
                     if etree.QName(e).localname == "StudentSectionAssociation")
        tree.getroot().remove(first)
        tree.write(str(up.files / "StudentEnrollment.xml"), xml_declaration=True,
                   encoding="UTF-8")
    report = up.resync()
    assert report.state == "applied", report.message


@pytest.fixture(scope="module", params=list(PACKS))
def served_district(request: pytest.FixtureRequest, sqlite_template: Path,
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Upstream]]:
    """A pack and its upstream, served once for the tests on both backends."""
    pack = request.param
    fmt, version = PACKS[pack]
    with served_upstream(tmp_path_factory.mktemp("up"), sqlite_template, fmt=fmt,
                         version="1.1" if version == "v1p1" else "1.2") as up:
        yield pack, up


@pytest.fixture
def as_exported(served_district: tuple[str, Upstream]) -> tuple[str, Upstream]:
    """The pack and its upstream, serving the district as exported (whatever the test before
    changed upstream is undone)."""
    pack, up = served_district
    up.restore()
    return pack, up


def test_a_second_gateway_serves_what_it_pulled_and_then_pulls_only_the_change(
        as_exported: tuple[str, Upstream], database_url: str, tmp_path: Path) -> None:
    pack, up = as_exported
    upstream = served_over_http(up.url, up.oauth2)
    downstream = served_in_process(database_url, tmp_path / "down")

    first = pull(database_url, up, pack)
    assert first.state == "applied", (first.message, first.issues[:3])
    assert set(first.modes.values()) == {"bulk"}
    assert first.rows_rejected == 0, first.issues[:3]
    assert first.bookmarks and first.source_stats["pages"] >= len(ROSTER)
    assert_same_district(upstream, downstream, pack)

    change_upstream(up)
    second = pull(database_url, up, pack)
    assert second.state == "applied", (second.message, second.issues[:3])
    assert set(second.modes.values()) == {"delta"}
    changed = {family: (c.inserted, c.updated, c.deleted)
               for family, c in second.counts.items() if c.inserted or c.updated or c.deleted}
    assert changed == {"users": (0, 1, 0), "enrollments": (0, 0, 1)}
    assert second.rows_read <= 5, {f: c.read for f, c in second.counts.items()}
    assert_same_district(upstream, downstream, pack)

    third = pull(database_url, up, pack)
    assert third.state == "unchanged" and third.rows_read == 0

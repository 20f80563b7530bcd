"""Acceptance: the demo district written as Ed-Fi XML and imported with the edfi-xml adapter is
served through OneRoster and Ed-Fi as the same district imported from OneRoster CSV: the same
people, classes and enrollments. SourcedIds differ between the two paths (Ed-Fi ids are hashes
of natural keys), so the comparison is on content: names with unique ids, class codes and
(person, class) pairs. Classes are compared by title and school: the demo's class codes repeat
within a school and session, which an Ed-Fi section identifier may not, so the XML carries the
SIS section id there.

Gradebook: the demo's line items are written as InterchangeStudentGradebook gradebook entries and
served through OneRoster 1.2 gradebook like the CSV's. Compared by content (title, dates, class,
school, category title, grading period, maximum); not compared, by construction: sourcedIds,
`resultValueMin` (Ed-Fi has no minimum; the CSV says 0) and category rows (the CSV has one per
category with a weight; Ed-Fi gives each entry its own, titled with its type, and no weight).
The demo district has no results; the results mapping is covered in test_gradebook.py."""

from __future__ import annotations

import base64
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from adapters.oneroster_csv import OneRosterCsvAdapter
from gateway.app import create_app
from gateway.auth.registry import register_app
from gateway.config import SourceConfig
from gateway.demo import write_demo
from gateway.policy.agreement import parse_agreement
from gateway.store import make_engine
from gateway.sync.runner import run_sync
from tests.edfi_xml.conftest import SEED, STUDENTS, sync_xml

ONEROSTER = "/ims/oneroster/rostering/v1p2"
GRADEBOOK = "/ims/oneroster/gradebook/v1p2"
EDFI = "/data/v3/ed-fi"
SCOPES = ["roster.readonly", "roster-core.readonly", "roster-demographics.readonly",
          "edfi.readonly", "gradebook.readonly"]


class Served:
    """One store behind the real app, read as an app allowed to see everything."""

    def __init__(self, url: str, var_dir: Path) -> None:
        self.engine = make_engine(url)
        app = create_app({"database_url": url, "var_dir": str(var_dir)})
        app.config["TESTING"] = True
        self.client: FlaskClient = app.test_client()
        doc = {"name": "compare", "purpose": "instruction", "expires": "2099-12-31",
               "scopes": SCOPES,
               "sensitive": ["demographics", "birth_date", "contact", "identifiers"]}
        creds = register_app(self.engine, doc["name"], parse_agreement(doc))
        basic = base64.b64encode(f"{creds.client_id}:{creds.client_secret}".encode()).decode()
        reply = self.client.post("/oauth/token", data={"grant_type": "client_credentials"},
                                 headers={"Authorization": f"Basic {basic}"})
        assert reply.status_code == 200, reply.get_json()
        self.token = reply.get_json()["access_token"]

    def all(self, path: str, key: str | None = None, size: int = 100) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        while True:
            reply = self.client.get(f"{path}?limit={size}&offset={len(rows)}",
                                    headers={"Authorization": f"Bearer {self.token}"})
            assert reply.status_code == 200, (path, reply.get_json())
            page = reply.get_json()[key] if key else reply.get_json()
            rows += page
            if len(page) < size:
                return rows


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
         ) -> tuple[Served, Served]:
    """The same demo district, once from OneRoster CSV and once from Ed-Fi XML."""
    work = tmp_path_factory.mktemp("round-trip")
    served = []
    for fmt in ("oneroster-csv", "edfi-xml"):
        files = work / fmt
        write_demo(files, students=STUDENTS, seed=SEED, format=fmt)
        shutil.copy(sqlite_template, work / f"{fmt}.db")
        url = f"sqlite:///{work / f'{fmt}.db'}"
        engine = make_engine(url)
        if fmt == "edfi-xml":
            report = sync_xml(engine, files)
        else:
            adapter = OneRosterCsvAdapter(path=str(files))
            report = run_sync(engine, SourceConfig(name="sis", adapter=fmt), adapter.read(),
                              adapter_name=fmt)
        assert report.state == "applied", (fmt, report.message, report.issues[:5])
        served.append(Served(url, work / f"{fmt}-var"))
    return served[0], served[1]


def people(served: Served) -> Counter[tuple[str, str, str, str]]:
    users = served.all(f"{ONEROSTER}/users", "users")
    return Counter((u["identifier"], u["givenName"], u["familyName"], u["roles"][0]["role"])
                   for u in users)


def test_the_same_people_are_served_through_oneroster(both: tuple[Served, Served]) -> None:
    from_csv, from_xml = both
    expected = people(from_csv)
    assert sum(expected.values()) > STUDENTS  # students, teachers and guardians
    assert people(from_xml) == expected


def classes(served: Served) -> Counter[tuple[str, str]]:
    schools = {o["sourcedId"]: o["name"] for o in served.all(f"{ONEROSTER}/orgs", "orgs")}
    return Counter((c["title"], schools[c["school"]["sourcedId"]])
                   for c in served.all(f"{ONEROSTER}/classes", "classes"))


def test_the_same_classes_are_served_through_oneroster(both: tuple[Served, Served]) -> None:
    from_csv, from_xml = both
    assert classes(from_xml) == classes(from_csv)


def enrollment_pairs(served: Served) -> Counter[tuple[str, str, str]]:
    codes = {c["sourcedId"]: c["title"]
             for c in served.all(f"{ONEROSTER}/classes", "classes")}
    ids = {u["sourcedId"]: u["identifier"] for u in served.all(f"{ONEROSTER}/users", "users")}
    return Counter((ids[e["user"]["sourcedId"]], codes[e["class"]["sourcedId"]], e["role"])
                   for e in served.all(f"{ONEROSTER}/enrollments", "enrollments"))


def test_the_same_enrollments_are_served_through_oneroster(both: tuple[Served, Served]) -> None:
    from_csv, from_xml = both
    expected = enrollment_pairs(from_csv)
    assert {role for _, _, role in expected} == {"student", "teacher"}
    assert enrollment_pairs(from_xml) == expected


@pytest.mark.parametrize(("resource", "identity"), [
    ("students", lambda s: (s["studentUniqueId"], s["firstName"], s["lastSurname"],
                            s.get("birthDate"))),
    ("staffs", lambda s: (s["staffUniqueId"], s["firstName"], s["lastSurname"])),
    ("contacts", lambda s: (s["contactUniqueId"], s["firstName"], s["lastSurname"])),
    ("sections", lambda s: (s["sectionName"], s["courseOfferingReference"]["schoolId"])),
    ("studentSectionAssociations", lambda s: (s["studentReference"]["studentUniqueId"],
                                              s["sectionReference"]["schoolId"])),
    ("staffSectionAssociations", lambda s: (s["staffReference"]["staffUniqueId"],
                                            s["sectionReference"]["schoolId"])),
    ("studentEducationOrganizationAssociations",
     lambda s: (s["studentReference"]["studentUniqueId"], s.get("sexDescriptor"),
                tuple(r["raceDescriptor"] for r in s.get("races", [])))),
])
def test_ed_fi_serves_the_same_district_from_either_source(
    both: tuple[Served, Served], resource: str, identity: Any,
) -> None:
    from_csv, from_xml = both
    expected = Counter(identity(row) for row in from_csv.all(f"{EDFI}/{resource}", size=500))
    assert expected
    assert Counter(identity(row) for row in from_xml.all(f"{EDFI}/{resource}", size=500)) == \
        expected


def test_reimporting_the_same_files_changes_nothing(both: tuple[Served, Served],
                                                    tmp_path: Path) -> None:
    _, from_xml = both
    files = tmp_path / "again"
    write_demo(files, students=STUDENTS, seed=SEED, format="edfi-xml")
    assert sync_xml(from_xml.engine, files).state == "unchanged"


def line_items(served: Served) -> Counter[tuple[Any, ...]]:
    schools = {o["sourcedId"]: o["name"] for o in served.all(f"{ONEROSTER}/orgs", "orgs")}
    classes = {c["sourcedId"]: (c["title"], schools[c["school"]["sourcedId"]])
               for c in served.all(f"{ONEROSTER}/classes", "classes")}
    periods = {s["sourcedId"]: s["title"]
               for s in served.all(f"{ONEROSTER}/academicSessions", "academicSessions")}
    categories = {c["sourcedId"]: c["title"]
                  for c in served.all(f"{GRADEBOOK}/categories", "categories")}
    return Counter((item["title"], item.get("description"), item["assignDate"],
                    item["dueDate"], classes[item["class"]["sourcedId"]],
                    schools[item["school"]["sourcedId"]],
                    categories[item["category"]["sourcedId"]],
                    periods[item["academicSession"]["sourcedId"]],
                    float(item["resultValueMax"]))
                   for item in served.all(f"{GRADEBOOK}/lineItems", "lineItems"))


def test_the_same_line_items_are_served_through_oneroster_gradebook(
    both: tuple[Served, Served],
) -> None:
    from_csv, from_xml = both
    expected = line_items(from_csv)
    assert {key[6] for key in expected} == {"Homework", "Tests"}
    assert line_items(from_xml) == expected


def test_every_category_title_of_the_csv_is_served_from_the_xml(
    both: tuple[Served, Served],
) -> None:
    from_csv, from_xml = both
    titles = [{c["title"] for c in served.all(f"{GRADEBOOK}/categories", "categories")}
              for served in (from_csv, from_xml)]
    assert titles[0] == titles[1] == {"Homework", "Tests"}

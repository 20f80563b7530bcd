"""Person keys and query by example under the field policy (issue 9 section 4): an app without
the `identifiers` grant never receives `users.identifier` through an Ed-Fi key; it gets a
stable per-app pseudonym instead, everywhere a key appears (the resource, references, query by
example) and it may write with it. A query by example on a property its allowlist hides is
refused alike whether or not a row would match."""

from __future__ import annotations

import re

import pytest

from adapters.records import Record
from gateway.app import create_app
from gateway.config import SourceConfig
from gateway.sync.runner import run_sync
from tests.edfi.bodies import enrolment
from tests.edfi.conftest import Caller, EdFi, conforms, district
from tests.store_snapshot import built_once

WRITER = ("edfi.readonly", "edfi.write")
NO_IDS = ["demographics", "birth_date", "contact"]  # everything but identifiers
HEX32 = re.compile(r"^[0-9a-f]{32}$")


def _district_with_ids():  # noqa: ANN202
    """The two schools, each student with a district (SIS) identifier S-<sourcedId>."""
    events = district()
    for event in events:
        if isinstance(event, Record) and event.family == "users" \
                and event.sourced_id.startswith("stu-"):
            event.fields["identifier"] = "S-" + event.sourced_id
    return events


@pytest.fixture
def edfi_ids(engine, database_url, tmp_path, store_snapshots) -> EdFi:
    def build(engine) -> None:  # noqa: ANN001
        report = run_sync(engine, SourceConfig(name="sis", adapter="test"),
                          iter(_district_with_ids()), adapter_name="test")
        assert report.state == "applied", report.issues[:5]

    built_once(engine, store_snapshots, "edfi district with SIS ids", build)
    app = create_app({"database_url": database_url, "var_dir": str(tmp_path)})
    app.config["TESTING"] = True
    return EdFi(app, app.test_client(), engine)


def _unique_ids(call, resource: str = "students") -> dict[str, str]:  # noqa: ANN001
    """firstName+lastSurname -> studentUniqueId, as the app is shown them."""
    items = conforms("GET", f"/ed-fi/{resource}", call.get(f"/ed-fi/{resource}?limit=500"))
    return {f"{i['firstName']} {i['lastSurname']}": i["studentUniqueId"] for i in items}


def test_an_app_without_the_identifiers_grant_gets_per_app_pseudonyms(edfi_ids, database_url,
                                                                     tmp_path):
    granted = edfi_ids.as_app(name="granted")
    plain = edfi_ids.as_app(name="plain", sensitive=NO_IDS)
    other = edfi_ids.as_app(name="other", sensitive=NO_IDS)
    district_ids, mine, theirs = (_unique_ids(c) for c in (granted, plain, other))
    assert set(district_ids.values()) == {f"S-stu-{s}{n}" for s in "ab" for n in range(1, 6)}
    assert all(HEX32.match(v) for v in mine.values()), mine
    assert not set(mine.values()) & set(district_ids.values())
    # different for every app (two apps cannot join on it) ...
    assert mine.keys() == theirs.keys() and not set(mine.values()) & set(theirs.values())
    # ... stable across requests and across a restart of the gateway
    assert _unique_ids(plain) == mine
    again = create_app({"database_url": database_url, "var_dir": str(tmp_path)})
    assert _unique_ids(Caller(again.test_client(), plain.token)) == mine
    # no body the app reads carries a district identifier
    for path in ("/ed-fi/students", "/ed-fi/studentSchoolAssociations",
                 "/ed-fi/studentSectionAssociations",
                 "/ed-fi/studentEducationOrganizationAssociations",
                 "/ed-fi/studentContactAssociations"):
        text = plain.get(path + "?limit=500").get_data(as_text=True)
        assert "S-stu-" not in text, path


def test_references_and_query_by_example_use_the_same_pseudonym(edfi_ids):
    plain = edfi_ids.as_app(name="plain", sensitive=NO_IDS)
    pseudonym = _unique_ids(plain)["Ana Pupila"]
    links = plain.get("/ed-fi/studentSchoolAssociations?limit=500").get_json()
    assert pseudonym in {a["studentReference"]["studentUniqueId"] for a in links}
    found = plain.get(f"/ed-fi/students?studentUniqueId={pseudonym}").get_json()
    assert [s["firstName"] for s in found] == ["Ana"]
    by_ref = plain.get(f"/ed-fi/studentSchoolAssociations?studentUniqueId={pseudonym}")
    assert [a["studentReference"]["studentUniqueId"] for a in by_ref.get_json()] == [pseudonym]
    # the district's own id matches nothing, exactly like an id nobody holds
    district_id = plain.get("/ed-fi/students?studentUniqueId=S-stu-a1&totalCount=true")
    unknown = plain.get("/ed-fi/students?studentUniqueId=S-nobody&totalCount=true")
    assert district_id.get_json() == unknown.get_json() == []
    assert district_id.headers["Total-Count"] == unknown.headers["Total-Count"] == "0"


def test_an_app_writes_with_its_pseudonyms(edfi_ids):
    writer = edfi_ids.as_app(scopes=WRITER, name="writer", sensitive=NO_IDS)
    pseudonym = _unique_ids(writer)["Ben Pupila"]
    school = writer.get("/ed-fi/schools").get_json()[0]["schoolId"]
    made = writer("POST", "/ed-fi/studentSchoolAssociations", json={
        "studentReference": {"studentUniqueId": pseudonym},
        "schoolReference": {"schoolId": school}, "entryDate": "2027-01-20",
        "entryGradeLevelDescriptor": "uri://ed-fi.org/GradeLevelDescriptor#Ninth grade"})
    assert made.status_code == 201, made.get_json()
    written = writer.get(made.headers["Location"].split("/data/v3")[1]).get_json()
    assert written["studentReference"]["studentUniqueId"] == pseudonym
    assert written["entryDate"] == "2027-01-20"
    granted = edfi_ids.as_app(name="granted")
    seen = granted.get("/ed-fi/studentSchoolAssociations?entryDate=2027-01-20").get_json()
    assert [a["studentReference"]["studentUniqueId"] for a in seen] == ["S-stu-a2"]


def test_query_by_a_hidden_property_is_refused_whether_or_not_it_matches(edfi_ids):
    narrowed = edfi_ids.as_app(name="narrowed", sensitive=NO_IDS,
                               fields={"users": ["givenName"]})
    items = narrowed.get("/ed-fi/students?limit=500").get_json()
    assert items and all("lastSurname" not in i for i in items)  # the profile hides it
    matching = narrowed.get("/ed-fi/students?lastSurname=Pupila")
    nothing = narrowed.get("/ed-fi/students?lastSurname=Nobody")
    assert matching.status_code == nothing.status_code == 400

    def bare(reply) -> dict:  # noqa: ANN001
        return {k: v for k, v in reply.get_json().items() if k != "correlationId"}
    assert bare(matching) == bare(nothing)
    assert "lastSurname" in bare(matching)["detail"]
    # a property the allowlist keeps still narrows
    assert len(narrowed.get("/ed-fi/students?firstName=Ana").get_json()) == 2


def test_a_district_id_an_app_was_not_shown_names_nobody_in_its_writes(edfi_ids):
    """An app shown pseudonyms that writes a district id (guessed or learnt elsewhere) gets
    the answer an unknown id gets: its writes do not confirm which district ids exist."""
    writer = edfi_ids.as_app(scopes=WRITER, name="writer", sensitive=NO_IDS)
    school = writer.get("/ed-fi/schools").get_json()[0]["schoolId"]

    def enrol(unique: str):  # noqa: ANN202
        return writer("POST", "/ed-fi/studentSchoolAssociations",
                      json=enrolment(unique, school, "2027-01-20", "Ninth grade"))
    known, unknown = enrol("S-stu-a2"), enrol("S-nobody")
    assert known.status_code == unknown.status_code == 409

    def bare(reply, the_id: str) -> dict:  # noqa: ANN001
        return {k: str(v).replace(the_id, "<id>") for k, v in reply.get_json().items()
                if k != "correlationId"}
    assert bare(known, "S-stu-a2") == bare(unknown, "S-nobody")
    # while a student the app created itself is named by the id it gave it
    made = writer("POST", "/ed-fi/students", json={
        "studentUniqueId": "own-1", "firstName": "Nia", "lastSurname": "New",
        "birthDate": "2012-04-01"})
    assert made.status_code == 201, made.get_json()
    assert enrol("own-1").status_code == 201

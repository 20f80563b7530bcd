"""Ed-Fi documents rendered at sync time (gateway/sync/edfi_documents.py) are served exactly as
documents rendered at read time would be: for an app granted identifiers, one shown pseudonyms,
one whose profile hides properties, and one under a pseudonymous agreement (its own ids); and
they follow the rows they embed when a later sync changes those (a student's birth date, a
user's identifier and name, a school's identifier)."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import delete, func, select

from adapters.records import Record
from gateway.config import SourceConfig
from gateway.model import EDFI_DOCUMENTS
from gateway.sync.runner import run_sync
from tests.edfi.conftest import Caller, EdFi, district

COLLECTIONS = ("students", "staffs", "contacts", "studentSchoolAssociations",
               "studentEducationOrganizationAssociations",
               "staffEducationOrganizationAssignmentAssociations", "studentContactAssociations")
APPS = {
    "identifiers": {},
    "pseudonyms": {"sensitive": ["demographics", "birth_date", "contact"]},
    "narrowed": {"sensitive": ["demographics", "birth_date", "contact"],
                 "fields": {"users": ["givenName", "identifier"]}},
    # its own Ed-Fi ids (gateway/policy/shown_edfi_ids.py) in each stored document's id and links
    "pseudonymous": {"sensitive": ["demographics", "birth_date", "contact"],
                     "pseudonymous_ids": True},
}


def _stored(edfi: EdFi) -> int:
    with edfi.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(EDFI_DOCUMENTS)).scalar_one()


def _apps(edfi: EdFi) -> dict[str, Caller]:
    return {name: edfi.as_app(**agreement) for name, agreement in APPS.items()}


def _pages(apps: dict[str, Caller]) -> dict[tuple[str, str], object]:
    pages = {}
    for name, call in apps.items():
        for resource in COLLECTIONS:
            reply = call.get(f"/ed-fi/{resource}?limit=500")
            assert reply.status_code == 200, (resource, reply.get_json())
            pages[name, resource] = reply.get_json()
    return pages


def _rendered_live(edfi: EdFi, apps: dict[str, Caller]) -> dict[tuple[str, str], object]:
    """The same pages with no stored document: every object rendered at read time."""
    with edfi.engine.begin() as conn:
        conn.execute(delete(EDFI_DOCUMENTS))
    return _pages(apps)


def _changed_district() -> list:
    events = copy.deepcopy(district())
    for event in events:
        if not isinstance(event, Record):
            continue
        if event.family == "demographics" and event.sourced_id == "stu-a1":
            event.fields["birthDate"] = "2010-12-31"
        if event.family == "users" and event.sourced_id == "stu-a2":
            event.fields["identifier"] = "SIS-0002"
            event.fields["givenName"] = "Benedict"
        if event.family == "orgs" and event.sourced_id == "sch-b":
            event.fields["identifier"] = "255901"
    return events


def test_the_sync_stores_documents_and_they_read_as_rendered_at_read_time(edfi):
    assert _stored(edfi) > 0
    apps = _apps(edfi)
    stored = _pages(apps)
    assert stored["identifiers", "students"], "the district serves students"
    assert stored["pseudonymous", "students"][0]["id"] != stored["pseudonyms", "students"][0]["id"]
    assert stored == _rendered_live(edfi, apps)


@pytest.mark.parametrize("change", ["birth date, identifier, name, school id"])
def test_documents_follow_the_rows_they_embed_when_a_sync_changes_them(edfi, change):
    report = run_sync(edfi.engine, SourceConfig(name="sis", adapter="test"),
                      iter(_changed_district()), adapter_name="test")
    assert report.state == "applied", report.issues[:5]
    apps = _apps(edfi)
    stored = _pages(apps)
    students = {s["studentUniqueId"]: s for s in stored["identifiers", "students"]}
    assert students["stu-a1"]["birthDate"] == "2010-12-31"
    assert students["SIS-0002"]["firstName"] == "Benedict"
    schools = {a["schoolReference"]["schoolId"]
               for a in stored["identifiers", "studentSchoolAssociations"]}
    assert 255901 in schools
    assert stored == _rendered_live(edfi, apps)

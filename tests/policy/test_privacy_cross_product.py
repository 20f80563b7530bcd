"""Every OneRoster read endpoint of both versions and every Ed-Fi read endpoint, for apps of
every scoping, over a district
with an opted-out student, a student in two schools and a contact linked to children in both:
nothing outside an app's agreement ever appears in a body (no opted-out student, nothing only
the other school has, no field the agreement withholds), what it may not see answers as
unknown, and every response that carried a student left a disclosure naming it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from adapters.edfi_mapping.identity import edfi_id
from adapters.edfi_mapping.resources import RESOURCES
from gateway.app import create_app
from gateway.model import App, Disclosure
from gateway.policy.optouts import add_optout
from gateway.policy.pseudonyms import Pseudonyms, store_key
from tests.disclosure_log import settle
from tests.golden.capture import ALL_READ_SCOPES, DISTRICTS, _token, load, paths

V12 = "/ims/oneroster/rostering/v1p2"
V11 = "/ims/oneroster/v1p1"
GB12 = "/ims/oneroster/gradebook/v1p2"
EDGE = next(d for d in DISTRICTS if d.name == "edge")
# What only school B has, in the edge district (stu-a2 studies in both schools).
SCHOOL_B_ONLY = {"sch-b", "cls-b", "crs-b", "tch-b", "li-b", "e-tch-b", "r-tch-b",
                 *(f"stu-b{n}" for n in range(1, 6)), *(f"par-b{n}" for n in range(1, 6)),
                 *(f"e-stu-b{n}" for n in range(1, 6)), *(f"res-stu-b{n}" for n in range(1, 6))}
CONTACT_AND_IDS = ("email", "sms", "phone", "identifier", "userIds", "userMasterIdentifier")

APPS: dict[str, dict[str, Any]] = {
    "school-a narrowed": {"schools": ["sch-a"],
                          "fields": {"users": ["givenName", "familyName", "roles", "agents"]}},
    "district default": {},
    "district everything": {"sensitive": ["contact", "identifiers", "demographics",
                                          "birth_date"]},
}
OPTED_OUT_EVERYWHERE = "stu-a4"
OPTED_OUT_OF_EVERYTHING_APP = "stu-b2"
# An opted-out student asked for directly, by any app; school B's rows, by school A's app.
OPTED_OUT_PROBES = [f"{V12}/users/stu-a4", f"{V11}/users/stu-a4",
                    f"{V12}/students/stu-a4/classes", f"{V12}/enrollments/e-stu-a4",
                    f"{GB12}/results/res-stu-a4"]
SCHOOL_B_PROBES = [f"{V12}/users/stu-b1", f"{V12}/schools/sch-b/students",
                   f"{V12}/classes/cls-b/students", f"{V12}/orgs/sch-b",
                   f"{V11}/classes/cls-b/students", f"{GB12}/lineItems/li-b"]


@pytest.fixture
def district(engine, database_url: str, tmp_path: Path):  # noqa: ANN201
    load(engine, EDGE, tmp_path)
    app = create_app({"database_url": database_url, "var_dir": str(tmp_path)})
    client = app.test_client()
    tokens, ids = {}, {}
    for name, agreement in APPS.items():
        tokens[name], ids[name] = _token(client, engine, name, agreement)
    add_optout(engine, OPTED_OUT_EVERYWHERE)
    add_optout(engine, OPTED_OUT_OF_EVERYTHING_APP, ids["district everything"])
    return app, client, engine, tokens


def _students_carried(body: Any) -> set[str]:
    """The students a OneRoster body carries as records (not as mere references)."""
    if not isinstance(body, dict):
        return set()
    found: set[str] = set()
    for key, value in body.items():
        items = value if isinstance(value, list) else [value]
        for item in items:
            if not isinstance(item, dict):
                continue
            if key in ("users", "user") and item.get("sourcedId", "").startswith("stu-"):
                found.add(item["sourcedId"])
            elif key in ("enrollments", "enrollment") and item.get("role") == "student":
                found.add(item["user"]["sourcedId"])
            elif key in ("results", "result"):
                found.add(item["student"]["sourcedId"])
            elif key == "demographics":
                found.add(item["sourcedId"])
    return found


def _user_fields(body: Any) -> set[str]:
    """The fields of every user object a body carries."""
    if not isinstance(body, dict):
        return set()
    users = body.get("users") or ([body["user"]] if "user" in body else [])
    return {k for user in users for k in user}


@pytest.mark.parametrize("app_name", list(APPS))
def test_no_read_endpoint_leaks_outside_the_agreement(district, app_name: str) -> None:
    app, client, engine, tokens = district
    headers = {"Authorization": f"Bearer {tokens[app_name]}"}
    hidden = {OPTED_OUT_EVERYWHERE}
    if app_name == "district everything":
        hidden.add(OPTED_OUT_OF_EVERYTHING_APP)
    if app_name == "school-a narrowed":
        hidden |= SCHOOL_B_ONLY
    carried: dict[str, set[str]] = {}
    leaks: list[str] = []
    for path in paths(client, headers):
        response = client.get(path, headers=headers)
        text = response.get_data(as_text=True)
        leaks += [f"{path}: {i}" for i in hidden if f'"{i}"' in text or f"/{i}\"" in text]
        body = json.loads(text) if text else None
        keys = _user_fields(body)
        if app_name != "district everything":
            leaks += [f"{path}: field {k}" for k in CONTACT_AND_IDS if k in keys]
        if app_name == "school-a narrowed":
            leaks += [f"{path}: field {k}" for k in ("username", "grades", "enabledUser")
                      if k in keys]
        if response.status_code == 200 and _students_carried(body):
            carried[path] = _students_carried(body)
    assert not leaks, leaks[:20]
    probes = OPTED_OUT_PROBES + (SCHOOL_B_PROBES if app_name == "school-a narrowed" else [])
    for probe in probes:
        answer = client.get(probe, headers=headers)
        assert answer.status_code == 404, (probe, answer.status_code)
    settle(app)
    logged: dict[str, set[str]] = {}
    with engine.connect() as conn:
        for row in conn.execute(select(Disclosure.__table__.c.endpoint,
                                       Disclosure.__table__.c.students)):
            logged.setdefault(row.endpoint, set()).update(row.students.split("\x1f"))
    missing = {p: s - logged.get(p, set()) for p, s in carried.items() if s - logged.get(p, set())}
    assert carried and not missing, missing


# -- Ed-Fi ----------------------------------------------------------------------------------
EDFI = "/data/v3/ed-fi"
EDFI_SCOPES = [*ALL_READ_SCOPES, "edfi.readonly"]
# Properties the sensitive categories carry on Ed-Fi (contact, birth date, demographics).
EDFI_WITHHELD = ("electronicMails", "birthDate", "sexDescriptor", "races",
                 "hispanicLatinoEthnicity")
# What school A's app may read of a person: the allowlist's givenName and familyName.
EDFI_NARROWED_PERSON = {"id", "studentUniqueId", "staffUniqueId", "contactUniqueId",
                        "parentUniqueId", "firstName", "lastSurname", "_etag",
                        "_lastModifiedDate"}


@pytest.fixture
def edfi_district(engine, database_url: str, tmp_path: Path):  # noqa: ANN201
    load(engine, EDGE, tmp_path)
    app = create_app({"database_url": database_url, "var_dir": str(tmp_path)})
    client = app.test_client()
    tokens, app_ids, client_ids = {}, {}, {}
    for name, agreement in APPS.items():
        tokens[name], client_id = _token(client, engine, f"edfi {name}",
                                         {**agreement, "scopes": EDFI_SCOPES})
        client_ids[name] = client_id
        with engine.connect() as conn:
            app_ids[name] = conn.execute(select(App.__table__.c.id).where(
                App.__table__.c.client_id == client_id)).scalar_one()
    add_optout(engine, OPTED_OUT_EVERYWHERE)
    add_optout(engine, OPTED_OUT_OF_EVERYTHING_APP, client_ids["district everything"])
    return app, client, engine, tokens, app_ids


def _edfi_names(engine, app_id: int, sourced_ids: set[str]) -> dict[str, str]:  # noqa: ANN001
    """Every spelling under which an Ed-Fi body could name these rows for this app: the
    sourcedId (a district key), each resource's Ed-Fi id of it, the app's pseudonym."""
    with engine.connect() as conn:
        pseudonyms = Pseudonyms(store_key(conn, engine), app_id)
    names = {}
    for sid in sourced_ids:
        names[sid] = sid
        names[pseudonyms.of(sid)] = sid
        for resource in RESOURCES:
            names[edfi_id(resource, sid)] = sid
    return names


def _edfi_paths(client, headers: dict[str, str]) -> list[str]:  # noqa: ANN001
    """Every Ed-Fi read endpoint of student or roster data: each resource's collection, each
    item it lists, its /deletes and /keyChanges."""
    found = []
    for resource in sorted(RESOURCES):
        collection = f"{EDFI}/{resource}?limit=500&totalCount=true"
        found += [collection, f"{EDFI}/{resource}/deletes", f"{EDFI}/{resource}/keyChanges"]
        reply = client.get(collection, headers=headers)
        if reply.status_code == 200:
            found += [f"{EDFI}/{resource}/{item['id']}" for item in reply.get_json()]
    return found


def _edfi_students(path: str, body: Any, students: dict[str, str]) -> set[str]:
    """The students an Ed-Fi body carries, by sourcedId (through their Ed-Fi ids)."""
    resource = path[len(EDFI) + 1:].split("/")[0].split("?")[0]
    if not RESOURCES[resource].student_bearing or "/deletes" in path or "/keyChanges" in path:
        return set()
    items = body if isinstance(body, list) else [body] if isinstance(body, dict) else []
    found = set()
    for item in items:
        if resource == "students":
            found.add(students[item["id"]])
        else:
            found.add(students[item["studentReference"]["link"]["href"].rsplit("/", 1)[1]])
    return found


@pytest.mark.parametrize("app_name", list(APPS))
def test_no_edfi_read_endpoint_leaks_outside_the_agreement(edfi_district, app_name: str) -> None:
    app, client, engine, tokens, app_ids = edfi_district
    headers = {"Authorization": f"Bearer {tokens[app_name]}"}
    hidden = {OPTED_OUT_EVERYWHERE}
    if app_name == "district everything":
        hidden.add(OPTED_OUT_OF_EVERYTHING_APP)
    if app_name == "school-a narrowed":
        hidden |= SCHOOL_B_ONLY - {"li-b", "res-stu-b1"} | {
            f"r-stu-b{n}" for n in range(1, 6)} | {f"r-par-b{n}" for n in range(1, 6)}
    hidden_names = _edfi_names(engine, app_ids[app_name], hidden)
    everyone = {f"{k}{n}" for k in ("stu-a", "stu-b") for n in range(1, 6)}
    students = {edfi_id("students", s): s for s in everyone}
    carried: dict[str, set[str]] = {}
    leaks: list[str] = []
    paths_read = _edfi_paths(client, headers)
    assert len(paths_read) > 3 * len(RESOURCES)
    for path in paths_read:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.status_code)
        text = response.get_data(as_text=True)
        leaks += [f"{path}: {hidden_names[n]} as {n}" for n in hidden_names if f'"{n}"' in text
                  or f"/{n}\"" in text]
        body = json.loads(text)
        items = body if isinstance(body, list) else [body]
        keys = {k for item in items for k in item}
        if app_name != "district everything":
            leaks += [f"{path}: field {k}" for k in EDFI_WITHHELD if k in keys]
            # a person key is the app's pseudonym, never the district's id
            leaks += [f"{path}: district id {s}" for s in everyone if f'"{s}"' in text]
        if app_name == "school-a narrowed" and "/students" in path:
            leaks += [f"{path}: field {k}" for k in keys - EDFI_NARROWED_PERSON]
        if carried_now := _edfi_students(path, body, students):
            carried[path] = carried_now
    assert not leaks, leaks[:20]
    probes = [f"{EDFI}/students/{edfi_id('students', OPTED_OUT_EVERYWHERE)}",
              f"{EDFI}/studentSchoolAssociations/"
              f"{edfi_id('studentSchoolAssociations', 'r-' + OPTED_OUT_EVERYWHERE)}",
              f"{EDFI}/studentSectionAssociations/"
              f"{edfi_id('studentSectionAssociations', 'e-' + OPTED_OUT_EVERYWHERE)}"]
    if app_name == "school-a narrowed":
        probes += [f"{EDFI}/students/{edfi_id('students', 'stu-b1')}",
                   f"{EDFI}/schools/{edfi_id('schools', 'sch-b')}",
                   f"{EDFI}/sections/{edfi_id('sections', 'cls-b')}",
                   f"{EDFI}/staffs/{edfi_id('staffs', 'tch-b')}"]
    for probe in probes:
        answer = client.get(probe, headers=headers)
        assert answer.status_code == 404, (probe, answer.status_code)
    settle(app)
    logged: dict[str, set[str]] = {}
    with engine.connect() as conn:
        for row in conn.execute(select(Disclosure.__table__.c.endpoint,
                                       Disclosure.__table__.c.students)):
            logged.setdefault(row.endpoint, set()).update(row.students.split("\x1f"))
    missing = {p: s - logged.get(p, set()) for p, s in carried.items() if s - logged.get(p, set())}
    assert carried and not missing, missing

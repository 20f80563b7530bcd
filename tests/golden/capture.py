"""What every OneRoster read answers, for a few apps over two districts, as comparable data.

The golden files under tests/golden/ were captured from the serializer that rendered each
response at request time, before the policy read engine served pre-rendered documents; the test
replays the same requests against today's gateway and compares. Timestamps the run decides
(dateLastModified) are the only thing normalised away.

Regenerate (only when a change to what is served is intended, and say so in the commit):
    GOLDEN_REGENERATE=1 .venv/bin/python -m pytest tests/golden -q
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask.testing import FlaskClient
from sqlalchemy import Engine

from adapters.oneroster_csv import OneRosterCsvAdapter
from adapters.records import Event, FamilyMode, Record
from gateway.auth.registry import register_app
from gateway.config import SourceConfig
from gateway.demo import write_demo
from gateway.oneroster.routes import SERVICES, operations
from gateway.policy.agreement import parse_agreement
from gateway.policy.optouts import add_optout
from gateway.sync.runner import run_sync
from tests.oneroster.district import two_schools

ALL_READ_SCOPES = ["roster-core.readonly", "roster.readonly", "roster-demographics.readonly",
                   "gradebook.readonly", "gradebook-core.readonly", "resource.readonly",
                   "resource-core.readonly"]

# The apps whose views are compared: every combination of scoping the policy knows.
AGREEMENTS: dict[str, dict[str, Any]] = {
    "district-default": {},
    "one-school-narrowed": {
        "sensitive": ["contact", "identifiers", "demographics"],
        "fields": {"users": ["givenName", "familyName", "email", "identifier", "roles",
                             "agents", "grades", "enabledUser", "username"]},
    },
    "district-everything": {"sensitive": ["contact", "identifiers", "demographics",
                                          "birth_date"]},
}

# A few query-language requests per version, beyond plain collections.
QUERIES = (
    "users?filter=" + quote("givenName~'a'") + "&sort=familyName&limit=7&offset=3",
    "users?fields=sourcedId,givenName,roles&limit=5",
    "users?filter=" + quote("status='active' AND familyName>'M'") + "&orderBy=desc&sort=givenName",
    "enrollments?filter=" + quote("role='teacher'") + "&limit=9",
    "classes?sort=title&limit=4&offset=2",
    "orgs?filter=" + quote("type='school'"),
)


@dataclass(frozen=True)
class District:
    name: str
    events: Callable[[Path], Iterator[Event]]
    school: str  # the one school an app may be scoped to
    opted_out: tuple[str, str]  # (student opted out of every app, student opted out of one)


def _demo_events(folder: Path) -> Iterator[Event]:
    write_demo(folder, students=40, seed=5, format="oneroster-csv")
    return OneRosterCsvAdapter(path=str(folder)).read()


def _edge_events(_folder: Path) -> Iterator[Event]:
    """The two-school district plus what the demo lacks: a student enrolled in both schools,
    a contact's roles towards two children (one in each school), user profiles."""
    events = two_schools()
    extra = [
        Record("userProfiles", "prof-a1", {"user": "stu-a1", "profileType": "lms",
                                           "vendorId": "v1", "credentialType": "username",
                                           "username": "ana.lms"}),
        Record("roles", "r-stu-a2-b", {"user": "stu-a2", "roleType": "secondary",
                                       "role": "student", "org": "sch-b"}),
        Record("roles", "r-par-a3-kid-a3", {"user": "par-a3", "roleType": "primary",
                                            "role": "guardian", "org": "sch-a",
                                            "student": "stu-a3"}),
        Record("roles", "r-par-a3-kid-b4", {"user": "par-a3", "roleType": "primary",
                                            "role": "guardian", "org": "sch-b",
                                            "student": "stu-b4"}),
    ]
    families = {e.family for e in events if isinstance(e, FamilyMode)}
    for rec in extra:
        rec.file, rec.line = f"{rec.family}.csv", 900
        if rec.family not in families:
            families.add(rec.family)
            events.append(FamilyMode(rec.family, "bulk", rec.file))
        events.append(rec)
    return iter(events)


DISTRICTS = (
    District("demo", _demo_events, school="", opted_out=("", "")),
    District("edge", _edge_events, school="sch-a", opted_out=("stu-a4", "stu-b2")),
)


def load(engine: Engine, district: District, folder: Path) -> None:
    report = run_sync(engine, SourceConfig(name="sis", adapter="golden"),
                      district.events(folder), adapter_name="golden")
    assert report.state == "applied", (report.message, report.issues[:5])


def _first(client: FlaskClient, headers: dict[str, str], path: str, key: str) -> str:
    body = client.get(path, headers=headers).get_json()
    items = body.get(key) or []
    return items[0]["sourcedId"] if items else "none"


def _token(client: FlaskClient, engine: Engine, name: str,
           extra: dict[str, Any]) -> tuple[str, str]:
    doc = {"name": name, "purpose": "instruction", "expires": "2099-12-31",
           "scopes": ALL_READ_SCOPES, **extra}
    creds = register_app(engine, name, parse_agreement(doc))
    basic = base64.b64encode(f"{creds.client_id}:{creds.client_secret}".encode()).decode()
    reply = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                        headers={"Authorization": f"Basic {basic}"})
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()["access_token"], creds.client_id


def apps(client: FlaskClient, engine: Engine, district: District) -> dict[str, str]:
    """Register the compared apps (the scoped one on the district's school) and opt-outs."""
    school = district.school
    if not school:
        root = {"Authorization": f"Bearer {_token(client, engine, 'probe', {})[0]}"}
        school = _first(client, root, "/ims/oneroster/rostering/v1p2/schools?sort=sourcedId",
                        "orgs")
    tokens, client_ids = {}, {}
    for name, extra in AGREEMENTS.items():
        if name.startswith("one-school"):
            extra = {**extra, "schools": [school]}
        tokens[name], client_ids[name] = _token(client, engine, name, extra)
    everyone, one = district.opted_out
    if not everyone:
        root = {"Authorization": f"Bearer {tokens['district-everything']}"}
        students = client.get("/ims/oneroster/rostering/v1p2/students?sort=sourcedId&limit=3",
                              headers=root).get_json()["users"]
        everyone, one = students[1]["sourcedId"], students[2]["sourcedId"]
    add_optout(engine, everyone)
    add_optout(engine, one, client_ids["district-everything"])
    return tokens


def _parent_ids(client: FlaskClient, headers: dict[str, str], prefix: str) -> dict[str, str]:
    """One real id per path parameter, read as the app sees them (sorted, first)."""
    def first(collection: str, key: str) -> str:
        return _first(client, headers, f"{prefix}/{collection}?sort=sourcedId&limit=1", key)

    return {
        "schoolSourcedId": first("schools", "orgs"),
        "classSourcedId": first("classes", "classes"),
        "courseSourcedId": first("courses", "courses"),
        "termSourcedId": first("terms", "academicSessions"),
        "studentSourcedId": first("students", "users"),
        "teacherSourcedId": first("teachers", "users"),
        "userSourcedId": first("users", "users"),
    }


def _first_of(client: FlaskClient, headers: dict[str, str], collection: str) -> str:
    """The first sourcedId of any collection path, whatever its envelope key."""
    response = client.get(f"{collection}?sort=sourcedId&limit=1", headers=headers)
    if response.status_code != 200:
        return "none"
    items = next(iter(response.get_json().values()))
    return items[0]["sourcedId"] if items else "none"


def paths(client: FlaskClient, headers: dict[str, str]) -> list[str]:
    """Every GET operation of both versions with real parameters, plus the query samples."""
    out: list[str] = []
    for service in SERVICES:
        v1p1 = service.version == "1.1"
        rostering = "/ims/oneroster/v1p1" if v1p1 else "/ims/oneroster/rostering/v1p2"
        gradebook = "/ims/oneroster/v1p1" if v1p1 else "/ims/oneroster/gradebook/v1p2"
        ids = _parent_ids(client, headers, rostering)
        ids["lineItemSourcedId"] = _first_of(client, headers, f"{gradebook}/lineItems")
        for op in operations(service):
            if op.method != "GET":
                continue
            path = op.template
            if path.endswith("/{sourcedId}"):
                collection = service.prefix + path[: -len("/{sourcedId}")]
                ids["sourcedId"] = _first_of(client, headers, collection)
            for name in op.params:
                path = path.replace("{" + name + "}", quote(ids.get(name, "none"), safe=""))
            out.append(service.prefix + path)
        if service.name in ("all", "rostering"):
            out += [f"{service.prefix}/{q}" for q in QUERIES]
    return sorted(set(out))


def _normalise(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "*" if k == "dateLastModified" else _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value


def answer(client: FlaskClient, headers: dict[str, str], path: str) -> dict[str, Any]:
    response = client.get(path, headers=headers)
    body = response.get_json(silent=True)
    return {"status": response.status_code,
            "total": response.headers.get("X-Total-Count"),
            "link": response.headers.get("Link"),
            "body": _normalise(body)}


def capture(client: FlaskClient, engine: Engine, district: District) -> dict[str, Any]:
    tokens = apps(client, engine, district)
    out: dict[str, Any] = {}
    for name, token in tokens.items():
        headers = {"Authorization": f"Bearer {token}"}
        for path in paths(client, headers):
            out[f"{name} {path}"] = answer(client, headers, path)
    return out

"""Ed-Fi under a pseudonymous agreement (issue 15 section 2): the person keys an app is shown
on Ed-Fi are the same pseudonyms its OneRoster reads show (one per person and app), no district
id of a person appears in any body, and a write by pseudonym lands on the real person. Ed-Fi
resource ids are the app's own too (gateway/policy/shown_edfi_ids.py): two apps cannot join on
them, no district id is in any body or header, and the app's ids work in URLs while the
district's answer 404."""

from __future__ import annotations

import base64
import re

from flask import Flask
from sqlalchemy import select

from adapters.edfi_mapping.identity import edfi_id
from adapters.edfi_mapping.resources import RESOURCES
from gateway.app import create_app
from gateway.model import ROSTER_TABLES
from tests.edfi.bodies import enrolment
from tests.edfi.conftest import EdFi, conforms

ROSTER = "/ims/oneroster/rostering/v1p2"
SCOPES = ("edfi.readonly", "edfi.write", "roster.readonly")
TERMS = {"sensitive": ["demographics", "birth_date"], "pseudonymous_ids": True}
PEOPLE = [f"{kind}-{s}{n}" for kind in ("stu", "par") for s in "ab" for n in range(1, 6)] + \
    ["tch-a", "tch-b"]
PATHS = ("/ed-fi/students", "/ed-fi/staffs", "/ed-fi/contacts",
         "/ed-fi/studentSchoolAssociations", "/ed-fi/studentSectionAssociations",
         "/ed-fi/staffSectionAssociations", "/ed-fi/studentContactAssociations",
         "/ed-fi/studentEducationOrganizationAssociations")


def _leaks(text: str) -> list[str]:
    return [i for i in PEOPLE if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", text)]


def _edfi_ids(call) -> dict[str, str]:  # noqa: ANN001
    items = conforms("GET", "/ed-fi/students", call.get("/ed-fi/students?limit=500"))
    return {i["firstName"] + " " + i["lastSurname"]: i["studentUniqueId"] for i in items}


def _oneroster_ids(call) -> dict[str, str]:  # noqa: ANN001
    users = call.get(f"{ROSTER}/students?limit=100").get_json()["users"]
    return {u["givenName"] + " " + u["familyName"]: u["sourcedId"] for u in users}


def test_edfi_and_oneroster_show_one_pseudonym_per_person_and_app(edfi: EdFi):
    first = edfi.as_app(SCOPES, name="first", **TERMS)
    second = edfi.as_app(SCOPES, name="second", **TERMS)
    mine, theirs = _edfi_ids(first), _edfi_ids(second)
    assert mine == _oneroster_ids(first) and theirs == _oneroster_ids(second)
    assert len(mine) == 10 and all(mine[n] != theirs[n] for n in mine)
    for path in PATHS:
        reply = first.get(path + "?limit=500")
        assert reply.status_code == 200, (path, reply.get_json())
        assert _leaks(reply.get_data(as_text=True)) == [], path
    ana = mine["Ana Pupila"]
    assert [s["firstName"] for s in first.get(f"/ed-fi/students?studentUniqueId={ana}")
            .get_json()] == ["Ana"]
    assert first.get("/ed-fi/students?studentUniqueId=stu-a1").get_json() == []


def test_an_edfi_write_by_pseudonym_lands_on_the_real_student(edfi: EdFi):
    writer = edfi.as_app(SCOPES, name="writer", **TERMS)
    ben = _edfi_ids(writer)["Ben Pupila"]
    school = writer.get("/ed-fi/schools").get_json()[0]["schoolId"]

    def enrol(unique: str):  # noqa: ANN202
        return writer("POST", "/ed-fi/studentSchoolAssociations",
                      json=enrolment(unique, school, "2027-01-20", "Ninth grade"))
    made = enrol(ben)
    assert made.status_code == 201, made.get_json()
    assert enrol("stu-a2").status_code == 409  # the district's id names nobody
    district = edfi.as_app(("edfi.readonly",), name="district")
    seen = district.get("/ed-fi/studentSchoolAssociations?entryDate=2027-01-20").get_json()
    firsts = {s["studentUniqueId"]: s["firstName"] for s in district.get(
        "/ed-fi/students?limit=500").get_json()}
    assert [firsts[a["studentReference"]["studentUniqueId"]] for a in seen] == ["Ben"]


def test_page_tokens_carry_no_district_id(edfi: EdFi):
    call = edfi.as_app(SCOPES, name="pager", **TERMS)
    seen, token, pages = [], None, 0
    while True:
        query = "pageSize=3" + (f"&pageToken={token}" if token else "")
        reply = call.get(f"/ed-fi/students?{query}")
        assert reply.status_code == 200, reply.get_json()
        seen += [s["studentUniqueId"] for s in reply.get_json()]
        token = reply.headers.get("Next-Page-Token")
        pages += 1
        if not token:
            break
        padded = token + "=" * (-len(token) % 4)
        assert _leaks(base64.urlsafe_b64decode(padded).decode()) == []
    assert pages == 4 and sorted(seen) == sorted(_edfi_ids(call).values())
    # a token made by hand around a district id is not one this server issued
    forged = base64.urlsafe_b64encode(b'{"after": "stu-a3"}').decode().rstrip("=")
    assert call.get(f"/ed-fi/students?pageSize=3&pageToken={forged}").status_code == 400


SAME_ITEMS = ("students", "staffs", "studentSchoolAssociations", "studentSectionAssociations",
              "staffSectionAssociations", "studentContactAssociations", "sections")


def _district_ids(edfi: EdFi) -> set[str]:
    """Every Ed-Fi id the district's rows have, whatever resource shows them."""
    ids = set()
    with edfi.engine.connect() as conn:
        for resource, res in RESOURCES.items():
            table = ROSTER_TABLES[res.family]
            ids |= {edfi_id(resource, sid) for sid in conn.execute(select(table.c.sourced_id))
                    .scalars()}
    return ids


def _hex_ids(text: str) -> set[str]:
    return set(re.findall(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])", text.lower()))


def _item_ids(text: str) -> set[str]:
    """The Ed-Fi ids a body names: items' own and links'."""
    return set(re.findall(r'"(?:id|href)":"(?:/ed-fi/\w+/)?([0-9a-f]{32})"', text))


def _ids_in_order(call, resource: str) -> tuple[list[str], list[str]]:  # noqa: ANN001
    """A page's ids and ETags: pages come in the district's sourcedId order, so apps with
    the same scope see the same items in the same places (the ETags show they do)."""
    items = call.get(f"/ed-fi/{resource}?limit=500").get_json()
    return [i["id"] for i in items], [i["_etag"] for i in items]


def test_two_pseudonymous_apps_see_different_ids_stable_across_processes(
        edfi: EdFi, database_url, tmp_path):
    first_creds = edfi.register(SCOPES, **TERMS)
    first, second = edfi.signed_in(first_creds), edfi.as_app(SCOPES, name="second", **TERMS)
    district = edfi.as_app(("edfi.readonly",), name="district")
    real = _district_ids(edfi)
    other_app: Flask = create_app({"database_url": database_url,
                                   "var_dir": str(tmp_path / "other")})
    again = EdFi(other_app, other_app.test_client(), edfi.engine).signed_in(first_creds)
    for resource in SAME_ITEMS:
        (mine, etags), (theirs, same) = (_ids_in_order(first, resource),
                                         _ids_in_order(second, resource))
        plain, also = _ids_in_order(district, resource)
        assert mine and etags == same == also, resource
        assert all(m != t for m, t in zip(mine, theirs, strict=True)), resource
        assert set(plain) <= real and not set(mine) & real and not set(theirs) & real
        assert _ids_in_order(first, resource) == (mine, etags)  # stable across requests
        assert _ids_in_order(again, resource) == (mine, etags)  # and in another process


def test_no_district_id_in_any_body_or_header_of_a_pseudonymous_app(edfi: EdFi):
    call = edfi.as_app(SCOPES, name="reader", **TERMS)
    district = edfi.as_app(("edfi.readonly",), name="district")
    real = _district_ids(edfi)
    seen_by_app: set[str] = set()
    seen_by_district: set[str] = set()
    for resource in RESOURCES:
        path = f"/ed-fi/{resource}?limit=500&totalCount=true"
        reply = call.get(path)
        assert reply.status_code == 200, (resource, reply.get_json())
        text = reply.get_data(as_text=True) + repr(list(reply.headers.items()))
        assert not _hex_ids(text) & real, resource
        seen_by_app |= _item_ids(reply.get_data(as_text=True))
        items = reply.get_json()
        for item in items[:3]:
            single = call.get(f"/ed-fi/{resource}/{item['id']}")
            assert single.status_code == 200, (resource, single.get_json())
            assert single.get_json() == item
            assert not _hex_ids(single.get_data(as_text=True)
                                + repr(list(single.headers.items()))) & real
        assert items or resource not in SAME_ITEMS, resource
        seen_by_district |= _item_ids(district.get(path).get_data(as_text=True))
    # the same pages show a non-pseudonymous app the district's ids, ids and links alike,
    # one for one
    assert seen_by_district <= real and len(seen_by_district) == len(seen_by_app) > 0
    students = {s["id"] for s in district.get("/ed-fi/students?limit=500").get_json()}
    assert students == {edfi_id("students", p) for p in PEOPLE if p.startswith("stu-")}


def test_by_id_reads_and_writes_take_the_apps_ids_and_refuse_the_districts(edfi: EdFi):
    writer = edfi.as_app(SCOPES, name="writer", **TERMS)
    district = edfi.as_app(("edfi.readonly",), name="district")
    window = "minChangeVersion=" + str(writer.get(
        "/changeQueries/v1/availableChangeVersions").get_json()["newestChangeVersion"] + 1)
    ben = _edfi_ids(writer)["Ben Pupila"]
    school = writer.get("/ed-fi/schools").get_json()[0]["schoolId"]
    body = {"studentReference": {"studentUniqueId": ben},
            "schoolReference": {"schoolId": school}, "entryDate": "2027-01-20",
            "entryGradeLevelDescriptor": "uri://ed-fi.org/GradeLevelDescriptor#Ninth grade"}
    made = writer("POST", "/ed-fi/studentSchoolAssociations", json=body)
    assert made.status_code == 201, made.get_json()
    shown = made.headers["Location"].rsplit("/", 1)[1]
    [theirs] = district.get("/ed-fi/studentSchoolAssociations?entryDate=2027-01-20").get_json()
    real = theirs["id"]
    assert real != shown and real in _district_ids(edfi)
    path = "/ed-fi/studentSchoolAssociations/"
    item = writer.get(path + shown)
    assert item.status_code == 200 and item.get_json()["id"] == shown
    assert writer.get(path + real).status_code == 404
    assert writer.get(path + real.upper()).status_code == 404

    moved = {**body, "entryDate": "2027-01-25"}
    assert writer("PUT", path + real, json=moved).status_code == 404
    assert writer("PUT", path + shown, json={**moved, "id": real}).status_code == 400
    put = writer("PUT", path + shown.upper(), json=moved)
    assert put.status_code == 204, put.get_json()
    assert writer.get(path + shown).get_json()["entryDate"] == "2027-01-25"
    [change] = writer.get(f"{path}keyChanges?{window}").get_json()
    assert change["id"] == shown
    [change] = district.get(f"{path}keyChanges?{window}").get_json()
    assert change["id"] == real

    assert writer("DELETE", path + real).status_code == 404
    assert writer.get(path + shown).status_code == 200
    assert writer("DELETE", path + shown).status_code == 204
    assert writer.get(path + shown).status_code == 404
    [gone] = writer.get(f"{path}deletes?{window}").get_json()
    assert gone["id"] == shown
    assert [g["id"] for g in district.get(f"{path}deletes?{window}").get_json()] == [real]
    changed = writer.get(f"/ed-fi/students?{window}").get_data(as_text=True)
    assert not _hex_ids(changed) & _district_ids(edfi)


def test_another_apps_ids_name_nothing(edfi: EdFi):
    first = edfi.as_app(SCOPES, name="first", **TERMS)
    second = edfi.as_app(SCOPES, name="second", **TERMS)
    item = first.get("/ed-fi/students?limit=1").get_json()[0]
    assert first.get(f"/ed-fi/students/{item['id']}").status_code == 200
    assert second.get(f"/ed-fi/students/{item['id']}").status_code == 404

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
from adapters.records import FamilyMode, Record
from gateway.app import create_app
from gateway.config import SourceConfig
from gateway.model import ROSTER_TABLES
from gateway.sync.runner import run_sync
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
    window = _changes_from_now(writer)
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


# Pseudonymous classes (issue 15): a section's identifier and every reference to it carry the
# app's pseudonym of the class, the one its OneRoster reads show as the class's sourcedId.
CLASS_TERMS = {"sensitive": ["demographics", "birth_date"],
               "pseudonymous_ids": ["people", "classes"]}
CLASS_IDS = ["cls-a", "cls-b"]
SECTION_KEY = ("localCourseCode", "schoolId", "schoolYear", "sectionIdentifier", "sessionName")
SECTIONS_OF = ("/ed-fi/studentSectionAssociations", "/ed-fi/staffSectionAssociations")


def _class_leaks(text: str) -> list[str]:
    return [i for i in CLASS_IDS if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", text)]


def _oneroster_classes(call) -> dict[str, str]:  # noqa: ANN001
    classes = call.get(f"{ROSTER}/classes?limit=100").get_json()["classes"]
    return {c["title"]: c["sourcedId"] for c in classes}


def _sections(call) -> dict[str, dict]:  # noqa: ANN001
    items = conforms("GET", "/ed-fi/sections", call.get("/ed-fi/sections?limit=500"))
    return {s["sectionName"]: s for s in items}


def _section_ref(section: dict) -> dict:
    """A section's key as a sectionReference spells it (what the app was shown)."""
    offering = section["courseOfferingReference"]
    return {**{k: offering[k] for k in SECTION_KEY if k in offering},
            "sectionIdentifier": section["sectionIdentifier"]}


def test_sections_and_their_associations_show_the_apps_class_pseudonym(edfi: EdFi):
    first = edfi.as_app(SCOPES, name="first", **CLASS_TERMS)
    second = edfi.as_app(SCOPES, name="second", **CLASS_TERMS)
    district = edfi.as_app(("edfi.readonly",), name="district")
    mine, theirs = _sections(first), _sections(second)
    ids = {name: s["sectionIdentifier"] for name, s in mine.items()}
    assert ids == _oneroster_classes(first) and len(ids) == 2
    assert {n: s["sectionIdentifier"] for n, s in theirs.items()} == _oneroster_classes(second)
    assert all(theirs[n]["sectionIdentifier"] != ids[n] for n in ids)
    assert {s["sectionIdentifier"] for s in _sections(district).values()} == set(CLASS_IDS)
    # the class has no code of its own: its course offering's code is its sourcedId, shown
    # as the same pseudonym, in the offering and in the section's reference to it
    codes = {o["localCourseCode"] for o in first.get("/ed-fi/courseOfferings").get_json()}
    assert codes == set(ids.values())
    assert all(s["courseOfferingReference"]["localCourseCode"] == s["sectionIdentifier"]
               for s in mine.values())
    shown = set(ids.values())
    for path in SECTIONS_OF:
        items = conforms("GET", path, first.get(path + "?limit=500"))
        assert items and {i["sectionReference"]["sectionIdentifier"] for i in items} == shown
        assert {i["sectionReference"]["localCourseCode"] for i in items} == shown
        single = first.get(f"{path}/{items[0]['id']}").get_json()
        assert single["sectionReference"] == items[0]["sectionReference"]


def test_query_by_example_takes_the_pseudonym_and_not_the_district_id(edfi: EdFi):
    call = edfi.as_app(SCOPES, name="asker", **CLASS_TERMS)
    other = edfi.as_app(SCOPES, name="other", **CLASS_TERMS)
    alder = _sections(call)["Algebra I (A)"]["sectionIdentifier"]
    theirs = _sections(other)["Algebra I (A)"]["sectionIdentifier"]

    def names(query: str) -> list[str]:
        reply = call.get(query)
        assert reply.status_code == 200, reply.get_json()
        return [i.get("sectionName") or i.get("localCourseTitle") for i in reply.get_json()]

    assert names(f"/ed-fi/sections?sectionIdentifier={alder}") == ["Algebra I (A)"]
    assert names(f"/ed-fi/sections?sectionIdentifier={alder.upper()}") == ["Algebra I (A)"]
    assert names(f"/ed-fi/courseOfferings?localCourseCode={alder}") == ["Algebra I (A)"]
    for value in ("cls-a", theirs, "0" * 32):  # the district's id, another app's, nobody's
        assert names(f"/ed-fi/sections?sectionIdentifier={value}") == []
        assert names(f"/ed-fi/courseOfferings?localCourseCode={value}") == []
        assert call.get(f"/ed-fi/sections?sectionIdentifier={value}&totalCount=true"
                        ).headers["Total-Count"] == "0"


def _section_enrolment(student: str, section: dict, begin: str) -> dict:
    return {"studentReference": {"studentUniqueId": student},
            "sectionReference": _section_ref(section), "beginDate": begin}


def _changes_from_now(call) -> str:  # noqa: ANN001
    """The change-query window that starts after the newest change the app can see now."""
    newest = call.get("/changeQueries/v1/availableChangeVersions").get_json()[
        "newestChangeVersion"]
    return f"minChangeVersion={newest + 1}"


def _problem(reply) -> dict:  # noqa: ANN001
    return {k: v for k, v in reply.get_json().items() if k != "correlationId"}


def test_a_write_naming_a_section_by_pseudonym_lands_on_the_real_class(edfi: EdFi):
    writer = edfi.as_app(SCOPES, name="writer", **CLASS_TERMS)
    district = edfi.as_app(("edfi.readonly",), name="district")
    window = _changes_from_now(writer)
    alder = _sections(writer)["Algebra I (A)"]
    ben = _edfi_ids(writer)["Ben Pupila"]
    path = "/ed-fi/studentSectionAssociations"
    made = writer("POST", path, json=_section_enrolment(ben, alder, "2027-01-20"))
    assert made.status_code == 201, made.get_json()
    [seen] = district.get(f"{path}?beginDate=2027-01-20").get_json()
    assert seen["sectionReference"]["sectionIdentifier"] == "cls-a"
    with edfi.engine.connect() as conn:
        table = ROSTER_TABLES["enrollments"]
        assert conn.execute(select(table.c.class_id, table.c.user_id).where(
            table.c.source.like("app:%"))).all() == [("cls-a", "stu-a2")]
    [mine] = writer.get(f"{path}?beginDate=2027-01-20").get_json()
    assert mine["sectionReference"] == {**_section_ref(alder),
                                        "link": mine["sectionReference"]["link"]}

    # the district's keys of the section, another app's pseudonym and an unknown value all
    # answer alike: no such section
    other = _sections(edfi.as_app(SCOPES, name="other", **CLASS_TERMS))["Algebra I (A)"]
    real = {**alder, "sectionIdentifier": "cls-a",
            "courseOfferingReference": {**alder["courseOfferingReference"],
                                        "localCourseCode": "cls-a"}}
    unknown = {**alder, "sectionIdentifier": "f" * 32}
    replies = [writer("POST", path, json=_section_enrolment(ben, section, "2027-01-21"))
               for section in (real, {**alder, "sectionIdentifier": "cls-a"}, other, unknown)]
    assert {r.status_code for r in replies} == {409}
    assert all(_problem(r) == _problem(replies[-1]) for r in replies), [_problem(r)
                                                                          for r in replies]
    assert not _class_leaks(repr([r.get_json() for r in replies]))
    assert district.get(f"{path}?beginDate=2027-01-21").get_json() == []

    # a key change and a delete are shown with the pseudonym too
    shown = made.headers["Location"].rsplit("/", 1)[1]
    moved = writer("PUT", f"{path}/{shown}",
                   json=_section_enrolment(ben, alder, "2027-01-22"))
    assert moved.status_code == 204, moved.get_json()
    [change] = writer.get(f"{path}/keyChanges?{window}").get_json()
    assert change["oldKeyValues"]["sectionIdentifier"] == alder["sectionIdentifier"]
    assert change["newKeyValues"]["localCourseCode"] == alder["sectionIdentifier"]
    assert change["newKeyValues"]["beginDate"] == "2027-01-22"
    assert "@class" not in change["oldKeyValues"]
    [plain] = district.get(f"{path}/keyChanges?{window}").get_json()
    assert plain["oldKeyValues"]["sectionIdentifier"] == "cls-a"
    assert set(plain["oldKeyValues"]) == set(change["oldKeyValues"])
    assert writer("DELETE", f"{path}/{shown}").status_code == 204
    [gone] = writer.get(f"{path}/deletes?{window}").get_json()
    assert gone["keyValues"]["sectionIdentifier"] == alder["sectionIdentifier"]
    [gone] = district.get(f"{path}/deletes?{window}").get_json()
    assert gone["keyValues"]["sectionIdentifier"] == "cls-a"


def test_an_app_shown_class_pseudonyms_does_not_write_sections(edfi: EdFi):
    writer = edfi.as_app(SCOPES, name="writer", **CLASS_TERMS)
    alder = _sections(writer)["Algebra I (A)"]
    body = {k: v for k, v in alder.items() if not k.startswith("_") and k != "id"}
    for method, path in (("POST", "/ed-fi/sections"), ("PUT", f"/ed-fi/sections/{alder['id']}"),
                         ("DELETE", f"/ed-fi/sections/{alder['id']}")):
        reply = writer(method, path, json=body)
        assert reply.status_code == 403, (method, reply.get_json())
    assert writer("POST", "/ed-fi/courseOfferings", json={}).status_code == 403
    assert _sections(writer)["Algebra I (A)"] == alder


def _district_writes(edfi: EdFi) -> None:
    """A second section of cls-a's course offering comes from another source (its
    localCourseCode copied from the offering's, which is cls-a's sourcedId); an app with the
    district's keys enrols a student in cls-a, moves the enrolment's begin date and deletes
    it: the pages, /keyChanges and /deletes then name the classes."""
    events = [FamilyMode("classes", "delta", "classes.csv"),
              Record("classes", "cls-a2", {"title": "Algebra I, second section",
                                           "classCode": "ALG-2", "localCourseCode": "cls-a",
                                           "classType": "scheduled", "course": "crs-a",
                                           "school": "sch-a", "terms": ["fall"]},
                     file="classes.csv", line=2, status="active")]
    report = run_sync(edfi.engine, SourceConfig(name="sis2", adapter="test"), iter(events),
                      adapter_name="test")
    assert report.state == "applied", report.issues[:3]
    sis = edfi.as_app(("edfi.readonly", "edfi.write"), name="sis push")
    second = _sections(sis)["Algebra I, second section"]
    assert second["courseOfferingReference"]["localCourseCode"] == "cls-a"
    ana = sis.get("/ed-fi/students?limit=500").get_json()[0]["studentUniqueId"]
    path = "/ed-fi/studentSectionAssociations"
    posted = sis("POST", path, json=_section_enrolment(ana, second, "2027-02-01"))
    assert posted.status_code == 201, posted.get_json()
    item = posted.headers["Location"].rsplit("/", 1)[1]
    assert sis("PUT", f"{path}/{item}", json=_section_enrolment(
        ana, second, "2027-02-02")).status_code == 204
    assert sis("DELETE", f"{path}/{item}").status_code == 204


def test_no_district_class_id_in_any_body_of_an_app_shown_class_pseudonyms(edfi: EdFi):
    _district_writes(edfi)
    call = edfi.as_app(SCOPES, name="reader", **CLASS_TERMS)
    district = edfi.as_app(("edfi.readonly",), name="district")
    alder = _sections(call)["Algebra I (A)"]["sectionIdentifier"]
    second = _sections(call)["Algebra I, second section"]
    assert second["courseOfferingReference"]["localCourseCode"] == alder
    assert second["sectionIdentifier"] not in (alder, "ALG-2")
    assert second["sectionIdentifier"] == _oneroster_classes(call)["Algebra I, second section"]
    seen = 0
    for resource in RESOURCES:
        for path in (f"/ed-fi/{resource}?limit=500", f"/ed-fi/{resource}/deletes",
                     f"/ed-fi/{resource}/keyChanges"):
            reply = call.get(path)
            assert reply.status_code == 200, (path, reply.get_json())
            text = reply.get_data(as_text=True)
            assert _class_leaks(text) == [], path
            seen += len(_class_leaks(district.get(path).get_data(as_text=True)))
            for item in reply.get_json()[:5] if "?" in path else []:
                single = call.get(f"/ed-fi/{resource}/{item['id']}").get_data(as_text=True)
                assert _class_leaks(single) == [], (resource, single)
    assert seen > 0  # the district's app is shown them on the same pages

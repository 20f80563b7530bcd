"""Ed-Fi under a pseudonymous agreement (issue 15 section 2): the person keys an app is shown
on Ed-Fi are the same pseudonyms its OneRoster reads show (one per person and app), no district
id of a person appears in any body, and a write by pseudonym lands on the real person."""

from __future__ import annotations

import base64
import re

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
        return writer("POST", "/ed-fi/studentSchoolAssociations", json={
            "studentReference": {"studentUniqueId": unique},
            "schoolReference": {"schoolId": school}, "entryDate": "2027-01-20",
            "entryGradeLevelDescriptor": "uri://ed-fi.org/GradeLevelDescriptor#Ninth grade"})
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

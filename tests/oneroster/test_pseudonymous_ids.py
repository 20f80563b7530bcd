"""Pseudonymous ids on OneRoster (issue 15 section 2): an app whose agreement says
`pseudonymous_ids` sees its own stable pseudonyms of people (and, if set, classes) in every
body, looks rows up and filters by them, and writes grades with them; the district's ids
appear nowhere in what it receives and answer as unknown ids do."""

from __future__ import annotations

import re
from typing import Any

import pytest

from gateway.app import create_app
from gateway.policy.disclosures import history
from tests.disclosure_log import settle
from tests.oneroster.conftest import ALL_READ_SCOPES

V12 = "/ims/oneroster/rostering/v1p2"
V11 = "/ims/oneroster/v1p1"
GB = "/ims/oneroster/gradebook/v1p2"
SCHOOLS = "ab"
STUDENTS = [f"stu-{s}{n}" for s in SCHOOLS for n in range(1, 6)]
PARENTS = [f"par-{s}{n}" for s in SCHOOLS for n in range(1, 6)]
TEACHERS = [f"tch-{s}" for s in SCHOOLS]
PEOPLE = STUDENTS + PARENTS + TEACHERS
# every id of a person or of one person's row the district holds
PERSON_IDS = PEOPLE + [f"e-{p}" for p in STUDENTS + TEACHERS] + [f"res-{s}" for s in STUDENTS]
CLASS_IDS = [f"cls-{s}" for s in SCHOOLS]
SCOPES = [*ALL_READ_SCOPES, "gradebook.createput", "gradebook.delete"]
PAGES = [f"{V12}/users", f"{V12}/students", f"{V12}/teachers", f"{V12}/enrollments",
         f"{V12}/demographics", f"{V12}/classes", f"{GB}/results", f"{GB}/lineItems",
         f"{V11}/users", f"{V11}/enrollments", f"{V11}/results", f"{V11}/demographics",
         f"{V12}/classes/cls-a/students"]


def _leaks(text: str, ids: list[str]) -> list[str]:
    """Real ids found in a body, as whole ids (stu-a1 is in stu-a10 only as a prefix)."""
    return [i for i in ids if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", text)]


def _terms(**terms: Any) -> dict[str, Any]:
    return {"scopes": SCOPES, "sensitive": ["demographics"], "pseudonymous_ids": True,
            **terms}


def _pseudonymous(api, **terms: Any):  # noqa: ANN001, ANN202
    return api.as_app(**_terms(**terms))


def _by_name(call, path: str = f"{V12}/students") -> dict[str, str]:  # noqa: ANN001
    body = call(path + "?limit=100").get_json()
    return {f"{u['givenName']} {u['familyName']}": u["sourcedId"] for u in body[
        next(iter(body))]}


def test_no_district_id_of_a_person_leaves_on_any_page(api):
    call = _pseudonymous(api)
    for page in PAGES:
        reply = call(page)
        assert reply.status_code == 200, (page, reply.get_json())
        text = reply.get_data(as_text=True)
        assert _leaks(text, PERSON_IDS) == [], page
        assert '"sourcedId"' in text


def test_pseudonyms_are_stable_per_app_and_differ_between_apps(api, database_url, tmp_path):
    token = api.token(*api.register(**_terms(name="first")))
    headers = {"Authorization": f"Bearer {token}"}

    def first(path: str, **kw: Any):  # noqa: ANN202
        return api.client.open(path, headers=headers, **kw)

    second = _pseudonymous(api, name="second")
    mine, theirs = _by_name(first), _by_name(second)
    assert set(mine) == set(theirs) and len(mine) == len(STUDENTS)
    assert all(mine[n] != theirs[n] for n in mine)
    assert _by_name(first) == mine
    assert _by_name(first, f"{V11}/students") == mine  # 1.1 and 1.2 agree
    # another process (a fresh app over the same store) shows the same pseudonyms
    fresh = create_app({"database_url": database_url, "var_dir": str(tmp_path / "other")})
    body = fresh.test_client().get(f"{V12}/students?limit=100", headers=headers).get_json()
    assert {f"{u['givenName']} {u['familyName']}": u["sourcedId"]
            for u in body["users"]} == mine


def test_references_carry_the_same_pseudonyms_as_the_rows(api):
    call = _pseudonymous(api)
    students = set(_by_name(call).values())
    enrolled = {e["user"]["sourcedId"] for e in call(f"{V12}/enrollments?limit=100")
                .get_json()["enrollments"] if e["role"] == "student"}
    graded = {r["student"]["sourcedId"] for r in call(f"{GB}/results").get_json()["results"]}
    demographics = {d["sourcedId"] for d in call(f"{V12}/demographics").get_json()[
        "demographics"]}
    assert enrolled == graded == demographics == students
    user = call(f"{V12}/users?limit=100").get_json()["users"]
    agents = {a["sourcedId"] for u in user for a in u.get("agents", [])}
    ids = {u["sourcedId"] for u in user}
    assert agents and agents <= ids
    for u in user:
        for a in u.get("agents", []):
            assert a["href"].endswith("/users/" + a["sourcedId"])


def test_lookups_take_the_pseudonym_and_not_the_district_id(api):
    call = _pseudonymous(api)
    names = _by_name(call)
    ana = names["Ana Pupila"]
    found = call(f"{V12}/users/{ana}")
    assert found.status_code == 200 and found.get_json()["user"]["givenName"] == "Ana"
    assert call(f"{V11}/students/{ana}").status_code == 200
    assert call(f"{V12}/demographics/{ana}").status_code == 200
    classes = call(f"{V12}/students/{ana}/classes").get_json()["classes"]
    assert [c["sourcedId"] for c in classes] == ["cls-a"]
    for path in (f"{V12}/users/stu-a1", f"{V12}/students/stu-a1/classes",
                 f"{V12}/demographics/stu-a1", f"{V12}/enrollments/e-stu-a1",
                 f"{GB}/results/res-stu-a1"):
        refused, unknown = call(path), call(path.replace("stu-a1", "nobody-9"))
        assert refused.status_code == unknown.status_code == 404, path
        assert refused.get_data(as_text=True).replace("stu-a1", "X") == \
            unknown.get_data(as_text=True).replace("nobody-9", "X")
    enrollment = call(f"{V12}/enrollments?filter=user.sourcedId='{ana}'").get_json()
    [mine] = enrollment["enrollments"]
    assert call(f"{V12}/enrollments/{mine['sourcedId']}").status_code == 200


def test_filters_compare_pseudonyms(api):
    call = _pseudonymous(api)
    ana = _by_name(call)["Ana Pupila"]

    def count(path: str) -> int:
        reply = call(path)
        assert reply.status_code == 200, reply.get_json()
        return int(reply.headers["X-Total-Count"])

    assert count(f"{V12}/users?filter=sourcedId='{ana}'") == 1
    assert count(f"{V12}/users?filter=sourcedId='stu-a1'") == 0
    assert count(f"{V12}/users?filter=sourcedId!='stu-a1'") == count(f"{V12}/users")
    assert count(f"{V12}/users?filter=agents.sourcedId='{ana}'") == 1
    assert count(f"{V12}/enrollments?filter=user.sourcedId='stu-a1'") == 0
    assert count(f"{GB}/results?filter=student.sourcedId='{ana}'") == 1
    refused = call(f"{V12}/users?filter=sourcedId~'stu'")
    assert refused.status_code == 400


def test_pseudonymous_classes(api):
    call = _pseudonymous(api, pseudonymous_ids=["people", "classes"])
    for page in PAGES[:-1]:
        text = call(page).get_data(as_text=True)
        assert _leaks(text, PERSON_IDS + CLASS_IDS) == [], page
    classes = {c["title"]: c["sourcedId"] for c in call(f"{V12}/classes").get_json()["classes"]}
    alder = classes["Algebra I (A)"]
    students = call(f"{V12}/classes/{alder}/students").get_json()["users"]
    assert len(students) == 5
    assert call(f"{V12}/classes/cls-a/students").status_code == 404
    items = call(f"{GB}/lineItems?filter=class.sourcedId='{alder}'").get_json()["lineItems"]
    assert [i["class"]["sourcedId"] for i in items] == [alder]
    enrollments = call(f"{V12}/enrollments?limit=100").get_json()["enrollments"]
    assert {e["class"]["sourcedId"] for e in enrollments} == set(classes.values())


def _result(student: str, line_item: str = "li-a") -> dict[str, Any]:
    return {"result": {"lineItem": {"sourcedId": line_item}, "student": {"sourcedId": student},
                       "scoreStatus": "fully graded", "score": 9, "scoreDate": "2026-09-10"}}


def test_a_grade_written_by_pseudonym_lands_on_the_real_student(api):
    call = _pseudonymous(api)
    ben = _by_name(call)["Ben Pupila"]
    written = call(f"{GB}/results/r-mine-1", method="PUT", json=_result(ben))
    assert written.status_code == 201, written.get_json()
    assert written.get_json()["result"]["student"]["sourcedId"] == ben
    assert written.get_json()["result"]["sourcedId"] == "r-mine-1"  # its own id, kept
    district = api.as_app(scopes=SCOPES, name="district view")
    stored = district(f"{GB}/results/r-mine-1").get_json()["result"]
    assert stored["student"]["sourcedId"] == "stu-a2"
    assert call(f"{GB}/results/r-mine-1").get_json()["result"]["score"] == 9
    refused = call(f"{GB}/results/r-mine-2", method="PUT", json=_result("stu-a2"))
    unknown = call(f"{GB}/results/r-mine-2", method="PUT", json=_result("nobody-9"))
    assert refused.status_code == unknown.status_code == 422
    assert district(f"{GB}/results/r-mine-2").status_code == 404
    # a district result's id, real or pseudonymous, is not the app's to overwrite
    assert call(f"{GB}/results/res-stu-a1", method="PUT", json=_result(ben)).status_code \
        == 404
    theirs = call(f"{GB}/results?filter=student.sourcedId='{ben}'").get_json()["results"]
    pseudonym = next(r["sourcedId"] for r in theirs if r["sourcedId"] != "r-mine-1")
    assert call(f"{GB}/results/{pseudonym}", method="PUT", json=_result(ben)).status_code \
        == 403
    assert call(f"{GB}/results/r-mine-1", method="DELETE").status_code == 204


def test_the_disclosure_log_names_the_real_student(api):
    call = _pseudonymous(api)
    ana = _by_name(call)["Ana Pupila"]
    assert call(f"{V12}/users/{ana}").status_code == 200
    settle(api.app)
    endpoints = [h["endpoint"] for h in history(api.engine, "stu-a1")]
    assert f"{V12}/users/{ana}" in endpoints


@pytest.mark.parametrize("terms, message", [
    ({"pseudonymous_ids": True, "sensitive": ["identifiers"]}, "identifiers"),
    ({"pseudonymous_ids": ["pupils"]}, "pseudonymous_ids must be"),
    ({"pseudonymous_ids": "yes"}, "pseudonymous_ids must be"),
])
def test_agreements_that_would_undo_the_pseudonyms_are_refused(terms, message):
    from gateway.policy.agreement import AgreementError, parse_agreement
    doc = {"name": "x", "purpose": "instruction", "expires": "2099-12-31",
           "scopes": ["roster.readonly"], **terms}
    with pytest.raises(AgreementError, match=message):
        parse_agreement(doc)


def test_pseudonymous_classes_combine_with_ed_fi_scopes():
    """Ed-Fi's section keys carry the class pseudonyms too (tests/edfi/
    test_pseudonymous_agreement.py), so the agreement promises nothing it cannot keep."""
    from gateway.policy.agreement import from_document, parse_agreement
    doc = {"name": "x", "purpose": "instruction", "expires": "2099-12-31",
           "scopes": ["edfi.readonly", "edfi.write", "roster.readonly"],
           "pseudonymous_ids": ["people", "classes"]}
    agreement = parse_agreement(doc)
    assert agreement.pseudonymous("classes") and agreement.pseudonymous("people")
    assert from_document(agreement.document()) == agreement
    only = parse_agreement({**doc, "pseudonymous_ids": ["classes"]})
    assert only.pseudonymous_ids == frozenset({"classes"})


def test_the_setting_round_trips_through_the_stored_document():
    from gateway.policy.agreement import from_document, parse_agreement
    doc = {"name": "x", "purpose": "instruction", "expires": "2099-12-31",
           "scopes": ["roster.readonly"], "pseudonymous_ids": ["people", "classes"]}
    agreement = parse_agreement(doc)
    assert from_document(agreement.document()) == agreement
    assert "username" not in agreement.allowed_fields("users")
    old = {**agreement.document(), "pseudonymous_ids": False}
    assert from_document(old).pseudonymous_ids == frozenset()

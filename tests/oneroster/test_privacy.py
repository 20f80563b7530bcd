"""The policy layer on every read path: scoping by school (BOLA), the field allowlist (BOPLA),
OR filters that must not widen scope, parents' opt-outs, and the disclosure log."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from sqlalchemy import select

from gateway.model import DisclosedStudent, Disclosure
from gateway.policy.optouts import add_optout
from tests.disclosure_log import settle
from tests.oneroster.spec_check import assert_valid

V12 = "/ims/oneroster/rostering/v1p2"
V11 = "/ims/oneroster/v1p1"
GB12 = "/ims/oneroster/gradebook/v1p2"


@pytest.mark.parametrize("path", [
    f"{V12}/users/stu-b1", f"{V12}/students/stu-b1", f"{V12}/classes/cls-b",
    f"{V12}/enrollments/e-stu-b1", f"{V11}/users/tch-b", f"{V12}/schools/sch-b",
    f"{V12}/schools/sch-b/students", f"{V12}/classes/cls-b/students", f"{GB12}/results/res-stu-b1",
    f"{V12}/demographics/stu-b1",
])
def test_an_app_scoped_to_school_a_cannot_reach_school_b_objects(api, path):
    get = api.as_app(schools=["sch-a"], sensitive=["demographics"])
    assert get(path).status_code == 404


def test_collections_of_a_school_scoped_app_hold_only_its_school(api):
    get = api.as_app(schools=["sch-a"])
    users = get(f"{V12}/users").get_json()["users"]
    assert {u["sourcedId"] for u in users} == {"tch-a", *(f"stu-a{n}" for n in range(1, 6)),
                                               *(f"par-a{n}" for n in range(1, 6))}
    orgs = {o["sourcedId"] for o in get(f"{V12}/orgs").get_json()["orgs"]}
    assert orgs == {"dist", "sch-a"}


def test_an_or_in_a_filter_cannot_escape_the_app_scope(api):
    get = api.as_app(schools=["sch-a"])
    escape = quote("sourcedId='stu-b1' OR sourcedId!='nothing'")
    response = get(f"{V12}/users?filter={escape}")
    ids = {u["sourcedId"] for u in response.get_json()["users"]}
    assert "stu-b1" not in ids
    assert int(response.headers["X-Total-Count"]) == len(ids) == 11


def test_fields_outside_the_allowlist_never_appear(api):
    get = api.as_app(fields={"users": ["givenName", "familyName", "roles"]})
    users = get(f"{V12}/users").get_json()["users"]
    assert all("email" not in u and "username" not in u for u in users)
    assert get(f"{V12}/users?fields=email").status_code == 400
    assert get(f"{V12}/users?filter=" + quote("email~'example'")).status_code == 400
    assert get(f"{V12}/users?sort=email").status_code == 400
    response = get(f"{V12}/users/stu-a1")
    assert set(response.get_json()["user"]) == {"sourcedId", "status", "dateLastModified",
                                                 "givenName", "familyName", "roles"}
    assert_valid("GET", f"{V12}/users/stu-a1", response, partial=True)


def test_contact_details_are_withheld_unless_the_agreement_grants_them(api):
    plain = api.as_app()
    assert "email" not in plain(f"{V12}/users/stu-a1").get_json()["user"]
    granted = api.as_app(sensitive=["contact"])
    assert granted(f"{V12}/users/stu-a1").get_json()["user"]["email"] == "stu-a1@example.org"


def test_demographics_need_the_sensitive_grant_as_well_as_the_scope(api):
    assert api.as_app()(f"{V12}/demographics").status_code == 403
    granted = api.as_app(sensitive=["demographics"])
    demo = granted(f"{V12}/demographics/stu-a1").get_json()["demographics"]
    assert "birthDate" not in demo  # birth date is its own category
    assert demo["sex"] == "female"


def test_an_opted_out_student_is_absent_from_every_path(api):
    client_id, secret = api.register()
    token = api.token(client_id, secret)
    add_optout(api.engine, "stu-a2", client_id)

    def get(path: str):  # noqa: ANN202
        return api.client.get(path, headers={"Authorization": f"Bearer {token}"})

    for path in (f"{V12}/users/stu-a2", f"{V12}/students/stu-a2", f"{V11}/users/stu-a2",
                 f"{V12}/enrollments/e-stu-a2", f"{GB12}/results/res-stu-a2",
                 f"{V12}/students/stu-a2/classes"):
        assert get(path).status_code == 404, path
    collections = {
        f"{V12}/users": "users", f"{V12}/students": "users", f"{V11}/students": "users",
        f"{V12}/classes/cls-a/students": "users", f"{V12}/schools/sch-a/students": "users",
        f"{V12}/enrollments": "enrollments", f"{V12}/schools/sch-a/enrollments": "enrollments",
        f"{V12}/schools/sch-a/classes/cls-a/students": "users",
        f"{GB12}/results": "results", f"{GB12}/classes/cls-a/results": "results",
        f"{GB12}/classes/cls-a/lineItems/li-a/results": "results",
    }
    for path, key in collections.items():
        body = get(path).get_json()[key]
        assert body, path
        assert not any("stu-a2" in (str(obj)) for obj in body), path
    other_app = api.as_app()
    assert other_app(f"{V12}/users/stu-a2").status_code == 200  # opted out of one app only


def test_an_all_apps_opt_out_hides_the_student_from_every_app(api):
    add_optout(api.engine, "stu-b3")
    assert api.as_app()(f"{V12}/users/stu-b3").status_code == 404


def _disclosures(api):  # noqa: ANN001, ANN202
    settle(api.app)
    with api.engine.connect() as conn:
        rows = conn.execute(select(Disclosure.__table__)).all()
        students = conn.execute(select(DisclosedStudent.__table__)).all()
    return rows, {(s.disclosure_id, s.student_id) for s in students}


def test_each_response_with_student_data_leaves_exactly_the_right_disclosure(api):
    get = api.as_app(schools=["sch-a"], fields={"users": ["givenName", "roles"]})
    get(f"{V12}/orgs")
    get(f"{V12}/classes")
    get(f"{V12}/teachers")
    assert _disclosures(api) == ([], set())
    get(f"{V12}/students/stu-a1")
    rows, students = _disclosures(api)
    assert len(rows) == 1
    assert students == {(rows[0].id, "stu-a1")}
    assert rows[0].endpoint == f"{V12}/students/stu-a1"
    assert rows[0].fields == ("users.sourcedId,users.status,users.dateLastModified,"
                              "users.givenName,users.roles")
    get(f"{V12}/classes/cls-a/students?limit=2&sort=sourcedId")
    rows, students = _disclosures(api)
    assert len(rows) == 2
    assert {s for d, s in students if d == rows[1].id} == {"stu-a1", "stu-a2"}
    get(f"{V12}/users?filter=" + quote("sourcedId='par-a1'"))  # a parent, not a student
    assert len(_disclosures(api)[0]) == 2


def test_the_disclosure_log_is_hash_chained(api):
    from gateway.policy.disclosures import history, verify_chain

    get = api.as_app()
    get(f"{V12}/students/stu-a1")
    get(f"{V12}/enrollments/e-stu-a1")
    settle(api.app)
    with api.engine.connect() as conn:
        assert verify_chain(conn) is None
    assert [h["endpoint"] for h in history(api.engine, "stu-a1")] == [
        f"{V12}/students/stu-a1", f"{V12}/enrollments/e-stu-a1"]
    with api.engine.begin() as conn:
        conn.execute(Disclosure.__table__.update().where(Disclosure.__table__.c.id == 1)
                     .values(fields="users.sourcedId"))
    with api.engine.connect() as conn:
        assert verify_chain(conn) == 1

"""The order a pseudonymous app's listings come in (issue 15, "pseudonymous ids"): two apps
under pseudonymous agreements must not be able to join their data by position. Each lists
people (and every row that is one person's) in its own key's order, which is the order of
the ids it is shown; paging walks that order exactly once; a sort's ties and
`sort=sourcedId` follow it; an app shown the district's ids keeps the district's order.

The district is one school of 450 students, so a listing spans several pages and the deep
pages (offsets past 200) take the read engine's anchored path. A student's givenName is its
district id's number: what lets the test see the district ids behind a pseudonymous page.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, func, select

from gateway.model import PSEUDONYM_ORDER, PSEUDONYM_ORDER_MARKS, App
from tests.oneroster.conftest import (
    ALL_READ_SCOPES,
    Api,
    app_on_one_school,
    sync_one_school,
)
from tests.oneroster.district import FAMILY_NAMES

V12 = "/ims/oneroster/rostering/v1p2"
GB = "/ims/oneroster/gradebook/v1p2"
STUDENTS = 450
DISTRICT_ORDER = [f"stu-{n:04d}" for n in range(STUDENTS)]
TERMS = {"scopes": ALL_READ_SCOPES, "pseudonymous_ids": True}


@pytest.fixture
def school(engine, database_url, tmp_path, store_snapshots) -> Api:
    app = app_on_one_school(engine, database_url, tmp_path, store_snapshots, STUDENTS)
    return Api(app, app.test_client(), engine)


def _all(call, path: str, limit: int = 100, query: str = "") -> list[dict[str, Any]]:  # noqa: ANN001
    """Every row of a listing, page by page (limit/offset), checking the total."""
    rows: list[dict[str, Any]] = []
    while True:
        reply = call(f"{path}?limit={limit}&offset={len(rows)}{query}")
        assert reply.status_code == 200, reply.get_json()
        body = reply.get_json()
        page = body[next(iter(body))]
        rows += page
        if len(page) < limit:
            assert int(reply.headers["X-Total-Count"]) == len(rows)
            return rows


def _real(users: list[dict[str, Any]]) -> list[str]:
    return [f"stu-{u['givenName']}" for u in users]


def _students(call) -> list[dict[str, Any]]:  # noqa: ANN001
    return _all(call, f"{V12}/students")


def _rank_correlation(first: list[str], second: list[str]) -> float:
    """Spearman's rho between two orders of the same items (1: same order)."""
    where = {item: i for i, item in enumerate(second)}
    n = len(first)
    squares = sum((i - where[item]) ** 2 for i, item in enumerate(first))
    return 1 - 6 * squares / (n * (n * n - 1))


def test_two_pseudonymous_apps_list_the_same_people_in_unrelated_orders(school):
    first, second = school.as_app(**TERMS, name="first"), school.as_app(**TERMS, name="second")
    district = school.as_app(scopes=ALL_READ_SCOPES, name="district")
    mine, theirs = _students(first), _students(second)
    real_mine, real_theirs = _real(mine), _real(theirs)
    assert _real(_students(district)) == DISTRICT_ORDER  # unchanged for the district's ids
    assert sorted(real_mine) == sorted(real_theirs) == DISTRICT_ORDER
    assert real_mine != DISTRICT_ORDER and real_theirs != DISTRICT_ORDER
    # a person's place in one app's listing says nothing of its place in the other's
    assert sum(a == b for a, b in zip(real_mine, real_theirs, strict=True)) < 10
    assert abs(_rank_correlation(real_mine, real_theirs)) < 0.25
    assert abs(_rank_correlation(real_mine, DISTRICT_ORDER)) < 0.25
    # each app's order is the order of the ids it is shown
    for rows in (mine, theirs):
        shown = [u["sourcedId"] for u in rows]
        assert shown == sorted(shown)


def test_enrollments_and_results_come_in_each_apps_own_order(school):
    apps = [school.as_app(**TERMS, name=name) for name in ("first", "second")]
    orders = []
    for call in apps:
        real = dict(zip((u["sourcedId"] for u in _students(call)), _real(_students(call)),
                        strict=True))
        enrolled = _all(call, f"{V12}/enrollments")
        graded = _all(call, f"{GB}/results")
        for rows in (enrolled, graded):
            shown = [r["sourcedId"] for r in rows]
            assert shown == sorted(shown)
        orders.append(([real[e["user"]["sourcedId"]] for e in enrolled],
                       [real[r["student"]["sourcedId"]] for r in graded]))
    for one, other in zip(*orders, strict=True):
        assert sorted(one) == sorted(other) == DISTRICT_ORDER
        assert one != DISTRICT_ORDER and other != DISTRICT_ORDER
        assert abs(_rank_correlation(one, other)) < 0.25


@pytest.mark.parametrize("limit", [37, 100])
def test_paging_returns_each_row_once_in_a_stable_order(school, limit):
    call = school.as_app(**TERMS)
    everything = call(f"{V12}/students?limit=1000").get_json()["users"]
    paged = _students(call) if limit == 100 else _all(call, f"{V12}/students", limit)
    ids = [u["sourcedId"] for u in paged]
    assert len(ids) == len(set(ids)) == STUDENTS
    assert ids == [u["sourcedId"] for u in everything]
    again = _all(call, f"{V12}/students", limit)  # the deep pages' anchors, now cached
    assert [u["sourcedId"] for u in again] == ids
    deep = call(f"{V12}/students?limit=10&offset=413").get_json()["users"]
    assert [u["sourcedId"] for u in deep] == ids[413:423]


def test_a_sort_on_family_name_breaks_ties_by_the_apps_own_key(school):
    first, second = school.as_app(**TERMS, name="first"), school.as_app(**TERMS, name="second")
    district = school.as_app(scopes=ALL_READ_SCOPES, name="district")
    query = "&sort=familyName"
    groups: list[dict[str, list[str]]] = []
    for call in (first, second, district):
        rows = _all(call, f"{V12}/students", 100, query)
        names = [u["familyName"] for u in rows]
        assert names == sorted(names)
        by_name: dict[str, list[str]] = {}
        for u in rows:
            by_name.setdefault(u["familyName"], []).append(u["sourcedId"])
        groups.append({n: ids for n, ids in by_name.items()})
        if call is not district:
            assert all(ids == sorted(ids) for ids in by_name.values())
            real = {u["sourcedId"]: f"stu-{u['givenName']}" for u in rows}
            groups[-1] = {n: [real[i] for i in ids] for n, ids in by_name.items()}
    mine, theirs, districts = groups
    for name in FAMILY_NAMES:
        assert districts[name] == sorted(districts[name])
        assert sorted(mine[name]) == sorted(theirs[name]) == districts[name]
        assert mine[name] != districts[name] and theirs[name] != districts[name]
        assert mine[name] != theirs[name]


def test_sort_by_sourced_id_follows_the_ids_the_app_is_shown(school):
    call = school.as_app(**TERMS)
    up = [u["sourcedId"] for u in _all(call, f"{V12}/students", 100, "&sort=sourcedId")]
    down = [u["sourcedId"] for u in _all(call, f"{V12}/students", 100,
                                         "&sort=sourcedId&orderBy=desc")]
    assert up == sorted(up) and len(up) == STUDENTS
    assert down == sorted(up, reverse=True)
    by_user = _all(call, f"{V12}/enrollments", 100, "&sort=user")
    users = [e["user"]["sourcedId"] for e in by_user]
    assert users == sorted(users) and set(users) == set(up)
    district = school.as_app(scopes=ALL_READ_SCOPES, name="district")
    assert [u["sourcedId"] for u in _all(district, f"{V12}/students", 100,
                                         "&sort=sourcedId&orderBy=desc")] == \
        DISTRICT_ORDER[::-1]


def test_a_row_the_app_wrote_sorts_by_its_own_id_among_the_pseudonyms(school):
    """The app is shown its own results' ids: its order is still the order of what it sees."""
    call = school.as_app(**{**TERMS, "scopes": [*ALL_READ_SCOPES, "gradebook.createput"]})
    student = _students(call)[7]["sourcedId"]
    body = {"result": {"lineItem": {"sourcedId": "li-a"}, "student": {"sourcedId": student},
                       "scoreStatus": "fully graded", "score": 9, "scoreDate": "2026-09-10"}}
    for own in ("0mine", "8mine", "zmine"):
        assert call(f"{GB}/results/{own}", method="PUT", json=body).status_code == 201
    for query in ("", "&sort=sourcedId"):
        shown = [r["sourcedId"] for r in _all(call, f"{GB}/results", 100, query)]
        assert shown == sorted(shown) and len(shown) == STUDENTS + 3
        assert {"0mine", "8mine", "zmine"} <= set(shown)
        assert shown[-1] == "zmine"


def _app_id(school: Api, name: str) -> int:
    with school.engine.connect() as conn:
        return conn.execute(select(App.id).where(App.name == name)).scalar_one()


def test_the_keys_follow_a_later_sync(school):
    call = school.as_app(**TERMS, name="keyed")
    before = len(_students(call))
    sync_one_school(school.engine, STUDENTS + 10)  # ten more, keyed in the sync
    app_id = _app_id(school, "keyed")
    with school.engine.connect() as conn:
        keyed = conn.execute(select(func.count()).select_from(PSEUDONYM_ORDER).where(
            PSEUDONYM_ORDER.c.app_id == app_id, PSEUDONYM_ORDER.c.family == "users",
            PSEUDONYM_ORDER.c.sourced_id.in_([f"stu-{n:04d}" for n in range(
                STUDENTS, STUDENTS + 10)]))).scalar_one()
    assert keyed == 10
    rows = _students(call)
    shown = [u["sourcedId"] for u in rows]
    assert before == STUDENTS and len(rows) == STUDENTS + 10 and shown == sorted(shown)


def test_a_store_without_an_apps_keys_gets_them_on_its_first_read(school):
    """A store upgraded with pseudonymous apps already registered has no keys for them: the
    first read catches them up and lists every row, in the app's order."""
    call = school.as_app(**TERMS, name="upgraded")
    app_id = _app_id(school, "upgraded")
    with school.engine.begin() as conn:
        for table in (PSEUDONYM_ORDER, PSEUDONYM_ORDER_MARKS):
            conn.execute(delete(table).where(table.c.app_id == app_id))
    rows = _students(call)
    shown = [u["sourcedId"] for u in rows]
    assert len(rows) == STUDENTS and shown == sorted(shown)
    assert _real(rows) != DISTRICT_ORDER

"""Ed-Fi listings under a pseudonymous agreement come in the app's own order (issue 15,
"pseudonymous ids"): students and the associations that are one person's (school and
section associations) are not in the district's sourcedId order, so two apps cannot join
them by position; offset paging and page tokens both walk that order exactly once, and an app
shown the district's ids keeps the district's order. One school of 450 students
(tests/oneroster/district.py `one_school`): a student's firstName is its district id's
number."""

from __future__ import annotations

from typing import Any

import pytest

from tests.edfi.conftest import EdFi
from tests.oneroster.conftest import app_on_one_school, sync_one_school

STUDENTS = 450
DISTRICT_ORDER = [f"stu-{n:04d}" for n in range(STUDENTS)]
SCOPES = ("edfi.readonly",)
TERMS = {"sensitive": ["demographics"], "pseudonymous_ids": True}


@pytest.fixture
def school(engine, database_url, tmp_path, store_snapshots) -> EdFi:
    app = app_on_one_school(engine, database_url, tmp_path, store_snapshots, STUDENTS)
    return EdFi(app, app.test_client(), engine)


def _offset_pages(call, path: str, limit: int = 100) -> list[dict[str, Any]]:  # noqa: ANN001
    items: list[dict[str, Any]] = []
    while True:
        reply = call.get(f"{path}?limit={limit}&offset={len(items)}&totalCount=true")
        assert reply.status_code == 200, reply.get_json()
        page = reply.get_json()
        items += page
        if len(page) < limit:
            assert int(reply.headers["Total-Count"]) == len(items)
            return items


def _token_pages(call, path: str, size: int) -> list[dict[str, Any]]:  # noqa: ANN001
    items: list[dict[str, Any]] = []
    query = f"pageSize={size}"
    while True:
        reply = call.get(f"{path}?{query}")
        assert reply.status_code == 200, reply.get_json()
        items += reply.get_json()
        token = reply.headers.get("Next-Page-Token")
        if token is None:
            return items
        query = f"pageSize={size}&pageToken={token}"


def _real(students: list[dict[str, Any]]) -> list[str]:
    return [f"stu-{s['firstName']}" for s in students]


def _rank_correlation(first: list[str], second: list[str]) -> float:
    where = {item: i for i, item in enumerate(second)}
    n = len(first)
    return 1 - 6 * sum((i - where[x]) ** 2 for i, x in enumerate(first)) / (n * (n * n - 1))


def test_two_pseudonymous_apps_list_students_in_unrelated_orders(school: EdFi):
    first = school.as_app(SCOPES, name="first", **TERMS)
    second = school.as_app(SCOPES, name="second", **TERMS)
    district = school.as_app(SCOPES, name="district")
    assert _real(_offset_pages(district, "/ed-fi/students")) == DISTRICT_ORDER
    mine = _real(_offset_pages(first, "/ed-fi/students"))
    theirs = _real(_offset_pages(second, "/ed-fi/students"))
    assert sorted(mine) == sorted(theirs) == DISTRICT_ORDER
    assert mine != DISTRICT_ORDER and theirs != DISTRICT_ORDER
    assert sum(a == b for a, b in zip(mine, theirs, strict=True)) < 10
    assert abs(_rank_correlation(mine, theirs)) < 0.25


@pytest.mark.parametrize("size", [37, 100])
def test_page_tokens_walk_the_apps_order_once(school: EdFi, size: int):
    call = school.as_app(SCOPES, **TERMS)
    by_offset = _offset_pages(call, "/ed-fi/students", size)
    by_token = _token_pages(call, "/ed-fi/students", size)
    ids = [s["id"] for s in by_token]
    assert len(ids) == len(set(ids)) == STUDENTS
    assert ids == [s["id"] for s in by_offset]
    assert _real(by_token) != DISTRICT_ORDER
    district = school.as_app(SCOPES, name="district")
    assert _real(_token_pages(district, "/ed-fi/students", size)) == DISTRICT_ORDER


@pytest.mark.parametrize("path", ["/ed-fi/studentSchoolAssociations",
                                  "/ed-fi/studentSectionAssociations"])
def test_associations_come_in_each_apps_own_order(school: EdFi, path: str):
    orders = []
    for name in ("first", "second"):
        call = school.as_app(SCOPES, name=name, **TERMS)
        students = _offset_pages(call, "/ed-fi/students")
        real = dict(zip((s["studentUniqueId"] for s in students), _real(students),
                        strict=True))
        items = _offset_pages(call, path)
        orders.append([real[i["studentReference"]["studentUniqueId"]] for i in items])
        assert [i["id"] for i in _token_pages(call, path, 100)] == [i["id"] for i in items]
    mine, theirs = orders
    assert sorted(mine) == sorted(theirs) == DISTRICT_ORDER
    assert mine != DISTRICT_ORDER and theirs != DISTRICT_ORDER
    assert abs(_rank_correlation(mine, theirs)) < 0.25


def test_deletes_of_one_sync_come_in_each_apps_own_order(school: EdFi):
    """Twenty students leave in one sync (one change version): each app's `/deletes` lists
    them in the order of the unique ids it is shown, and the two orders differ."""
    apps = [school.as_app(SCOPES, name=name, **TERMS) for name in ("first", "second")]
    district = school.as_app(SCOPES, name="district")
    sync_one_school(school.engine, STUDENTS - 20)
    orders = []
    for call in (*apps, district):
        reply = call.get("/ed-fi/students/deletes?limit=100")
        assert reply.status_code == 200, reply.get_json()
        shown = [d["keyValues"]["studentUniqueId"] for d in reply.get_json()]
        assert len(shown) == 20 and shown == sorted(shown)
        orders.append(shown)
    mine, theirs, districts = orders
    assert districts == DISTRICT_ORDER[-20:]
    assert set(mine).isdisjoint(theirs) and set(mine).isdisjoint(districts)

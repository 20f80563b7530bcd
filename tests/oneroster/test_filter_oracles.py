"""A filter may only reach values the app may see: a query on something hidden answers exactly
as a query on something that does not exist, so filters cannot be used as oracles."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from adapters.records import FamilyMode, Record
from gateway.config import SourceConfig
from gateway.policy.optouts import add_optout
from gateway.sync.runner import run_sync

V12 = "/ims/oneroster/rostering/v1p2"
V11 = "/ims/oneroster/v1p1"


@pytest.fixture
def counsellor(api):
    """A counsellor who works at both schools: visible to a school-A app through the A role."""
    events = [FamilyMode("users", "bulk", "users.csv"),
              Record("users", "cns", {"enabledUser": "true", "username": "cns",
                                      "givenName": "Cora", "familyName": "Counsel"}),
              FamilyMode("roles", "bulk", "roles.csv")]
    events += [Record("roles", f"r-cns-{s}", {"user": "cns", "roleType": "primary"
                      if s == "a" else "secondary", "role": "teacher", "org": f"sch-{s}"})
               for s in ("a", "b")]
    report = run_sync(api.engine, SourceConfig(name="hr", adapter="test"), iter(events),
                      adapter_name="test")
    assert report.state == "applied", report.issues[:5]
    return api


def _count(get, path: str, expr: str) -> int:
    response = get(f"{path}?filter={quote(expr)}")
    assert response.status_code == 200, response.get_json()
    return int(response.headers["X-Total-Count"])


def test_a_role_at_a_school_outside_the_agreement_does_not_answer_a_filter(counsellor):
    get = counsellor.as_app(schools=["sch-a"])
    assert _count(get, f"{V12}/users", "roles.org.sourcedId='sch-a'") >= 1
    assert _count(get, f"{V12}/users", "roles.org.sourcedId='sch-b'") == \
        _count(get, f"{V12}/users", "roles.org.sourcedId='no-such-school'") == 0
    assert _count(get, f"{V11}/users", "orgs.sourcedId='sch-b'") == 0


def test_a_guardian_cannot_be_found_through_an_opted_out_student(api):
    client_id, secret = api.register()
    token = api.token(client_id, secret)
    add_optout(api.engine, "stu-a2", client_id)

    def get(path: str):  # noqa: ANN202
        return api.client.get(path, headers={"Authorization": f"Bearer {token}"})

    assert _count(get, f"{V12}/users", "agents.sourcedId='stu-a1'") == 1  # a visible student
    assert _count(get, f"{V12}/users", "agents.sourcedId='stu-a2'") == \
        _count(get, f"{V12}/users", "agents.sourcedId='nobody'") == 0
    # `!=` over visible agents only: the opted-out student's guardian matches like any other
    everyone = _count(get, f"{V12}/users", "sourcedId!='nobody'")
    assert _count(get, f"{V12}/users", "agents.sourcedId!='stu-a2'") == everyone


def test_a_guardian_cannot_be_found_through_a_student_of_another_school(api):
    get = api.as_app(schools=["sch-a"])
    assert _count(get, f"{V12}/users", "agents.sourcedId='stu-b1'") == 0

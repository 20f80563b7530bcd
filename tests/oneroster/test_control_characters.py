"""A source row carrying a NUL must not reach the store: on PostgreSQL one NUL in the users'
JSON column made every JSON filter or sort on users answer 500 for every app."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote

from adapters.records import Record
from gateway.config import SourceConfig
from gateway.sync.runner import run_sync
from tests.oneroster.district import two_schools

V12 = "/ims/oneroster/rostering/v1p2"


def test_a_nul_in_a_synced_name_is_refused_and_users_filters_and_sorts_keep_working(api) -> None:
    events = list(two_schools())
    user = next(e for e in events if isinstance(e, Record) and e.family == "users")
    bad = replace(user, fields={**user.fields, "givenName": "Ann\x00e"})
    events = [bad if e is user else e for e in events]
    report = run_sync(api.engine, SourceConfig(name="sis", adapter="test"), iter(events),
                      adapter_name="test")
    refused = [i for i in report.issues if i.level == "error" and i.field == "givenName"]
    assert [(i.sourced_id, "control character" in i.reason) for i in refused] == [
        (user.sourced_id, True)]
    get = api.as_app()
    filtered = get(f"{V12}/users?filter=" + quote("givenName='Ann'"))
    assert filtered.status_code == 200, filtered.get_json()
    assert get(f"{V12}/users?sort=givenName").status_code == 200
    names = [u["givenName"] for u in get(f"{V12}/users?limit=1000").get_json()["users"]]
    assert not any("\x00" in n for n in names)

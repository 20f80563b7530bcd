"""The sync engine, as DESIGN.md describes it: validate, stage, check, diff, apply in one
transaction, refuse what would wipe or corrupt a district, and explain every rejected row."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, event, func, select

from adapters.records import FamilyMode, Issue, Record
from gateway.config import SourceConfig
from gateway.model import LINK_TABLES, ROSTER_TABLES, RunIssue, SyncRun
from gateway.sync.runner import run_sync
from tests.sync.district import district

SIS = SourceConfig(name="sis", adapter="test")


def sync(engine: Engine, events, source: SourceConfig = SIS, **kw):
    return run_sync(engine, source, iter(events), adapter_name="test", **kw)


def rows(engine: Engine, family: str) -> dict[str, dict]:
    table = ROSTER_TABLES[family]
    with engine.connect() as conn:
        return {r.sourced_id: r._asdict() for r in conn.execute(select(table))}


def test_first_sync_inserts_every_family_under_one_change_version(engine):
    report = sync(engine, district(20))
    assert report.state == "applied"
    assert report.change_version == 1
    assert report.counts["users"].inserted == 21
    assert report.counts["enrollments"].inserted == 21
    users = rows(engine, "users")
    assert {u["change_version"] for u in users.values()} == {1}
    assert json.loads(users["stu3"]["data"]) == {
        "enabledUser": True, "username": "stu3", "givenName": "G3", "familyName": "Student",
        "grades": ["09"],
    }
    enrollment = rows(engine, "enrollments")["e-stu3"]
    assert (enrollment["class_id"], enrollment["user_id"], enrollment["role"]) == (
        "k1", "stu3", "student")


def test_resync_of_the_same_input_changes_nothing(engine):
    sync(engine, district(20))
    before = rows(engine, "users")
    report = sync(engine, district(20))
    assert report.state == "unchanged"
    assert report.change_version is None
    assert report.counts["users"].unchanged == 21
    assert rows(engine, "users") == before


def test_a_changed_field_updates_only_that_row_with_a_new_change_version(engine):
    sync(engine, district(20))
    report = sync(engine, district(20, change={"stu4": {"givenName": "Zoë"}}))
    assert report.counts["users"].updated == 1
    assert report.counts["users"].unchanged == 20
    users = rows(engine, "users")
    assert users["stu4"]["change_version"] == 2
    assert json.loads(users["stu4"]["data"])["givenName"] == "Zoë"
    assert users["stu5"]["change_version"] == 1


def test_a_row_missing_from_a_bulk_sync_becomes_a_tombstone(engine):
    sync(engine, district(20))
    report = sync(engine, district(20, skip={"e-stu7"}))
    assert report.counts["enrollments"].deleted == 1
    gone = rows(engine, "enrollments")["e-stu7"]
    assert gone["status"] == "tobedeleted"
    assert gone["change_version"] == 2
    assert json.loads(gone["data"])["user"] == "stu7"  # a tombstone keeps the row


def test_a_tombstoned_row_that_reappears_is_active_again(engine):
    sync(engine, district(20))
    sync(engine, district(20, skip={"e-stu7"}))
    report = sync(engine, district(20))
    assert report.counts["enrollments"].updated == 1
    assert rows(engine, "enrollments")["e-stu7"]["status"] == "active"


def test_mass_delete_safeguard_refuses_a_truncated_export(engine):
    sync(engine, district(20))
    truncated = {f"e-stu{n}" for n in range(1, 6)}  # 5 of 21 enrollments, 24%
    report = sync(engine, district(20, skip=truncated))
    assert report.state == "refused"
    assert "enrollments: would delete 5 of 21" in report.message
    assert all(r["status"] == "active" for r in rows(engine, "enrollments").values())
    forced = sync(engine, district(20, skip=truncated), force=True)
    assert forced.state == "applied"
    assert forced.counts["enrollments"].deleted == 5


def test_safeguard_refuses_a_sync_that_rewrites_most_of_a_family(engine):
    sync(engine, district(20))
    renamed = {f"stu{n}": {"familyName": "Renamed"} for n in range(1, 19)}
    report = sync(engine, district(20, change=renamed))
    assert report.state == "refused"
    assert "users: would update 18 of 21" in report.message


def test_delete_and_update_limits_are_configurable_per_source(engine):
    lax = SourceConfig(name="sis", adapter="test", max_delete_share=0.5)
    sync(engine, district(20), lax)
    report = sync(engine, district(20, skip={f"e-stu{n}" for n in range(1, 6)}), lax)
    assert report.state == "applied"


def test_bad_values_are_reported_with_file_line_field_and_value(engine):
    bad = district(20, change={
        "stu2": {"enabledUser": "yes"},
        "t1": {"startDate": "2026-13-01"},
        "r-stu3": {"role": "wizard"},
        "c1": {"title": ""},
    })
    report = sync(engine, bad)
    found = {(i.family, i.field, i.value, i.reason) for i in report.issues if i.level == "error"}
    assert ("users", "enabledUser", "yes", "not a boolean (true or false)") in found
    assert ("academicSessions", "startDate", "2026-13-01", "not a calendar date") in found
    assert ("courses", "title", "", "required field is missing") in found
    role = next(i for i in report.issues if i.field == "role")
    assert role.file == "roles.csv" and role.line > 1 and "not in the vocabulary" in role.reason


def test_too_many_rejected_rows_apply_nothing(engine):
    report = sync(engine, district(20, change={"stu2": {"enabledUser": "yes"}}))
    assert report.state == "refused"
    assert "more than the source's limit of 1.0%" in report.message
    assert rows(engine, "users") == {}


def test_rejected_rows_are_left_out_and_the_rest_applies_within_the_error_limit(engine):
    tolerant = SourceConfig(name="sis", adapter="test", max_error_share=0.2)
    report = sync(engine, district(20, change={"stu2": {"enabledUser": "yes"}}), tolerant)
    assert report.state == "applied"
    assert "stu2" not in rows(engine, "users")
    # the enrollment and role pointing at the rejected user are rejected in turn
    assert "e-stu2" not in rows(engine, "enrollments")
    dangling = [i for i in report.issues if i.family == "enrollments"]
    assert dangling and "refers to users 'stu2'" in dangling[0].reason


def test_a_rejected_row_keeps_its_stored_version_and_is_not_tombstoned(engine):
    tolerant = SourceConfig(name="sis", adapter="test", max_error_share=0.2)
    sync(engine, district(20), tolerant)
    report = sync(engine, district(20, change={"stu2": {"enabledUser": "yes"}}), tolerant)
    assert report.counts["users"].deleted == 0
    stu2 = rows(engine, "users")["stu2"]
    assert stu2["status"] == "active" and stu2["change_version"] == 1


def test_duplicate_sourced_ids_are_rejected_naming_both_lines(engine):
    dup = Record("users", "stu1", {"enabledUser": "true", "username": "x", "givenName": "X",
                                   "familyName": "Y"})
    events = district(20)
    dup.file, dup.line = "users.csv", 999
    events.insert(events.index(next(e for e in events if getattr(e, "sourced_id", "") == "stu2")),
                  dup)
    report = sync(engine, events)
    dups = [i for i in report.issues if i.reason.startswith("duplicate sourcedId")]
    assert {i.line for i in dups} >= {999}
    assert any("also at line 999" in i.reason for i in dups)
    assert report.state == "refused"


def test_dangling_references_are_rejected(engine):
    stray = Record("enrollments", "e-ghost", {"class": "k9", "school": "s1", "user": "stu1",
                                              "role": "student"}, file="enrollments.csv", line=77)
    tolerant = SourceConfig(name="sis", adapter="test", max_error_share=0.2)
    report = sync(engine, district(20, extra=[stray]), tolerant)
    issue = next(i for i in report.issues if i.sourced_id == "e-ghost")
    assert (issue.file, issue.line, issue.field, issue.value) == ("enrollments.csv", 77, "class",
                                                                  "k9")
    assert "e-ghost" not in rows(engine, "enrollments")


def test_links_of_list_references_are_kept_and_replaced(engine):
    extra = [Record("academicSessions", "t2", {"title": "Spring", "type": "term",
                                               "startDate": "2027-01-19",
                                               "endDate": "2027-06-05", "schoolYear": "2027"})]
    sync(engine, district(20, extra=extra))
    sync(engine, district(20, extra=extra, change={"k1": {"terms": ["t1", "t2"]}}))
    link = LINK_TABLES["classes"]["terms"]
    with engine.connect() as conn:
        got = conn.execute(select(link.c.target_id).where(link.c.owner_id == "k1")
                           .order_by(link.c.position)).scalars().all()
    assert got == ["t1", "t2"]


def test_delta_rows_update_and_tombstone_only_what_they_name(engine):
    sync(engine, district(20))
    delta_source = SourceConfig(name="sis", adapter="test")
    events = [
        FamilyMode("users", "delta", "users.csv"),
        Record("users", "stu1", {"enabledUser": "false", "username": "stu1", "givenName": "G1",
                                 "familyName": "Student", "grades": ["09"]},
               status="active", date_last_modified="2026-11-20T00:00:00Z"),
        FamilyMode("enrollments", "delta", "enrollments.csv"),
        Record("enrollments", "e-stu9", {}, status="tobedeleted",
               date_last_modified="2026-11-20T00:00:00Z"),
    ]
    report = sync(engine, events, delta_source)
    assert report.state == "applied"
    assert (report.counts["users"].updated, report.counts["enrollments"].deleted) == (1, 0 + 1)
    assert rows(engine, "enrollments")["e-stu9"]["status"] == "tobedeleted"
    assert rows(engine, "enrollments")["e-stu8"]["status"] == "active"
    assert json.loads(rows(engine, "users")["stu1"]["data"])["enabledUser"] is False


def test_a_source_cannot_take_over_rows_owned_by_another(engine):
    sync(engine, district(20))
    other = SourceConfig(name="other", adapter="test", max_error_share=1.0)
    events = [FamilyMode("users", "bulk", "u.csv"),
              Record("users", "stu1", {"enabledUser": "true", "username": "hijack",
                                       "givenName": "H", "familyName": "J"}, "u.csv", 2)]
    report = sync(engine, events, other)
    assert report.issues[0].reason == "sourcedId already belongs to source 'sis'"
    assert json.loads(rows(engine, "users")["stu1"]["data"])["username"] == "stu1"


def test_dry_run_reports_the_diff_and_applies_nothing(engine):
    sync(engine, district(20))
    report = sync(engine, district(20, skip={"e-stu7"}, change={"stu4": {"givenName": "Q"}}),
                  dry_run=True)
    assert report.state == "dry-run"
    assert report.samples["enrollments"]["deleted"] == ["e-stu7"]
    assert report.samples["users"]["updated"] == ["stu4"]
    assert rows(engine, "enrollments")["e-stu7"]["status"] == "active"


def test_a_fatal_issue_applies_nothing(engine):
    events = district(20)
    events.insert(5, Issue("fatal", "users.csv: missing required column givenName",
                           file="users.csv"))
    report = sync(engine, events)
    assert report.state == "failed"
    assert rows(engine, "orgs") == {}


def test_every_run_is_recorded_with_its_issues_and_report_files(engine, tmp_path):
    tolerant = SourceConfig(name="sis", adapter="test", max_error_share=0.2)
    report = sync(engine, district(20, change={"stu2": {"enabledUser": "yes"}}), tolerant,
                  var_dir=tmp_path)
    with engine.connect() as conn:
        run = conn.execute(select(SyncRun.__table__)).one()
        issues = conn.execute(select(RunIssue.__table__)).all()
    assert (run.state, run.source, run.change_version) == ("applied", "sis", 1)
    assert run.stats["counts"]["users"]["errors"] == 1
    assert any(i.field == "enabledUser" and i.value == "yes" for i in issues)
    saved = json.loads((tmp_path / "reports" / f"run-{report.run_id}.json").read_text())
    assert saved["issues"][0]["line"] is not None
    assert (tmp_path / "reports" / f"run-{report.run_id}.csv").read_text().startswith("level,")


def test_readers_see_the_store_before_the_apply_never_during(engine, database_url):
    sync(engine, district(20))
    reader = __import__("gateway.store", fromlist=["make_engine"]).make_engine(database_url)
    users = ROSTER_TABLES["users"]
    seen: list[int] = []

    def peek(conn, cursor, statement, *args):  # noqa: ANN001
        if statement.startswith("UPDATE users") and not seen:
            with reader.connect() as other:
                seen.append(other.execute(
                    select(func.count()).select_from(users).where(users.c.status == "active")
                ).scalar_one())

    event.listen(engine, "after_cursor_execute", peek)
    try:
        report = sync(engine, district(20, skip={"stu20", "r-stu20", "e-stu20"}))
    finally:
        event.remove(engine, "after_cursor_execute", peek)
    assert report.state == "applied"
    assert seen == [21]
    with reader.connect() as other:
        assert other.execute(select(func.count()).select_from(users)
                             .where(users.c.status == "active")).scalar_one() == 20
    reader.dispose()


@pytest.mark.parametrize("sid", ["", "x" * 256])
def test_unusable_sourced_ids_are_rejected(engine, sid):
    extra = [Record("orgs", sid, {"name": "X", "type": "school"}, "orgs.csv", 50)]
    report = sync(engine, district(20, extra=extra))
    assert any(i.field == "sourcedId" and i.line == 50 for i in report.issues)


def test_an_unidentified_rejected_row_protects_its_family_from_tombstones(engine):
    lax = SourceConfig(name="sis", adapter="test", max_error_share=0.5, max_delete_share=0.5)
    sync(engine, district(20), lax)
    events = district(20, skip={"e-stu7"})
    # the adapter could not read enrollments.csv line 9 at all: it might have been e-stu7
    events.append(Issue("error", "the row has 3 cells but the header has 10",
                        file="enrollments.csv", line=9, family="enrollments"))
    report = sync(engine, events, lax)
    assert report.counts["enrollments"].deleted == 0
    assert rows(engine, "enrollments")["e-stu7"]["status"] == "active"
    assert any(i.level == "warning" and i.family == "enrollments" and "deletes nothing" in
               i.reason for i in report.issues)
    # without a family, every bulk family is protected, and the row counts against the limit
    events = district(20, skip={"e-stu7", "stu20", "r-stu20", "e-stu20"})
    events.append(Issue("error", "undecodable bytes", file="export.csv", line=3))
    report = sync(engine, events, lax)
    assert report.counts["users"].deleted == report.counts["enrollments"].deleted == 0
    assert report.rows_rejected == 1


def test_a_large_apply_refreshes_the_planner_statistics(engine):
    report = sync(engine, district(1000))  # 1,001 users, roles and enrollments
    assert report.state == "applied"
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            analysed = conn.exec_driver_sql(
                "SELECT count(DISTINCT tbl) FROM sqlite_stat1 "
                "WHERE tbl IN ('users', 'edfi_documents')").scalar()
        else:
            analysed = conn.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_user_tables "
                "WHERE relname IN ('users', 'edfi_documents') "
                "AND last_analyze IS NOT NULL").scalar()
    assert analysed == 2  # the rows, and the Ed-Fi documents rendered with them

"""A rejected row takes every row that leans on it with it, transitively, even when the source
allows any share of errors (issue 10, item 6): nothing is stored pointing at a row this run
refused, and each such rejection names the rejected row it pointed at."""

from __future__ import annotations

import json

from sqlalchemy import Engine, select

from adapters.records import Issue, Record
from gateway.config import SourceConfig
from gateway.model import ROSTER_TABLES
from gateway.sync.report import RunReport
from gateway.sync.runner import run_sync
from tests.sync.district import district

ANY_SHARE = SourceConfig(name="sis", adapter="test", max_error_share=1.0)


def sync(engine: Engine, events: list) -> RunReport:
    report = run_sync(engine, ANY_SHARE, iter(events), adapter_name="test")
    assert report.state == "applied", report.message
    return report


def active(engine: Engine, family: str) -> dict[str, dict]:
    table = ROSTER_TABLES[family]
    with engine.connect() as conn:
        rows = conn.execute(select(table.c.sourced_id, table.c.data)
                            .where(table.c.status == "active")).all()
    return {sid: json.loads(data) for sid, data in rows}


def errors_about(report: RunReport, sourced_id: str) -> list[Issue]:
    return [i for i in report.issues if i.level == "error" and i.sourced_id == sourced_id]


def line_of(events: list, sourced_id: str) -> int:
    return next(e.line for e in events if getattr(e, "sourced_id", None) == sourced_id)


def test_a_session_whose_parent_session_was_rejected_is_rejected_and_so_is_what_uses_it(
        engine: Engine) -> None:
    # the school year names a school that does not exist: rejected by the reference check,
    # in the same family and the same pass as the term that names it as parent
    events = district(5, change={"y1": {"school": "no-such-school"}})
    report = sync(engine, events)

    sessions = active(engine, "academicSessions")
    assert "y1" not in sessions and "t1" not in sessions
    [term] = errors_about(report, "t1")
    assert (term.field, term.value, term.line) == ("parent", "y1", line_of(events, "t1"))
    assert term.reason == ("refers to academicSessions 'y1', which was rejected in this run "
                           f"(academicSessions.csv line {line_of(events, 'y1')}; see its error)")
    # the class of the term, and every enrollment in it, go too; nothing left dangling
    assert active(engine, "classes") == {}
    assert active(engine, "enrollments") == {}
    [klass] = errors_about(report, "k1")
    assert (klass.field, klass.value) == ("terms", "t1")
    assert "which was rejected in this run" in klass.reason


def test_a_user_whose_every_role_was_rejected_is_rejected_naming_the_role(
        engine: Engine) -> None:
    events = district(5, change={"r-stu3": {"org": "no-such-school"}})
    report = sync(engine, events)

    assert "stu3" not in active(engine, "users")
    [user] = errors_about(report, "stu3")
    assert (user.family, user.field, user.value, user.line) == (
        "users", "roles", "r-stu3", line_of(events, "stu3"))
    assert user.reason == ("has no role left: its role 'r-stu3' was rejected in this run "
                           f"(roles.csv line {line_of(events, 'r-stu3')}; see its error)")
    assert "e-stu3" not in active(engine, "enrollments")  # and on through the user
    assert "stu4" in active(engine, "users")


def test_a_user_who_keeps_another_role_stays(engine: Engine) -> None:
    second = Record("roles", "r2-stu3", {"user": "stu3", "roleType": "secondary",
                                         "role": "student", "org": "d1"})
    report = sync(engine, district(5, change={"r-stu3": {"org": "no-such-school"}},
                                   extra=[second]))
    assert "stu3" in active(engine, "users")
    assert errors_about(report, "stu3") == []


def test_a_role_the_validator_refused_counts_as_rejected_for_its_user(engine: Engine) -> None:
    report = sync(engine, district(5, change={"r-stu2": {"role": "wizard"}}))
    assert "stu2" not in active(engine, "users")
    [user] = errors_about(report, "stu2")
    assert "its role 'r-stu2' was rejected in this run" in user.reason


def test_a_district_rejected_takes_its_schools_and_all_below_them(engine: Engine) -> None:
    report = sync(engine, district(3, change={"d1": {"type": "galaxy"}}))
    for family in ("orgs", "courses", "classes", "roles", "users", "enrollments"):
        assert active(engine, family) == {}, family
    [school] = errors_about(report, "s1")
    assert (school.field, school.value) == ("parent", "d1")
    assert "'d1', which was rejected in this run" in school.reason


def test_a_row_the_adapter_could_not_read_is_named_by_the_rows_pointing_at_it(
        engine: Engine) -> None:
    events = [e for e in district(3) if getattr(e, "sourced_id", None) != "c1"]
    events.append(Issue("error", "title: the cell is not valid UTF-8", file="courses.csv",
                        line=7, field="title", family="courses", sourced_id="c1"))
    report = sync(engine, events)
    [klass] = errors_about(report, "k1")
    assert klass.reason == ("refers to courses 'c1', which was rejected in this run "
                            "(courses.csv line 7; see its error)")


def test_a_reference_to_a_row_never_sent_keeps_its_plain_reason(engine: Engine) -> None:
    stray = Record("enrollments", "e-ghost", {"class": "k9", "school": "s1", "user": "stu1",
                                              "role": "student"}, "enrollments.csv", 77)
    report = sync(engine, district(3, extra=[stray]))
    [ghost] = errors_about(report, "e-ghost")
    assert ghost.reason == ("refers to classes 'k9', which is neither in this import nor "
                            "active in the store")

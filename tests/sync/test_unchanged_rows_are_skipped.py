"""A row the store already holds exactly as the export gives it is not parsed again: the adapter
sends the rows' digests first and streams only the rows the engine does not recognise. The
rows it skips still take part in every check, so a nightly re-export with a few changes gives
the same result as reading it whole."""

from __future__ import annotations

import shutil

from sqlalchemy import select

from adapters.oneroster_csv import OneRosterCsvAdapter
from adapters.oneroster_csv.fixtures import fixture_path
from adapters.records import DIGESTS, FamilyMode, Record, RowDigests
from gateway.config import SourceConfig
from gateway.model import LINK_TABLES, ROSTER_TABLES
from gateway.sync.runner import run_sync

SIS = SourceConfig(name="sis", adapter="oneroster-csv")


def sync(engine, path, **kw):  # noqa: ANN001, ANN201
    adapter = OneRosterCsvAdapter(path=str(path))
    return run_sync(engine, SIS, adapter.read(), adapter_name="oneroster-csv", **kw)


def package_copy(tmp_path):  # noqa: ANN001, ANN201
    package = tmp_path / "pkg"
    shutil.copytree(fixture_path("v1p2_bulk"), package)
    return package


def edit(path, old: str, new: str) -> None:  # noqa: ANN001
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def stored(engine, family: str) -> dict:  # noqa: ANN001
    table = ROSTER_TABLES[family]
    with engine.connect() as conn:
        return {r.sourced_id: (r.status, r.content_hash, r.data) for r in conn.execute(
            select(table.c.sourced_id, table.c.status, table.c.content_hash, table.c.data))}


def test_the_adapter_streams_only_the_rows_the_engine_does_not_hold(tmp_path):
    package = package_copy(tmp_path)
    events = OneRosterCsvAdapter(path=str(package)).read()
    reply = None
    records: list[Record] = []
    asked: list[RowDigests] = []
    while True:
        try:
            event = events.send(reply)
        except StopIteration:
            break
        reply = None
        if isinstance(event, FamilyMode) and event.family == "users":
            reply = DIGESTS
        elif isinstance(event, RowDigests):
            asked.append(event)
            reply = {line for line, _sid, _digest in event.rows if line != 3}
        elif isinstance(event, Record) and event.family == "users":
            records.append(event)
    [batch] = asked
    assert [sid for _line, sid, _digest in batch.rows] == [
        "user-t-1", "user-s-1", "user-s-2", "user-p-1"]
    [user] = records  # line 3 alone was not recognised
    assert (user.sourced_id, user.line, user.digest) == ("user-s-1", 3, batch.rows[1][2])


def test_a_changed_row_changes_its_digest_and_an_unchanged_row_keeps_it(tmp_path):
    package = package_copy(tmp_path)

    def digests() -> dict[str, str]:
        events = OneRosterCsvAdapter(path=str(package)).read()
        found, reply = {}, None
        while True:
            try:
                event = events.send(reply)
            except StopIteration:
                return found
            reply = DIGESTS if isinstance(event, FamilyMode) else None
            if isinstance(event, RowDigests):
                found.update({sid: d for _line, sid, d in event.rows})
                reply = set()

    before = digests()
    edit(package / "users.csv", ",Maria,", ",Mariah,")
    after = digests()
    assert before["user-t-1"] != after["user-t-1"]
    assert before["user-s-1"] == after["user-s-1"]


def test_a_resync_with_one_changed_row_matches_a_full_read(engine, tmp_path):
    package = package_copy(tmp_path)
    sync(engine, package)
    edit(package / "users.csv", ",Maria,", ",Mariah,")
    edit(package / "enrollments.csv", "student,false,,", "student,true,,")
    report = sync(engine, package)
    assert report.state == "applied"
    assert (report.counts["users"].read, report.counts["users"].updated,
            report.counts["users"].unchanged) == (4, 1, 3)
    assert (report.counts["enrollments"].read, report.counts["enrollments"].updated,
            report.counts["enrollments"].unchanged) == (3, 1, 2)
    skipped_rows = {"users": stored(engine, "users"), "enrollments": stored(engine, "enrollments")}
    again = sync(engine, package, full=True)  # everything parsed: nothing left to change
    assert again.state == "unchanged"
    assert {"users": stored(engine, "users"),
            "enrollments": stored(engine, "enrollments")} == skipped_rows


def test_skipped_rows_keep_their_links(engine, tmp_path):
    package = package_copy(tmp_path)
    sync(engine, package)
    edit(package / "classes.csv", "Algebra I - Period 1", "Algebra I - Period One")
    assert sync(engine, package).counts["classes"].updated == 1
    terms = LINK_TABLES["classes"]["terms"]
    with engine.connect() as conn:
        links = conn.execute(select(terms.c.owner_id, terms.c.target_id)
                             .where(terms.c.owner_id == "class-bio-p3")).all()
    assert sorted(t for _o, t in links) == ["as-2026-gp1", "as-2026-s1"]


def test_a_skipped_row_pointing_at_a_removed_row_is_still_rejected(engine, tmp_path):
    package = package_copy(tmp_path)
    sync(engine, package)
    # enrollments.csv changes elsewhere, so it is read; enr-3's row itself is unchanged but
    # its class leaves the export
    edit(package / "enrollments.csv", "teacher,true,2025-08-25", "teacher,true,2025-08-26")
    classes = package / "classes.csv"
    classes.write_text("\n".join(classes.read_text(encoding="utf-8").splitlines()[:2]) + "\n",
                       encoding="utf-8")
    report = sync(engine, package, force=True)
    errors = [i for i in report.issues if i.level == "error" and i.family == "enrollments"]
    assert [(e.sourced_id, e.file, e.line, e.field) for e in errors] == [
        ("enr-3", "enrollments.csv", 4, "class")]


def test_a_skipped_row_repeated_in_the_export_is_a_duplicate(engine, tmp_path):
    package = package_copy(tmp_path)
    sync(engine, package)
    enrollments = package / "enrollments.csv"
    lines = enrollments.read_text(encoding="utf-8").splitlines()
    enrollments.write_text("\n".join([*lines, lines[3]]) + "\n", encoding="utf-8")
    report = sync(engine, package)
    duplicates = sorted((i.line, i.sourced_id) for i in report.issues
                        if i.level == "error" and "duplicate" in i.reason)
    assert duplicates == [(4, "enr-3"), (5, "enr-3")]
    assert stored(engine, "enrollments")["enr-3"][0] == "active"  # kept as it was

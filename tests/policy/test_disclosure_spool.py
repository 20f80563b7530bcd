"""The disclosure log's spool: a response records what it disclosed without waiting for the
store, and nothing recorded is lost or appended twice, whatever happens to the process."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import orjson
import pytest
from sqlalchemy import select, update

from gateway.model import Disclosure
from gateway.policy.disclosure_spool import DisclosureSpool, flush_spool, spool_folder
from gateway.policy.disclosures import DisclosureEntry, count, history, verify_chain
from gateway.store.engine import for_writes


def _entry(student: str, request_id: str = "r1") -> DisclosureEntry:
    return DisclosureEntry(app_id=1, request_id=request_id, endpoint="/ims/x",
                           fields=("users.givenName",), students=(student,))


def test_a_recorded_disclosure_reaches_the_store_and_a_students_history(engine, tmp_path):
    spool = DisclosureSpool(tmp_path / "spool", lambda: engine)
    spool.record(_entry("stu-1"))
    spool.record(_entry("stu-2", "r2"))
    spool.settle()
    assert [h["request_id"] for h in history(engine, "stu-2")] == ["r2"]
    with engine.connect() as conn:
        assert count(conn) == 2 and verify_chain(conn) is None


def test_recording_never_waits_for_a_writer_holding_the_store(engine, tmp_path, database_url):
    """While a sync holds the write lock, responses go on; the log catches up afterwards."""
    spool = DisclosureSpool(tmp_path / "spool", lambda: engine, interval=0.05)
    with for_writes(engine).connect() as holder:
        holder.begin()
        holder.execute(update(Disclosure.__table__).where(Disclosure.__table__.c.id == -1)
                       .values(fields=""))  # takes the write lock (a row lock would not do)
        started = time.perf_counter()
        for n in range(200):
            spool.record(_entry(f"stu-{n}", f"r{n}"))
        assert time.perf_counter() - started < 1.0
        holder.rollback()
    spool.settle()
    with engine.connect() as conn:
        assert count(conn) == 200


def test_the_spool_of_a_killed_process_is_moved_by_the_next_mover(engine, tmp_path,
                                                                   database_url):
    folder = tmp_path / "spool"
    script = textwrap.dedent(f"""
        import os, signal
        from gateway.policy.disclosure_spool import DisclosureSpool
        from gateway.policy.disclosures import DisclosureEntry
        spool = DisclosureSpool(__import__("pathlib").Path({str(folder)!r}), lambda: None,
                                interval=3600)
        for n in range(5):
            spool.record(DisclosureEntry(app_id=1, request_id=f"k{{n}}", endpoint="/x",
                                         fields=(), students=(f"stu-{{n}}",)))
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    killed = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parents[2])
    assert killed.returncode == -9
    assert [p.suffix for p in folder.iterdir()] == [".open"]
    assert flush_spool(folder, engine) == 5
    assert list(folder.iterdir()) == []
    assert [h["request_id"] for h in history(engine, "stu-3")] == ["k3"]


def test_a_file_moved_twice_is_appended_once_and_a_cut_last_line_is_dropped(engine, tmp_path):
    folder = tmp_path / "spool"
    folder.mkdir()
    lines = [orjson.dumps({**_entry(f"stu-{n}", f"r{n}").document(), "entry_id": f"e{n}"})
             for n in range(3)]
    body = b"\n".join(lines) + b"\n" + lines[0][:25]  # a writer killed mid-line
    (folder / "a-1-1.ready").write_bytes(body)
    (folder / "a-1-2.ready").write_bytes(body)  # the same entries again (a mover died late)
    assert flush_spool(folder, engine) == 3
    with engine.connect() as conn:
        assert count(conn) == 3 and verify_chain(conn) is None


def test_an_unreadable_line_before_the_last_keeps_the_file_for_district_it(engine, tmp_path):
    folder = tmp_path / "spool"
    folder.mkdir()
    good = orjson.dumps({**_entry("stu-1").document(), "entry_id": "e1"})
    (folder / "a-1-1.ready").write_bytes(b"not json\n" + good + b"\n")
    with pytest.raises(orjson.JSONDecodeError):
        flush_spool(folder, engine)
    assert [p.name for p in folder.iterdir()] == [f"moving.{os.getpid()}.a-1-1.ready"]
    with engine.connect() as conn:
        assert count(conn) == 0


def test_two_stores_sharing_a_var_dir_keep_separate_spools(tmp_path):
    assert spool_folder(tmp_path, "sqlite:///a.db") != spool_folder(tmp_path, "sqlite:///b.db")
    assert spool_folder(tmp_path, "postgresql://u:one@h/db") == \
        spool_folder(tmp_path, "postgresql://u:two@h/db")  # the password is not the store


def test_the_chain_covers_which_students_were_disclosed(engine, tmp_path):
    spool = DisclosureSpool(tmp_path / "spool", lambda: engine)
    spool.record(_entry("stu-1"))
    spool.record(_entry("stu-2", "r2"))
    spool.settle()
    table = Disclosure.__table__
    with engine.begin() as conn:
        first = conn.execute(select(table.c.id).order_by(table.c.id)).scalars().first()
        conn.execute(update(table).where(table.c.id == first).values(students="stu-9"))
    with engine.connect() as conn:
        assert verify_chain(conn) == first

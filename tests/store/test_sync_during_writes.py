"""A sync applying while apps write through the Ed-Fi API, on a real store (threads): the sync
applies; every write either lands (201) or, while the sync holds the write lock, answers 503
with Retry-After within its own short wait, never a 500 and never stuck behind the whole sync
(before: a write queued for up to 30 s on SQLite and without bound on PostgreSQL)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator

from sqlalchemy import func, select

from adapters.records import Event
from gateway.app import create_app
from gateway.config import SourceConfig
from gateway.model import ROSTER_TABLES
from gateway.store import make_engine
from gateway.sync.runner import run_sync
from tests.edfi.conftest import Caller, EdFi
from tests.sync.district import district

WAIT = 0.2  # the API writes' write_lock_timeout
HOLD = 4.0  # seconds the slow source keeps the sync (and its lock) streaming
WRITERS = 3
STUDENTS = 40


def _slow(events: Iterable[Event], holding: threading.Event) -> Iterator[Event]:
    """A source that stalls mid-stream, as a vendor API does, while the run holds the lock."""
    for n, event in enumerate(events):
        if n == 10:
            holding.set()
            time.sleep(HOLD)
            holding.clear()
        yield event


def test_a_sync_applies_while_api_writes_land_or_get_503_retry_after_and_never_500(
    engine, database_url, tmp_path,
) -> None:
    app = create_app({"database_url": database_url, "var_dir": str(tmp_path),
                      "write_lock_timeout": WAIT})
    app.config["TESTING"] = True
    token = EdFi(app, app.test_client(), engine).as_app(
        scopes=("edfi.readonly", "edfi.write")).token
    holding, synced = threading.Event(), threading.Event()
    answers: list[tuple[int, bool, float, str | None, str]] = []
    reports, failures = [], []
    lock = threading.Lock()

    def writer(n: int) -> None:
        call = Caller(app.test_client(), token)
        i = 0
        while not synced.is_set() or i < 3:
            unique = f"7{n}{i:04d}"
            during, started = holding.is_set(), time.perf_counter()
            reply = call("POST", "/ed-fi/students", json={
                "studentUniqueId": unique, "firstName": "W", "lastSurname": f"T{n}",
                "birthDate": "2012-05-14"})
            with lock:
                answers.append((reply.status_code, during, time.perf_counter() - started,
                                reply.headers.get("Retry-After"), unique))
            i += 1
            time.sleep(0.02)

    def sync() -> None:
        own = make_engine(database_url)
        try:
            reports.append(run_sync(own, SourceConfig(name="sis", adapter="test"),
                                    _slow(district(STUDENTS), holding), adapter_name="test"))
        except BaseException as exc:  # noqa: BLE001 - the test reports what the thread raised
            failures.append(exc)
        finally:
            own.dispose()
            synced.set()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    time.sleep(0.1)
    runner = threading.Thread(target=sync)
    runner.start()
    for thread in [runner, *threads]:
        thread.join(timeout=120)
    assert failures == [] and [r.state for r in reports] == ["applied"], \
        [r.message for r in reports]
    statuses = sorted({status for status, *_ in answers})
    assert set(statuses) <= {201, 503}, statuses
    busy = [a for a in answers if a[0] == 503]
    assert busy and all(retry and int(retry) >= 1 for _, _, _, retry, _ in busy)
    waited_during = [seconds for _, during, seconds, _, _ in answers if during]
    # a write stuck behind the sync would wait up to HOLD; one that gives up waits WAIT, plus
    # what a busy machine adds to a request
    assert waited_during and max(waited_during) < WAIT + 2.0 < HOLD, waited_during
    landed = {unique for status, _, _, _, unique in answers if status == 201}
    assert landed, answers
    users = ROSTER_TABLES["users"]
    with engine.connect() as conn:
        synced_students = conn.execute(select(func.count()).select_from(users).where(
            users.c.source == "sis")).scalar_one()
        written = conn.execute(select(func.count()).select_from(users).where(
            users.c.source != "sis")).scalar_one()
    assert synced_students == STUDENTS + 1  # the district's students and its teacher
    assert written == len(landed)

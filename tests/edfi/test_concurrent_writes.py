"""Concurrent Ed-Fi writers on one store: on SQLite a deferred BEGIN upgraded to a write failed
at once with "database is locked" (32 of 43 writes answered 500); writers now take the lock when
they begin and wait for it, so every write lands (and one that waited past its bound is told
to retry, 503 with Retry-After, never a 500)."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from gateway.model import ROSTER_TABLES
from tests.edfi.conftest import Caller

WRITER = ("edfi.readonly", "edfi.write")
THREADS, EACH = 4, 10


def test_four_threads_of_ten_student_posts_all_land_and_none_answers_500(edfi) -> None:
    token = edfi.as_app(scopes=WRITER).token
    statuses: list[int] = []
    waits: list[float] = []  # Retry-After of each 503, should a writer have waited too long
    lock = threading.Lock()

    def writer(n: int) -> None:
        call = Caller(edfi.app.test_client(), token)
        for i in range(EACH):
            body = {"studentUniqueId": f"9{n}{i:03d}", "firstName": "Con", "lastSurname": f"W{n}",
                    "birthDate": "2012-05-14"}
            reply = call("POST", "/ed-fi/students", json=body)
            while reply.status_code == 503 and len(waits) < THREADS * EACH:
                # the store was busy longer than a writer waits: the answer says when to retry
                with lock:
                    waits.append(float(reply.headers["Retry-After"]))
                reply = call("POST", "/ed-fi/students", json=body)
            with lock:
                statuses.append(reply.status_code)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(set(statuses)) == [201], statuses
    with edfi.engine.connect() as conn:
        users = ROSTER_TABLES["users"]
        landed = conn.execute(select(func.count()).select_from(users)
                              .where(users.c.sourced_id.isnot(None))).scalar_one()
    assert len(statuses) == THREADS * EACH and landed >= THREADS * EACH

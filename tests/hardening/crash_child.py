"""One sync or one Ed-Fi API write, in a process of its own, for tests/hardening/test_crash.py
to SIGKILL at a random point.

    python -m tests.hardening.crash_child sync  DATABASE_URL VAR_DIR STUDENTS    FOLDER
    python -m tests.hardening.crash_child write DATABASE_URL VAR_DIR UNIQUE_ID   FOLDER

Everything slow that is not the operation (imports, engine, app) happens first; then
the child writes FOLDER/ready and waits for FOLDER/go, so the test takes its "before" picture
of the store and times the kill from the start of the operation itself. FOLDER/done is written
when the operation returned (with its outcome).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from gateway.app import create_app
from gateway.config import SourceConfig
from gateway.store import make_engine
from gateway.sync.runner import run_sync
from tests.sync.district import district

SOURCE = SourceConfig(name="sis", adapter="test", max_delete_share=1.0, max_update_share=1.0)


def _wait_for_go(folder: Path) -> None:
    (folder / "ready").write_text("ready")
    while not (folder / "go").exists():
        time.sleep(0.005)


def _sync(database_url: str, students: int, folder: Path) -> str:
    engine = make_engine(database_url)
    events = list(district(students))
    _wait_for_go(folder)
    return run_sync(engine, SOURCE, iter(events), adapter_name="test").state


def _write(database_url: str, var_dir: str, unique: str, folder: Path) -> str:
    app = create_app({"database_url": database_url, "var_dir": var_dir,
                      "api_rate_limit": 10**9})
    client = app.test_client()
    token = os.environ["CRASH_TOKEN"]
    _wait_for_go(folder)
    reply = client.post("/data/v3/ed-fi/students", headers={"Authorization": f"Bearer {token}"},
                        json={"studentUniqueId": unique, "firstName": "Crash",
                              "lastSurname": f"Test{unique}", "birthDate": "2012-05-14"})
    return str(reply.status_code)


def main(mode: str, database_url: str, var_dir: str, what: str, folder: str) -> None:
    here = Path(folder)
    outcome = (_sync(database_url, int(what), here) if mode == "sync"
               else _write(database_url, var_dir, what, here))
    (here / "done").write_text(outcome)


if __name__ == "__main__":
    main(*sys.argv[1:6])

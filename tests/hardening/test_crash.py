"""Crash (issue 11, section 5): SIGKILL at random points of syncs and of Ed-Fi API writes, on
each database. After every kill the store equals what it was before the operation or what it
is after the operation completed (a partly applied sync or write would equal neither), and
the next run of the same operation succeeds.

A kill lands at a uniformly random moment within the operation's own measured duration (the
forked child opens its engine, app and token first and waits for a go; see crash_child.py),
so kills fall before, inside and after the apply transaction. GATEWAY_CRASH_KILLS kills per
kind and database (default 20, the issue's figure; set it lower for a quick run). The random
points come from a fixed seed (GATEWAY_CRASH_SEED, default 11), so a failing point can be
replayed.
"""

from __future__ import annotations

import base64
import contextlib
import os
import random
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from gateway.app import create_app
from gateway.auth.registry import register_app
from gateway.model import metadata
from gateway.policy.agreement import parse_agreement
from tests.hardening import crash_child
from tests.hardening.figures import record

KILLS = int(os.environ.get("GATEWAY_CRASH_KILLS", "20"))
SEED = int(os.environ.get("GATEWAY_CRASH_SEED", "11"))
SIZES = (12, 16)  # students in alternate syncs, so every sync changes the store
# Written outside the operation's transaction on purpose: the run log records every attempt
# (a killed one too), and the token taken before the operation touches the auth tables.
OUTSIDE = frozenset({"sync_runs", "run_issues", "rate_counters", "signing_keys",
                     "revoked_tokens", "oauth1_nonces", "disclosures", "disclosure_head",
                     "disclosed_students"})


def _picture(engine: Engine) -> dict[str, list[tuple]]:
    """Every table the operation may change, rows sorted by their printed form (the same
    picture as tests/badinput/snapshot.py, from the model's tables instead of reflection)."""
    with engine.connect() as conn:
        return {table.name: sorted((tuple(row) for row in conn.execute(select(table))),
                                   key=repr)
                for table in metadata.sorted_tables if table.name not in OUTSIDE}


def _child(mode: str, database_url: str, var_dir: Path, what: str, folder: Path,
           env: dict[str, str]) -> int:
    """Fork a process that runs one operation (crash_child.main); its pid. A fork starts in
    milliseconds with everything imported; the child opens its own engine and app and leaves
    with os._exit, so it neither uses nor closes anything of this process."""
    folder.mkdir(parents=True)
    os.environ.update(env)
    pid = os.fork()
    if pid == 0:  # the child
        code = 0
        try:
            crash_child.main(mode, database_url, str(var_dir), what, str(folder))
        except BaseException:  # noqa: BLE001 - reported to the parent by the missing 'done'
            code = 1
        os._exit(code)
    return pid


def _token(database_url: str, var_dir: Path, creds: Any) -> str:
    """One token for every child (a token per child would meet the token rate limit)."""
    app = create_app({"database_url": database_url, "var_dir": str(var_dir)})
    basic = base64.b64encode(f"{creds.client_id}:{creds.client_secret}".encode()).decode()
    reply = app.test_client().post("/oauth/token", data={"grant_type": "client_credentials"},
                                   headers={"Authorization": f"Basic {basic}"})
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()["access_token"]


def _alive(pid: int) -> bool:
    done, _status = os.waitpid(pid, os.WNOHANG)
    return done == 0


def _wait_for(path: Path, pid: int) -> None:
    deadline = time.monotonic() + 120
    while not path.exists():
        if not _alive(pid) or time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            pytest.fail(f"the child never wrote {path.name}")
        time.sleep(0.002)


def _run(mode: str, database_url: str, var_dir: Path, what: str, folder: Path,
         env: dict[str, str]) -> tuple[str, float]:
    """Run the operation to its end; its outcome and how long the operation itself took."""
    pid = _child(mode, database_url, var_dir, what, folder, env)
    _wait_for(folder / "ready", pid)
    started = time.perf_counter()
    (folder / "go").write_text("go")
    _wait_for(folder / "done", pid)
    took = time.perf_counter() - started
    os.waitpid(pid, 0)
    return (folder / "done").read_text(), took


def _kill_during(mode: str, database_url: str, var_dir: Path, what: str, folder: Path,
                 env: dict[str, str], delay: float) -> bool:
    """Start the operation, SIGKILL it `delay` seconds in; True when it had not finished."""
    pid = _child(mode, database_url, var_dir, what, folder, env)
    _wait_for(folder / "ready", pid)
    (folder / "go").write_text("go")
    time.sleep(delay)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return not (folder / "done").exists()


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["sync", "write"])
def test_a_sigkill_anywhere_leaves_the_store_before_or_after_and_the_next_run_succeeds(
        mode: str, engine: Engine, database_url: str, tmp_path: Path,
        request: pytest.FixtureRequest) -> None:
    chooser = random.Random(f"{SEED}-{mode}")
    env: dict[str, str] = {}
    ok = {"sync": "applied", "write": "201"}[mode]
    # the next run after a kill that landed after the commit finds nothing left to do
    again = {"sync": "unchanged", "write": "200"}[mode]
    if mode == "write":
        doc = {"name": "crash", "purpose": "instruction", "expires": "2099-12-31",
               "scopes": ["edfi.readonly", "edfi.write"]}
        creds = register_app(engine, "crash", parse_agreement(doc))
        env["CRASH_TOKEN"] = _token(database_url, tmp_path, creds)
    outcome, took = _run("sync", database_url, tmp_path, str(SIZES[0]), tmp_path / "load", env)
    assert outcome == "applied"
    if mode == "write":
        outcome, took = _run("write", database_url, tmp_path, "900000", tmp_path / "calibrate",
                             env)
        assert outcome == ok

    safe, inside, problems, landed = 0, 0, [], {"before": 0, "after": 0}
    for kill in range(KILLS):
        what = str(SIZES[(kill + 1) % 2]) if mode == "sync" else f"9{kill + 1:05d}"
        before = _picture(engine)
        delay = chooser.uniform(0, took * 1.2)
        inside += _kill_during(mode, database_url, tmp_path, what, tmp_path / f"kill{kill}",
                               env, delay)
        killed = _picture(engine)
        outcome, _ = _run(mode, database_url, tmp_path, what, tmp_path / f"next{kill}", env)
        after = _picture(engine)
        if outcome not in (ok, again):
            problems.append(f"kill {kill} at {delay:.3f} s: the next run answered {outcome}")
        elif killed not in (before, after):
            changed = sorted(name for name in killed if killed[name] not in
                             (before.get(name), after.get(name)))
            problems.append(f"kill {kill} at {delay:.3f} s: the store is neither before nor "
                            f"after (tables {changed})")
        else:
            safe += 1
            landed[("before" if killed == before else "after")] += 1
    record(request, f"crash {mode}", KILLS, safe)
    print(f"[hardening] crash {mode}: {inside} of {KILLS} kills landed before the operation "
          f"returned (operation ~{took * 1000:.0f} ms); the store was left as before "
          f"{landed['before']} times, as after {landed['after']} times")
    assert not problems, problems

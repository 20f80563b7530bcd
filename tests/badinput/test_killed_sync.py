"""A sync killed with SIGKILL in the middle of its apply leaves the store exactly as it was;
the run is then listed as interrupted and the next sync applies normally (a subprocess test)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from adapters.oneroster_csv.fixtures import build_package, fixture_path
from gateway.cli import main
from gateway.store import make_engine
from tests.badinput.snapshot import store_snapshot

SCRIPT = Path(__file__).with_name("killed_sync.py")
ROOT = Path(__file__).resolve().parents[2]
USERS = (fixture_path("v1p2_bulk") / "users.csv").read_text()
ENROLLMENTS = (fixture_path("v1p2_bulk") / "enrollments.csv").read_text()


def gateway(config: Path, *args: str) -> Result:
    result = CliRunner().invoke(main, list(args), env={"GATEWAY_CONFIG": str(config)})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def configure(work: Path, database_url: str) -> Path:
    config = work / "gateway.toml"
    config.write_text(
        f'[gateway]\nvar_dir = "var"\ndatabase_url = "{database_url}"\n'
        f'[sources.sis]\nadapter = "oneroster-csv"\noptions = {{ path = "{work / "pkg"}" }}\n',
        encoding="utf-8")
    return config


def replace_package(work: Path, changes: dict[str, str]) -> None:
    shutil.rmtree(work / "pkg", ignore_errors=True)
    build_package(work / "pkg", "v1p2_bulk", changes)


def kill_inside_apply(config: Path, marker: Path) -> int:
    """Start the freezing sync, SIGKILL it once it is inside the apply; returns its pid."""
    env = {**os.environ, "GATEWAY_CONFIG": str(config), "GATEWAY_TEST_MARKER": str(marker),
           "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, str(SCRIPT), "sync", "sis"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not marker.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            out, err = proc.communicate()
            pytest.fail(f"the sync never reached the apply:\n{out.decode()}\n{err.decode()}")
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return proc.pid


@pytest.mark.slow
def test_a_sync_killed_inside_its_apply_leaves_the_store_as_it_was(
    database_url: str, tmp_path: Path,
) -> None:
    config = configure(tmp_path, database_url)
    replace_package(tmp_path, {})
    assert "applied" in gateway(config, "sync", "sis").output
    engine = make_engine(database_url)
    before = store_snapshot(engine)

    renamed = USERS.replace("Jordan,Chen", "Jordan,Chen-Park")
    added = ENROLLMENTS + "enr-4,,,class-bio-p3,org-school-1,user-s-1,student,false,,\n"
    replace_package(tmp_path, {"users.csv": renamed, "enrollments.csv": added})
    marker = tmp_path / "inside-apply"
    kill_inside_apply(config, marker)
    assert marker.read_text().split()[0] in ("INSERT", "UPDATE")

    assert store_snapshot(engine) == before
    engine.dispose()

    again = gateway(config, "sync", "sis")
    assert again.exit_code == 0 and ": applied" in again.output
    listed = gateway(config, "runs").output.splitlines()
    states = [line.split()[4] for line in listed]
    assert states[:3] == ["applied", "interrupted", "applied"]
    assert "ended before it finished" in listed[1]
    engine = make_engine(database_url)
    after = store_snapshot(engine)
    engine.dispose()
    assert after != before and any("Chen-Park" in repr(row) for row in after["users"])


@pytest.mark.slow
def test_gateway_runs_shows_a_killed_run_as_interrupted_at_once(
    database_url: str, tmp_path: Path,
) -> None:
    config = configure(tmp_path, database_url)
    replace_package(tmp_path, {})
    gateway(config, "sync", "sis")
    replace_package(tmp_path, {"users.csv": USERS.replace("Jordan,Chen", "Jordan,Chen-Park")})
    kill_inside_apply(config, tmp_path / "inside-apply")
    latest = gateway(config, "runs").output.splitlines()[0]
    assert latest.split()[4] == "interrupted"

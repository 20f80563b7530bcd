"""A 200 MB enrollments.csv imports with bounded memory: `gateway sync` runs in its own
process (bench/_measure.py reports its peak RSS), on the real adapter and the real engine.

The bound: the process must stay under 400 MiB, and a file ten times larger must not cost
more than half as much memory again as the ~20 MB one. Python, SQLAlchemy and the adapters
take a fixed ~90 MiB and SQLite's page cache is capped at 64 MiB (gateway/store/engine.py), so
a streaming import plateaus; anything that holds rows in memory grows with the file and fails.
The files and the store live in RAM-backed /dev/shm when the machine has it, to keep the run
about disk speed out of a test about memory (tmpfs pages are not the process's RSS).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from gateway.store import make_engine
from tests.badinput.large_package import write_large_package

MiB = 1024 * 1024
ROOT = Path(__file__).resolve().parents[2]
MEASURE = ROOT / "bench" / "_measure.py"
MAX_PEAK_MIB = 400


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Path]:
    shm = Path("/dev/shm")
    folder = Path(tempfile.mkdtemp(prefix="gateway-large-", dir=shm)) if shm.is_dir() \
        else tmp_path
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def measured_sync(folder: Path, enrollment_bytes: int) -> tuple[dict, int]:
    """Write a package, sync it into a fresh store in a child process; (measures, rows)."""
    rows = write_large_package(folder / "package", enrollment_bytes)
    assert (folder / "package" / "enrollments.csv").stat().st_size >= enrollment_bytes
    (folder / "gateway.toml").write_text(
        '[gateway]\nvar_dir = "var"\n[sources.big]\nadapter = "oneroster-csv"\n'
        f'options = {{ path = "{folder / "package"}" }}\n', encoding="utf-8")
    env = {**os.environ, "GATEWAY_CONFIG": str(folder / "gateway.toml"),
           "PYTHONPATH": str(ROOT), "SQLITE_TMPDIR": str(folder)}
    done = subprocess.run([sys.executable, str(MEASURE), "sync", "big"], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=600)
    measures = json.loads(done.stderr.strip().splitlines()[-1])
    assert measures["code"] == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "run 1 (big): applied" in done.stdout
    engine = make_engine(f"sqlite:///{folder / 'var' / 'gateway.db'}")
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM enrollments")).scalar_one()
    engine.dispose()
    assert stored == rows
    return measures, rows


@pytest.mark.slow
def test_a_200_mb_file_imports_in_memory_that_does_not_grow_with_the_file(
    scratch: Path,
) -> None:
    small, small_rows = measured_sync(scratch / "small", 20 * MiB)
    shutil.rmtree(scratch / "small")
    large, large_rows = measured_sync(scratch / "large", 200 * MiB)
    print(f"\n20 MB: {small_rows:,} enrollments, {small['seconds']:.1f} s, "
          f"peak {small['peak_rss_mib']:.0f} MiB; 200 MB: {large_rows:,} enrollments, "
          f"{large['seconds']:.1f} s, peak {large['peak_rss_mib']:.0f} MiB")
    assert large_rows >= 10 * small_rows * 0.99
    assert large["peak_rss_mib"] < MAX_PEAK_MIB
    assert large["peak_rss_mib"] < 1.5 * small["peak_rss_mib"]

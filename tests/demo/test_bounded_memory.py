"""Generating a district streams students: peak memory does not grow with their number."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# Runs one generation in a grandchild and reports that child's peak RSS (KiB on Linux).
DRIVER = textwrap.dedent(
    """
    import resource, subprocess, sys
    code = (
        "from pathlib import Path; from gateway.demo import write_demo; "
        f"write_demo(Path({sys.argv[1]!r}), students={sys.argv[2]}, seed=4, format='{sys.argv[3]}')"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    """
)


def _peak_rss_kib(out: Path, students: int, format: str) -> int:
    result = subprocess.run(
        [sys.executable, "-c", DRIVER, str(out), str(students), format],
        cwd=REPO, capture_output=True, text=True, check=True, timeout=60,
    )
    return int(result.stdout.strip())


@pytest.mark.slow
def test_peak_memory_stays_flat_when_students_quadruple(tmp_path: Path) -> None:
    small = _peak_rss_kib(tmp_path / "small", 6_000, "oneroster-csv")
    large = _peak_rss_kib(tmp_path / "large", 24_000, "oneroster-csv")

    assert large < 1.3 * small, (small, large)
    assert large < 150 * 1024

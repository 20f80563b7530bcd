"""The Ed-Fi benchmark must keep working: on a tiny district it imports both formats, walks the
students both ways, and prints every figure it promises."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.mark.slow
def test_the_edfi_bench_runs_end_to_end_on_a_tiny_district(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH / "edfi.py"), "--students", "300", "--page-size", "100",
         "--edge", "1", "--keep", str(tmp_path)], capture_output=True, text=True, timeout=300)

    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    for path in ("oneroster-csv", "edfi-xml"):
        row = re.search(rf"^{path}\s+[\d,]+\s+([\d,]+)\s+[\d.]+\s+([\d,]+)\s+(\d+)$", out, re.M)
        assert row, out
        assert int(row.group(1).replace(",", "")) > 300 and int(row.group(3)) > 0
    assert re.search(r"Ed-Fi XML takes [\d.]+x the time of OneRoster CSV", out)
    for mode in ("offset", "cursor"):
        # 300 students at 100 a page: three pages each way
        assert re.search(rf"^{mode}\s+3\s+300\s+[\d.]+\s+[\d.]+", out, re.M), out
    assert "both walks saw the same students" in out

"""The LTI benchmark must keep working: a few relayed launches and NRPS rounds end to end,
every figure it promises present and positive (its ceiling replays the gateway's own bytes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.mark.slow
def test_the_lti_bench_prints_every_figure():
    run = subprocess.run([sys.executable, str(BENCH / "lti.py"), "--launches", "3",
                          "--rounds", "1"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    for name in ("launches_per_s", "launch_ceiling_per_s", "launch_ratio",
                 "nrps_35_members_per_s", "nrps_35_ratio", "nrps_2000_members_per_s",
                 "nrps_2000_ceiling_members_per_s", "nrps_2000_ratio"):
        assert figures[name] > 0, (name, figures)
    assert figures["relayed_launches"] == 3

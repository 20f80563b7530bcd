"""Load generators for the API benchmark: drive a set of GET paths against one loopback server
for a fixed time and report throughput and latency percentiles.

wrk (C, event loop) disturbs the measured server least on a small machine, so it is preferred;
`apt-get install wrk` (Debian/Ubuntu) or `brew install wrk` provides it. Without it, a Python
generator (one keep-alive http.client connection per thread) runs the same workload, so the bench
still works anywhere; its figures are lower because it shares the cores with the server.
"""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

WRK_MARK = "API_BENCH_RESULT "


@dataclass(frozen=True)
class Load:
    """What one run of the generator measured."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx answers, failed connections, timeouts
    cpu_ms: float | None = None  # the server's CPU time per request (None: not measured)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class Target:
    """Where and how to send: a loopback server, its paths (rotated), and request headers."""

    host: str
    port: int
    paths: tuple[str, ...]
    headers: tuple[tuple[str, str], ...] = ()


def pick_generator(wanted: str) -> str:
    """`auto` means wrk when it is installed, else the Python generator."""
    if wanted == "auto":
        return "wrk" if shutil.which("wrk") else "python"
    if wanted == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk); use --generator python")
    return wanted


def drive(generator: str, target: Target, seconds: float, connections: int) -> Load:
    if generator == "wrk":
        return _wrk(target, seconds, connections)
    return _python(target, seconds, connections)


# -- wrk -------------------------------------------------------------------------------------
def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string of ASCII text is a valid Lua string literal


def _wrk_script(target: Target) -> str:
    """Each wrk thread walks the path list from its own starting point; the `done` hook prints
    one JSON line we parse instead of wrk's human summary."""
    paths = ",\n".join(_lua_string(p) for p in target.paths)
    headers = "\n".join(f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}"
                        for k, v in target.headers)
    return f"""
local paths = {{
{paths}
}}
{headers}
local counter = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("start", threads * 7919)
end
function init(args)
  counter = start or 0
end
function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{WRK_MARK}{{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "errors": %d}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def _wrk(target: Target, seconds: float, connections: int) -> Load:
    with tempfile.TemporaryDirectory(prefix="api-bench-wrk-") as folder:
        script = Path(folder) / "paths.lua"
        script.write_text(_wrk_script(target), encoding="ascii")
        threads = max(1, min(2, connections))
        proc = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
             "--timeout", "30s", "-s", str(script), f"http://{target.host}:{target.port}"],
            capture_output=True, text=True, timeout=seconds + 60,
        )
    lines = [line for line in proc.stdout.splitlines() if line.startswith(WRK_MARK)]
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"wrk failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    found = json.loads(lines[-1][len(WRK_MARK):])
    return Load(requests=found["requests"], seconds=found["duration_us"] / 1e6,
                p50_ms=found["p50_us"] / 1000, p99_ms=found["p99_us"] / 1000,
                errors=found["errors"])


# -- Python ----------------------------------------------------------------------------------
def _percentile(ordered: list[float], share: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _python(target: Target, seconds: float, connections: int) -> Load:
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections
    deadline = time.perf_counter() + seconds
    headers = dict(target.headers)

    def worker(slot: int) -> None:
        conn = http.client.HTTPConnection(target.host, target.port, timeout=30)
        n = slot * max(1, len(target.paths) // connections)
        mine = latencies[slot]
        while time.perf_counter() < deadline:
            path = target.paths[n % len(target.paths)]
            n += 1
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                errors[slot] += 1
                conn.close()
                continue
            mine.append(time.perf_counter() - started)
            if response.status >= 400:
                errors[slot] += 1
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    ordered = sorted(x for per in latencies for x in per)
    return Load(requests=len(ordered), seconds=elapsed, p50_ms=_percentile(ordered, 0.5) * 1000,
                p99_ms=_percentile(ordered, 0.99) * 1000, errors=sum(errors))

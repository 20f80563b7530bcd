"""Starting and stopping the two servers the API benchmark compares, under identical gunicorn
settings: the gateway (`gateway.app:create_app()`) and the precomputed ceiling (`api_ceiling`).

Both run as child processes on a free loopback port, log to a file (a pipe nobody reads would
stall them), and are stopped by their own process id.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
GATEWAY_APP = "gateway.app:create_app()"
CEILING_APP = "api_ceiling:app"


@dataclass(frozen=True)
class Served:
    host: str
    port: int
    pid: int = 0  # gunicorn's master

    def cpu_seconds(self) -> float | None:
        """CPU time (user + system) the server's workers have used so far: what a request
        costs, whatever else the machine is running (throughput on a shared machine is not).
        None where /proc does not tell (not Linux)."""
        try:
            children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
            total = 0
            for child in children:
                fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
        except (OSError, IndexError, ValueError):
            return None
        return total / os.sysconf("SC_CLK_TCK")

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def gunicorn_command(app: str, port: int, workers: int) -> list[str]:
    """The one set of gunicorn settings both servers share: sync workers, no access log (a line
    per request to a file would be measured too, and the ceiling would not pay it), and no
    control socket (gunicorn's default path is one per user, shared by every server running at
    once, and closing it holds each stop for two seconds)."""
    return [sys.executable, "-m", "gunicorn", "--workers", str(workers),
            "--worker-class", "sync", "--bind", f"127.0.0.1:{port}", "--backlog", "2048",
            "--log-level", "warning", "--no-control-socket", "--pythonpath", str(HERE), app]


@contextmanager
def serve(app: str, workers: int, env: Mapping[str, str], log: Path) -> Iterator[Served]:
    port = free_port()
    with log.open("ab") as sink:
        proc = subprocess.Popen(gunicorn_command(app, port, workers), env={**os.environ, **env},
                                stdout=sink, stderr=subprocess.STDOUT)
        try:
            _wait_until_answering(proc, port, log)
            yield Served("127.0.0.1", port, proc.pid)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_until_answering(proc: subprocess.Popen, port: int, log: Path) -> None:
    """Any HTTP answer from every worker's shared socket means gunicorn is up."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}; its log {log}:\n"
                             f"{log.read_text(errors='replace')[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/readyz")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit(f"gunicorn did not answer on port {port} within 60 s; see {log}")

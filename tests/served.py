"""The gateway served for real on a loopback port (`python -m gateway serve`), for tests that
speak HTTP to it from another process, as vendors and the conformance suite do."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served_gateway(database_url: str, workdir: Path,
                   *serve_args: str, config: str = "") -> Iterator[str]:
    """Serve the store at `database_url`; yields the base URL. The server's output goes to
    workdir/server.log (a pipe nobody reads would block it once full). `serve_args` replace
    the default `--workers 1` (one gunicorn worker); `config` is the gateway.toml it reads
    (sources, settings), empty by default."""
    (workdir / "none.toml").write_text(config)
    env = {**os.environ, "GATEWAY_DATABASE_URL": database_url,
           "GATEWAY_VAR_DIR": str(workdir / "var"), "GATEWAY_CONFIG": str(workdir / "none.toml")}
    port = _free_port()
    log_path = workdir / "server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "gateway", "serve", "--port", str(port),
                                   *(serve_args or ("--workers", "1"))],
                                  env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_until_healthy(url, log_path)
            yield url
        finally:
            server.terminate()
            try:  # gunicorn's graceful stop can take over 10 s on a loaded machine
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
                raise


def _wait_until_healthy(url: str, log_path: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if requests.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass  # not up yet, or too busy to answer within the second (a loaded machine)
        assert time.monotonic() < deadline, log_path.read_text()
        time.sleep(0.2)


def conformance(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "conformance", *args],
                          capture_output=True, text=True, timeout=timeout)

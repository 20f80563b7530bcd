"""ltijs (npm, unmodified; tests/lti/ltijs_tool/) served on loopback by node as a second,
independent LTI 1.3 tool: started with the platform it trusts, stopped after the test. Its
packages are installed by `make test` (`npm ci`); without node or them the tests are skipped
with the reason."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests.served import _free_port

HERE = Path(__file__).parent / "ltijs_tool"


def ltijs_ready() -> None:
    """Skip the calling test, saying why, when ltijs cannot run here."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed: the ltijs tool cannot run")
    if not (HERE / "node_modules" / "ltijs").is_dir():
        pytest.skip("ltijs is not installed: run `make test` (npm ci in tests/lti/ltijs_tool)")


@contextmanager
def served_ltijs(workdir: Path, port: int, *, issuer: str, client_id: str, gateway: str,
                 score: float = 8) -> Iterator[str]:
    """ltijs on 127.0.0.1:`port`, trusting the gateway at `gateway` as `issuer`; yields its
    base URL. Its output goes to workdir/ltijs.log."""
    env = {**os.environ, "LTIJS_PORT": str(port), "LTIJS_DB": str(workdir / "ltijs.sqlite"),
           "LTIJS_SECRET": secrets.token_hex(16), "LTIJS_ISSUER": issuer,
           "LTIJS_CLIENT_ID": client_id, "LTIJS_AUTH_URL": gateway + "/lti/authorize",
           "LTIJS_TOKEN_URL": gateway + "/lti/token",
           "LTIJS_JWKS_URL": gateway + "/.well-known/jwks.json", "LTIJS_SCORE": str(score)}
    log_path = workdir / "ltijs.log"
    url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        node = subprocess.Popen(["node", str(HERE / "server.js")], env=env, cwd=HERE,
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                assert node.poll() is None, log_path.read_text()
                try:
                    if requests.get(url + "/keys", timeout=2).status_code == 200:
                        break
                except (requests.ConnectionError, requests.Timeout):
                    pass
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.2)
            yield url
        finally:
            node.terminate()
            node.wait(timeout=10)


def free_port() -> int:
    return _free_port()

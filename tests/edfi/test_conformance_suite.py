"""The conformance suite's Ed-Fi cases against the gateway, served on a loopback port with the
two-school district and an app granted Ed-Fi access. Without --write: the two write cases POST
gradeLevelDescriptors, and descriptors are read-only here (served from the crosswalk)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from gateway.auth.registry import register_app
from gateway.config import SourceConfig
from gateway.policy.agreement import parse_agreement
from gateway.store import make_engine
from gateway.sync.runner import run_sync
from tests.oneroster.district import two_schools

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_served_district_passes_the_edfi_cases(tmp_path: Path, database_url: str):
    engine = make_engine(database_url)
    assert run_sync(engine, SourceConfig(name="sis", adapter="test"), iter(two_schools()),
                    adapter_name="test").state == "applied"
    creds = register_app(engine, "edfi", parse_agreement({
        "name": "edfi", "purpose": "instruction", "expires": "2099-12-31",
        "scopes": ["edfi.readonly", "edfi.write"]}))
    engine.dispose()
    port = _free_port()
    (tmp_path / "none.toml").write_text("")
    env = {**os.environ, "GATEWAY_DATABASE_URL": database_url,
           "GATEWAY_VAR_DIR": str(tmp_path / "var"), "GATEWAY_CONFIG": str(tmp_path / "none.toml")}
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen([sys.executable, "-m", "gateway", "serve", "--port", str(port)],
                              env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "server.log").read_text()
            time.sleep(0.2)
        result = subprocess.run(
            [sys.executable, "-m", "conformance", "edfi", "--base-url", url,
             "--token-url", f"{url}/oauth/token", "--client-id", creds.client_id,
             "--client-secret", creds.client_secret],
            capture_output=True, text=True, timeout=300)
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
    print(result.stdout)
    assert result.returncode == 0, result.stdout[-4000:]
    assert "FAIL " not in result.stdout, result.stdout[-4000:]

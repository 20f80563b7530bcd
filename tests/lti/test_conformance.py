"""`python -m conformance lti` run against the gateway served on a loopback port: every case
passes (with --write), and a suite whose key the platform does not know fails the service
token case, so the suite's verdicts can fail."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

from gateway.auth.lti_state import secret
from gateway.lti.launch import launch_link
from gateway.lti.signing import TOKENS
from tests.lti.conftest import REDIRECT, Lti


@contextmanager
def serving(lti: Lti) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, lti.app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    lti.app.config["PUBLIC_URL"] = url
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield url
    finally:
        server.shutdown()
        thread.join(timeout=10)


def suite(lti: Lti, url: str, key: RSAKey, tmp_path: Path) -> subprocess.CompletedProcess:
    pem = tmp_path / "tool-key.pem"
    pem.write_bytes(key.as_pem(private=True))
    launch = launch_link(secret(lti.engine, TOKENS), url, lti.tool.client_id, "cls-a", "stu-a1")
    return subprocess.run([
        sys.executable, "-m", "conformance", "lti", "--platform-url", url,
        "--launch-url", launch, "--client-id", lti.tool.client_id,
        "--deployment-id", lti.tool.deployment_id, "--tool-key", str(pem),
        "--redirect-uri", REDIRECT, "--write"], capture_output=True, text=True, timeout=120)


def test_the_gateway_passes_the_lti_platform_suite(lti, tool_key, tmp_path):
    with serving(lti) as url:
        run = suite(lti, url, tool_key, tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("PASS ") == 15, run.stdout
    assert "FAIL" not in run.stdout and "SKIP" not in run.stdout


def test_the_suite_fails_a_platform_that_does_not_know_its_key(lti, other_key, tmp_path):
    with serving(lti) as url:
        run = suite(lti, url, other_key, tmp_path)
    assert run.returncode == 1
    assert "FAIL MUST   lti.token.client-assertion" in run.stdout, run.stdout
    assert "PASS MUST   lti.id_token.claims" in run.stdout

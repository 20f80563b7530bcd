"""The API benchmark must keep working: its ceiling replays exactly what the gateway said, its
Python load generator counts and times what it sends, and the whole bench runs end to end on a
tiny district (slow) with every figure present and the disclosure-log switch really switching."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from werkzeug import Response

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))
api_ceiling = importlib.import_module("api_ceiling")
api_load = importlib.import_module("api_load")
api_servers = importlib.import_module("api_servers")

TARGET = "/ims/oneroster/rostering/v1p2/users?limit=100&offset=200"


def _call(app, environ: dict) -> tuple[str, list[tuple[str, str]], bytes]:
    seen: dict = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen.update(status=status, headers=headers)

    body = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"], body


def test_the_ceiling_replays_the_recorded_answer_byte_for_byte(tmp_path: Path) -> None:
    recorded = b'{"users": [{"sourcedId": "u1", "givenName": "Zo\xc3\xab"}]}'
    headers = [("Content-Type", "application/json"), ("X-Total-Count", "601")]
    bodies = tmp_path / "bodies.json"
    api_ceiling.save_answers(bodies, {TARGET: (200, headers, recorded)})
    app = api_ceiling.make_app(api_ceiling.load_answers(bodies))

    status, sent, body = _call(app, {"RAW_URI": TARGET})

    assert (status, body) == ("200 OK", recorded)
    assert ("X-Total-Count", "601") in sent
    assert ("Content-Length", str(len(recorded))) in sent


def test_the_ceiling_matches_on_path_and_query_and_refuses_what_it_never_recorded(
        tmp_path: Path) -> None:
    bodies = tmp_path / "bodies.json"
    api_ceiling.save_answers(bodies, {TARGET: (200, [], b"{}")})
    app = api_ceiling.make_app(api_ceiling.load_answers(bodies))
    path, query = TARGET.split("?")

    rebuilt = _call(app, {"PATH_INFO": path, "QUERY_STRING": query})
    other_page = _call(app, {"PATH_INFO": path, "QUERY_STRING": "limit=100&offset=300"})

    assert rebuilt[0] == "200 OK"
    assert other_page[0] == "404 Not Found"


def test_the_python_generator_rotates_paths_and_times_every_answer(httpserver) -> None:
    httpserver.expect_request("/a").respond_with_data("a")
    httpserver.expect_request("/b").respond_with_data("b")
    target = api_load.Target(httpserver.host, httpserver.port, ("/a", "/b"),
                             (("Authorization", "Bearer t"),))

    load = api_load.drive("python", target, 0.5, 2)

    assert load.requests > 10 and load.errors == 0
    assert 0 < load.p50_ms <= load.p99_ms
    assert load.per_second == pytest.approx(load.requests / load.seconds)
    paths = {request.path for request, _response in httpserver.log}
    assert paths == {"/a", "/b"}
    assert all(r.headers["Authorization"] == "Bearer t" for r, _ in httpserver.log)


def test_the_python_generator_counts_error_answers(httpserver) -> None:
    httpserver.expect_request("/broken").respond_with_response(Response("no", status=500))
    target = api_load.Target(httpserver.host, httpserver.port, ("/broken",))

    load = api_load.drive("python", target, 0.3, 1)

    assert load.requests > 0 and load.errors == load.requests


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads Linux's /proc")
def test_a_servers_cpu_time_is_its_workers_user_and_system_time() -> None:
    busy = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\n" \
           "time.sleep(30)"
    child = subprocess.Popen([sys.executable, "-c", busy])
    try:
        server = api_servers.Served("127.0.0.1", 0, pid=os.getpid())
        deadline = time.monotonic() + 20
        used = 0.0
        while time.monotonic() < deadline and used < 0.3:
            used = server.cpu_seconds() or 0.0
            time.sleep(0.1)
    finally:
        child.kill()
        child.wait()
    assert used >= 0.3
    assert api_servers.Served("127.0.0.1", 0, pid=child.pid).cpu_seconds() is None


@pytest.mark.slow
def test_the_bench_runs_end_to_end_on_a_tiny_district(tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH / "api.py"), "--students", "300", "--seconds", "1",
         "--keep", str(tmp_path / "work"), "--json", str(figures)],
        capture_output=True, text=True, timeout=120)

    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for heading in ("ceiling req/s", "offset 0 vs offset", "disclosure log on vs off"):
        assert heading in proc.stdout
    [sqlite] = json.loads(figures.read_text())
    assert sqlite["database"] == "SQLite" and sqlite["students"] == 300
    assert [row["endpoint"] for row in sqlite["rows"]] == [
        "users, varying offsets", "classes, filtered by school", "enrollments of a school",
        "single user", "Ed-Fi students, 500", "Ed-Fi school associations, 500"]
    for row in sqlite["rows"]:
        assert row["gateway"]["requests"] > 0 and row["gateway"]["errors"] == 0, row
        assert row["ceiling"]["requests"] > 0 and row["ceiling"]["errors"] == 0, row
        assert row["ratio"] > 0
        assert row["gateway"]["cpu_ms"] > 0 and row["ceiling"]["cpu_ms"] > 0, row
    assert sqlite["first_page"]["requests"] > 0 and sqlite["deep_page"]["requests"] > 0
    assert 0 < sqlite["deep_offset"] < sqlite["users"]
    assert {c["endpoint"] for c in sqlite["log_costs"]} == {
        "users, varying offsets", "enrollments of a school", "single user",
        "Ed-Fi students, 500", "Ed-Fi school associations, 500"}
    assert sqlite["disclosures_with_log_on"] > 0
    assert sqlite["disclosures_with_log_off"] == 0

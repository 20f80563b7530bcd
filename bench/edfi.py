"""Ed-Fi benchmark (issue 4, section 6).

1. Import: the bench district (same students, same seed) generated as Ed-Fi XML interchange
   files and as a OneRoster CSV package, each imported by `gateway sync` into a fresh SQLite
   store in its own process. Prints rows/s (canonical rows stored), peak RSS, and the ratio of
   the XML path to the CSV path measured in the same run.
2. Paging: the XML-imported store served by gunicorn on a loopback port; one app under a
   district-wide agreement walks GET /data/v3/ed-fi/students with limit=500 through the whole
   collection, once with offset paging and once with cursor paging (pageSize/pageToken). Prints
   the time per page at the start and at the end of each walk, and checks both walks saw the
   same students.

    python bench/edfi.py [--students 100000] [--keep DIR] [--edge 5] [--page-size 500]
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from api_district import fetch_token  # noqa: E402
from api_servers import GATEWAY_APP, serve  # noqa: E402

from gateway.auth.registry import Credentials, register_app  # noqa: E402
from gateway.demo import write_demo  # noqa: E402
from gateway.model import ROSTER_TABLES  # noqa: E402
from gateway.policy.agreement import parse_agreement  # noqa: E402
from gateway.store import make_engine, upgrade  # noqa: E402

STUDENTS = "/data/v3/ed-fi/students"
PAGE = 500


def _sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'var' / 'gateway.db'}"


def _env(folder: Path) -> dict[str, str]:
    return {"GATEWAY_CONFIG": str(folder / "gateway.toml"),
            "GATEWAY_DATABASE_URL": _sqlite_url(folder), "GATEWAY_VAR_DIR": str(folder / "var")}


def _measured(folder: Path, *args: str) -> dict:
    """One gateway command in a fresh process (bench/_measure.py): seconds and peak RSS."""
    proc = subprocess.run([sys.executable, str(HERE / "_measure.py"), *args], cwd=folder,
                          capture_output=True, text=True, env={**os.environ, **_env(folder)})
    measured = json.loads(proc.stderr.strip().splitlines()[-1])
    if measured["code"] != 0:
        sys.exit(f"gateway {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return measured


def _bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _stored_rows(folder: Path) -> int:
    engine = make_engine(_sqlite_url(folder))
    try:
        with engine.connect() as conn:
            return sum(conn.execute(select(func.count()).select_from(t)
                                    .where(t.c.status == "active")).scalar_one()
                       for t in ROSTER_TABLES.values())
    finally:
        engine.dispose()


@dataclass
class Import:
    label: str
    files_mib: float
    generate_s: float
    rows: int
    seconds: float
    peak_rss_mib: float

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds


def import_district(base: Path, students: int, fmt: str, adapter: str) -> Import:
    folder = base / fmt
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "var").mkdir(parents=True)
    files = folder / "files"
    (folder / "gateway.toml").write_text(
        f'[gateway]\nvar_dir = "var"\n[sources.sis]\nadapter = "{adapter}"\n'
        f'options = {{ path = "{files}" }}\n', encoding="utf-8")
    # Generating the files and creating the store are not measured: done here, they spare
    # two interpreter starts per format. The import is measured in a fresh process.
    started = time.perf_counter()
    write_demo(files, students=students, seed=1, format=fmt)
    generated = time.perf_counter() - started
    engine = make_engine(_sqlite_url(folder))
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    synced = _measured(folder, "sync", "sis")
    return Import(fmt, _bytes(files) / 2**20, generated, _stored_rows(folder),
                  synced["seconds"], synced["peak_rss_mib"])


# -- paging -------------------------------------------------------------------------------------
def _register(folder: Path) -> Credentials:
    agreement = parse_agreement({"name": "edfi bench", "purpose": "rostering",
                                 "expires": "2099-12-31", "scopes": ["edfi.readonly"]})
    engine = make_engine(_sqlite_url(folder))
    try:
        return register_app(engine, "edfi bench", agreement)
    finally:
        engine.dispose()


@dataclass
class Walk:
    mode: str
    page_ms: list[float]
    students: int
    digest: str

    def edge(self, n: int, end: bool) -> float:
        sample = self.page_ms[-n:] if end else self.page_ms[:n]
        return sum(sample) / len(sample)


def _get(conn: http.client.HTTPConnection, path: str, token: str) -> tuple[list, dict, float]:
    started = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != 200:
        sys.exit(f"GET {path} answered {response.status}: {body[:500]!r}")
    return json.loads(body), {k.lower(): v for k, v in response.getheaders()}, elapsed


def walk(host: str, port: int, token: str, mode: str, page: int = PAGE) -> Walk:
    conn = http.client.HTTPConnection(host, port, timeout=120)
    times: list[float] = []
    digest = hashlib.sha256()
    seen = 0
    offset, next_token = 0, None
    while True:
        if mode == "offset":
            path = f"{STUDENTS}?limit={page}&offset={offset}"
        else:
            path = f"{STUDENTS}?pageSize={page}" + (f"&pageToken={next_token}"
                                                    if next_token else "")
        items, headers, ms = _get(conn, path, token)
        if not items:
            break
        times.append(ms)
        seen += len(items)
        for item in items:
            digest.update(item["id"].encode())
        if mode == "offset":
            offset += page
        else:
            next_token = headers.get("next-page-token")
            if not next_token:
                break
    conn.close()
    return Walk(mode, times, seen, digest.hexdigest())


def paging(folder: Path, workers: int, page: int = PAGE) -> list[Walk]:
    credentials = _register(folder)
    env = {**_env(folder), "GATEWAY_API_RATE_LIMIT": "100000000"}
    with serve(GATEWAY_APP, workers, env, folder / "gunicorn.log") as served:
        token = fetch_token(served.host, served.port, credentials)
        return [walk(served.host, served.port, token, mode, page)
                for mode in ("offset", "cursor")]


# -- report -------------------------------------------------------------------------------------
def report(students: int, imports: list[Import], walks: list[Walk], edge: int,
           page: int = PAGE) -> None:
    csv, xml = imports
    print(f"\n== import: {students:,} students, the same district in both formats ==")
    print(f"{'path':<14}{'files MiB':>10}{'rows':>12}{'seconds':>10}{'rows/s':>10}"
          f"{'peak RSS MiB':>14}")
    for step in imports:
        print(f"{step.label:<14}{step.files_mib:>10,.0f}{step.rows:>12,}{step.seconds:>10.1f}"
              f"{step.rows_per_s:>10,.0f}{step.peak_rss_mib:>14.0f}")
    print(f"Ed-Fi XML takes {xml.seconds / csv.seconds:.2f}x the time of OneRoster CSV "
          f"({xml.rows_per_s / csv.rows_per_s:.0%} of its rows/s); rows stored: "
          f"{'same' if xml.rows == csv.rows else f'{xml.rows:,} vs {csv.rows:,}'}")
    print(f"\n== GET {STUDENTS}, {page} per page, whole collection ==")
    print(f"{'paging':<10}{'pages':>7}{'students':>10}{f'first {edge} ms':>14}"
          f"{f'last {edge} ms':>13}{'end/start':>11}{'total s':>9}")
    for w in walks:
        start, end = w.edge(edge, False), w.edge(edge, True)
        print(f"{w.mode:<10}{len(w.page_ms):>7}{w.students:>10,}{start:>14.1f}{end:>13.1f}"
              f"{end / start:>11.1f}{sum(w.page_ms) / 1000:>9.1f}")
    same = len({(w.students, w.digest) for w in walks}) == 1
    print("both walks saw the same students" if same else
          "WARNING: the walks saw different students")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--edge", type=int, default=5, help="pages averaged at each end")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--page-size", type=int, default=PAGE, help="students per page")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="gateway-edfi-bench-"))
    try:
        imports = [import_district(base, args.students, "oneroster-csv", "oneroster-csv"),
                   import_district(base, args.students, "edfi-xml", "edfi-xml")]
        walks = paging(base / "edfi-xml", args.workers, args.page_size)
        report(args.students, imports, walks, args.edge, args.page_size)
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()

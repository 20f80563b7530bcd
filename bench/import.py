"""Import benchmark (issue 2, section 8): how fast a district's OneRoster CSV export becomes the
canonical store, against the floor of the same machine in the same run.

For each size: generate the district as OneRoster CSV; time `gateway sync` into a fresh SQLite
store end to end; an unchanged re-sync; a sync where 1% of the users and enrollments changed;
and the floor, sqlite3's `.import` of the same CSV files into bare tables. Prints rows/s, the
ratio to the floor, and peak RSS of each step (each runs in its own process).

With `--postgres URL` (a database the bench may empty) the same steps run on PostgreSQL too,
against its floor: `COPY` of the same files into bare text tables. With `--keep DIR`, a package
already generated there is reused (the store is always new).

    python bench/import.py [--students 10000,100000] [--keep DIR] [--postgres URL]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHON = sys.executable
HERE = Path(__file__).resolve().parent


def gateway(workdir: Path, *args: str, database_url: str | None = None) -> dict:
    """Run a gateway command in its own process; returns its seconds and peak RSS."""
    env = {**os.environ, "GATEWAY_CONFIG": str(workdir / "gateway.toml")}
    if database_url:
        env["GATEWAY_DATABASE_URL"] = database_url
    proc = subprocess.run(
        [PYTHON, str(HERE / "_measure.py"), *args], cwd=workdir, capture_output=True,
        text=True, env=env,
    )
    measured = json.loads(proc.stderr.strip().splitlines()[-1])
    if measured["code"] != 0:
        sys.exit(f"gateway {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    measured["stdout"] = proc.stdout
    return measured


def count_rows(package: Path) -> int:
    total = 0
    for path in package.glob("*.csv"):
        if path.name != "manifest.csv":
            with path.open(encoding="utf-8") as handle:
                total += sum(1 for _ in handle) - 1
    return total


def floor(package: Path, workdir: Path) -> float:
    """sqlite3's own CSV import of the same files into bare tables: the physical floor."""
    db = workdir / "floor.db"
    db.unlink(missing_ok=True)
    commands = ["PRAGMA journal_mode=WAL;", "PRAGMA synchronous=NORMAL;"]
    for path in sorted(package.glob("*.csv")):
        if path.name != "manifest.csv":
            commands.append(f".import --csv '{path}' '{path.stem}'")
    started = time.perf_counter()
    subprocess.run(["sqlite3", str(db)], input="\n".join(commands), text=True, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def _data_files(package: Path) -> list[Path]:
    return [p for p in sorted(package.glob("*.csv")) if p.name != "manifest.csv"]


def postgres_floor(package: Path, url: str) -> float:
    """PostgreSQL's own CSV load of the same files into bare text tables (COPY, no indexes,
    one transaction): the floor of a sync on PostgreSQL."""
    import psycopg

    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo) as conn:
        conn.execute("DROP SCHEMA IF EXISTS bench_floor CASCADE")
        conn.execute("CREATE SCHEMA bench_floor")
        conn.commit()
        started = time.perf_counter()
        for path in _data_files(package):
            with path.open(encoding="utf-8", newline="") as handle:
                header = next(csv.reader(handle))
            columns = ", ".join(f'"{name}" text' for name in header)
            conn.execute(f'CREATE TABLE bench_floor."{path.stem}" ({columns})')
            with conn.cursor() as cursor, path.open("rb") as handle, cursor.copy(
                    f'COPY bench_floor."{path.stem}" FROM STDIN (FORMAT csv, HEADER true)'
            ) as copy:
                while chunk := handle.read(1 << 20):
                    copy.write(chunk)
        conn.commit()
        seconds = time.perf_counter() - started
        conn.execute("DROP SCHEMA bench_floor CASCADE")
        conn.commit()
    return seconds


def empty_postgres(url: str) -> None:
    """A new store for each first sync: drop everything the gateway made."""
    import psycopg

    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def change_one_percent(source: Path, target: Path) -> int:
    """A copy of the package where every 100th user and enrollment row changed (streamed: the
    bench must not inflate the memory its child processes start from)."""
    shutil.copytree(source, target)
    changed = 0
    for name, column in (("users.csv", "givenName"), ("enrollments.csv", "endDate")):
        with (source / name).open(encoding="utf-8", newline="") as src, \
                (target / name).open("w", encoding="utf-8", newline="") as dst:
            reader, writer = csv.reader(src), csv.writer(dst, lineterminator="\r\n")
            header = next(reader)
            writer.writerow(header)
            at = header.index(column)
            for n, row in enumerate(reader, start=1):
                if n % 100 == 0:
                    row[at] = "Changed" if column == "givenName" else "2027-06-01"
                    changed += 1
                writer.writerow(row)
    return changed


def run(students: int, workdir: Path, database_url: str | None = None) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    package = workdir / "oneroster"
    delta_package = workdir / "oneroster-1pct"
    started = time.perf_counter()
    if not (package / "manifest.csv").exists():
        shutil.rmtree(delta_package, ignore_errors=True)
        gateway(workdir, "demo-data", "--students", str(students), "--format",
                "oneroster-csv", "--out", str(package))
    generated = time.perf_counter() - started
    if not (delta_package / "manifest.csv").exists():
        shutil.rmtree(delta_package, ignore_errors=True)
        change_one_percent(package, delta_package)
    changed = count_changed(package, delta_package)
    shutil.rmtree(workdir / "var", ignore_errors=True)  # a new store
    if database_url:
        empty_postgres(database_url)
    (workdir / "gateway.toml").write_text(
        '[gateway]\nvar_dir = "var"\n'
        f'[sources.sis]\nadapter = "oneroster-csv"\noptions = {{ path = "{package}" }}\n'
        f'[sources.sis1pct]\nadapter = "oneroster-csv"\noptions = {{ path = "{delta_package}" }}\n'
    )
    rows = count_rows(package)
    first = gateway(workdir, "sync", "sis", database_url=database_url)
    again = gateway(workdir, "sync", "sis", database_url=database_url)
    # the 1% package is the same district: sync it as the same source
    (workdir / "gateway.toml").write_text(
        '[gateway]\nvar_dir = "var"\n'
        f'[sources.sis]\nadapter = "oneroster-csv"\noptions = {{ path = "{delta_package}" }}\n'
    )
    delta = gateway(workdir, "sync", "sis", database_url=database_url)
    floor_seconds = postgres_floor(package, database_url) if database_url else \
        floor(package, workdir)
    return {"students": students, "rows": rows, "generate_s": generated, "changed": changed,
            "first": first, "unchanged": again, "delta": delta, "floor_s": floor_seconds,
            "backend": "postgresql" if database_url else "sqlite"}


def count_changed(package: Path, delta_package: Path) -> int:
    changed = 0
    for name in ("users.csv", "enrollments.csv"):
        with (package / name).open(encoding="utf-8", newline="") as a, \
                (delta_package / name).open(encoding="utf-8", newline="") as b:
            changed += sum(1 for x, y in zip(csv.reader(a), csv.reader(b), strict=True)
                           if x != y)
    return changed


def report(r: dict) -> None:
    rows = r["rows"]
    print(f"\n== {r['students']:,} students: {rows:,} CSV rows on {r['backend']} "
          f"(generated in {r['generate_s']:.1f} s) ==")
    print(f"{'step':<28}{'seconds':>10}{'rows/s':>12}{'vs floor':>10}{'peak RSS MiB':>14}"
          f"{'CPU s':>8}")
    floor_rate = rows / r["floor_s"]
    label = "floor: COPY" if r["backend"] == "postgresql" else "floor: sqlite3 .import"
    print(f"{label:<28}{r['floor_s']:>10.2f}{floor_rate:>12,.0f}"
          f"{1.0:>10.1f}{'-':>14}")
    for label, key in (("sync, fresh store", "first"), ("re-sync, unchanged", "unchanged"),
                       (f"sync, 1% changed ({r['changed']:,})", "delta")):
        step = r[key]
        print(f"{label:<28}{step['seconds']:>10.2f}{rows / step['seconds']:>12,.0f}"
              f"{step['seconds'] / r['floor_s']:>10.1f}{step['peak_rss_mib']:>14.0f}"
              f"{step.get('cpu_s', 0):>8.1f}")
    print(f"unchanged re-sync is {r['first']['seconds'] / r['unchanged']['seconds']:.1f}x "
          f"faster than the first sync; 1% changed takes "
          f"{r['delta']['seconds'] / r['first']['seconds']:.0%} of it")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", default="10000,100000")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--postgres", metavar="URL",
                        help="also run on this PostgreSQL database (emptied by the bench)")
    parser.add_argument("--only-postgres", action="store_true",
                        help="with --postgres: skip the SQLite runs")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="gateway-bench-"))
    backends = [] if args.only_postgres and args.postgres else [None]
    backends += [args.postgres] if args.postgres else []
    try:
        results = []
        for n in (int(s) for s in args.students.split(",")):
            for url in backends:
                result = run(n, base / f"n{n}", url)
                report(result)
                if url is None:
                    results.append(result)
        if len(results) > 1:
            small, large = results[0], results[-1]
            print(f"\npeak RSS of the first sync: {small['first']['peak_rss_mib']:.0f} MiB at "
                  f"{small['students']:,} students, {large['first']['peak_rss_mib']:.0f} MiB at "
                  f"{large['students']:,}")
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()

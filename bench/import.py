"""Import benchmark (issue 2, section 8): how fast a district's OneRoster CSV export becomes the
canonical store, against the floor of the same machine in the same run.

For each size: generate the district as OneRoster CSV; time `gateway sync` into a fresh SQLite
store end to end; an unchanged re-sync; a sync where 1% of the users and enrollments changed;
and the floor, sqlite3's `.import` of the same CSV files into bare tables. Prints rows/s, the
ratio to the floor, and peak RSS of each step (each runs in its own process).

    python bench/import.py [--students 10000,100000] [--keep DIR]
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


def gateway(workdir: Path, *args: str) -> dict:
    """Run a gateway command in its own process; returns its seconds and peak RSS."""
    proc = subprocess.run(
        [PYTHON, str(HERE / "_measure.py"), *args], cwd=workdir, capture_output=True,
        text=True, env={**os.environ, "GATEWAY_CONFIG": str(workdir / "gateway.toml")},
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


def run(students: int, workdir: Path) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    package = workdir / "oneroster"
    started = time.perf_counter()
    gateway(workdir, "demo-data", "--students", str(students), "--format", "oneroster-csv",
            "--out", str(package))
    generated = time.perf_counter() - started
    delta_package = workdir / "oneroster-1pct"
    changed = change_one_percent(package, delta_package)
    (workdir / "gateway.toml").write_text(
        '[gateway]\nvar_dir = "var"\n'
        f'[sources.sis]\nadapter = "oneroster-csv"\noptions = {{ path = "{package}" }}\n'
        f'[sources.sis1pct]\nadapter = "oneroster-csv"\noptions = {{ path = "{delta_package}" }}\n'
    )
    rows = count_rows(package)
    first = gateway(workdir, "sync", "sis")
    again = gateway(workdir, "sync", "sis")
    # the 1% package is the same district: sync it as the same source
    (workdir / "gateway.toml").write_text(
        '[gateway]\nvar_dir = "var"\n'
        f'[sources.sis]\nadapter = "oneroster-csv"\noptions = {{ path = "{delta_package}" }}\n'
    )
    delta = gateway(workdir, "sync", "sis")
    floor_seconds = floor(package, workdir)
    return {"students": students, "rows": rows, "generate_s": generated, "changed": changed,
            "first": first, "unchanged": again, "delta": delta, "floor_s": floor_seconds}


def report(r: dict) -> None:
    rows = r["rows"]
    print(f"\n== {r['students']:,} students: {rows:,} CSV rows "
          f"(generated in {r['generate_s']:.1f} s) ==")
    print(f"{'step':<28}{'seconds':>10}{'rows/s':>12}{'vs floor':>10}{'peak RSS MiB':>14}")
    floor_rate = rows / r["floor_s"]
    print(f"{'floor: sqlite3 .import':<28}{r['floor_s']:>10.2f}{floor_rate:>12,.0f}"
          f"{1.0:>10.1f}{'-':>14}")
    for label, key in (("sync, fresh store", "first"), ("re-sync, unchanged", "unchanged"),
                       (f"sync, 1% changed ({r['changed']:,})", "delta")):
        step = r[key]
        print(f"{label:<28}{step['seconds']:>10.2f}{rows / step['seconds']:>12,.0f}"
              f"{step['seconds'] / r['floor_s']:>10.1f}{step['peak_rss_mib']:>14.0f}")
    print(f"unchanged re-sync is {r['first']['seconds'] / r['unchanged']['seconds']:.1f}x "
          f"faster than the first sync")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", default="10000,100000")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="gateway-bench-"))
    try:
        results = []
        for n in (int(s) for s in args.students.split(",")):
            result = run(n, base / f"n{n}")
            report(result)
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

"""REST pull benchmark (issue 13, section 5): a district pulled from a loopback gateway through
pack:oneroster-1.2 into a fresh store, against importing the same district from OneRoster CSV
in the same run.

For each size: generate the district as OneRoster 1.2 CSV; import it with `gateway sync` into
the upstream store (the CSV figure); serve that store with `gateway serve`; pull it into a fresh
store with the rest-api adapter (`gateway sync`, its own process). Prints rows/s and peak RSS of
both, requests and pages of the pull, and the ratio pull / CSV import. Then both stores, family by
family: live rows in each, and whether each pulled row holds what its imported row holds. A family
the pack has no stream for is named as such (pack:oneroster-1.2 reads the rostering service only:
not the gradebook's lineItems, categories, results and scoreScales, nor userProfiles or
resources); any other difference is unexplained, and the bench exits 1.

    python bench/rest_pull.py [--students 10000,100000] [--page-size 1000] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from sqlalchemy import Engine, text  # noqa: E402

from adapters.canonical import FAMILIES  # noqa: E402
from adapters.rest_api.loader import load_connector  # noqa: E402
from gateway.auth.registry import register_app  # noqa: E402
from gateway.demo import write_demo  # noqa: E402
from gateway.policy.agreement import parse_agreement  # noqa: E402
from gateway.store import make_engine  # noqa: E402
from tests.served import served_gateway  # noqa: E402


def gateway(workdir: Path, *args: str) -> dict:
    """A gateway command in its own process (bench/_measure.py): its seconds and peak RSS."""
    proc = subprocess.run(
        [sys.executable, str(HERE / "_measure.py"), *args], cwd=workdir, capture_output=True,
        text=True, env={**os.environ, "GATEWAY_CONFIG": str(workdir / "gateway.toml")})
    measured = json.loads(proc.stderr.strip().splitlines()[-1])
    if measured["code"] != 0:
        sys.exit(f"gateway {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr[-3000:]}")
    measured["stdout"] = proc.stdout
    return measured


PACK = "pack:oneroster-1.2"
SCOPES = ["roster-core.readonly", "roster.readonly", "roster-demographics.readonly"]


def rows_read(stdout: str) -> int:
    found = re.search(r"^([\d,]+) rows in", stdout, re.M)
    return int(found.group(1).replace(",", "")) if found else 0


# Roles have no sourcedId on the OneRoster REST wire (a 1.2 user carries them): the pack makes
# theirs of the user, the org and the role, so a role is matched on those across the two stores.
NATURAL_KEYS = {"roles": ("user", "org", "role")}


def live_rows(engine: Engine, family: str) -> dict[str, str]:
    """A family's live rows in one store: key -> its canonical fields (JSON). The key is the
    sourcedId, or the natural key where the pack cannot keep the sourcedId."""
    table = FAMILIES[family].table
    with engine.connect() as conn:
        rows = conn.execute(text(
            f"SELECT sourced_id, data FROM {table} WHERE status = 'active'")).all()
    fields = NATURAL_KEYS.get(family)
    if not fields:
        return dict(rows)
    return {"~".join(str(json.loads(data).get(f)) for f in fields): data for _sid, data in rows}


def differing(imported: dict[str, str], pulled: dict[str, str]) -> tuple[int, int]:
    """Rows in both stores whose fields differ, and rows whose fields are equal but whose JSON
    text is not (the same content, its nested keys in another order: a different content_hash)."""
    unequal = reordered = 0
    for sid, data in pulled.items():
        if sid in imported and imported[sid] != data:
            if json.loads(imported[sid]) == json.loads(data):
                reordered += 1
            else:
                unequal += 1
    return unequal, reordered


def compare_stores(imported_db: Path, pulled_db: Path) -> bool:
    """Prints both stores family by family, each difference with its reason; False when a
    difference has no reason (a family the pack reads came out different)."""
    pulled_families = set(load_connector(PACK).families)
    engines = make_engine(f"sqlite:///{imported_db}"), make_engine(f"sqlite:///{pulled_db}")
    explained = True
    total_csv = total_pull = 0
    print(f"{'':>19}{'family':<16}{'CSV import':>11}{'REST pull':>11}{'missing':>9}  why")
    try:
        for family in FAMILIES:
            imported, pulled = (live_rows(engine, family) for engine in engines)
            if not imported and not pulled:
                continue
            total_csv, total_pull = total_csv + len(imported), total_pull + len(pulled)
            missing = len(imported.keys() - pulled.keys())
            extra = len(pulled.keys() - imported.keys())
            unequal, reordered = differing(imported, pulled)
            if family not in pulled_families:
                why = f"{PACK} has no stream for {family} (it reads rostering only)"
            elif missing or extra or unequal:
                why = (f"UNEXPLAINED: {missing:,} not pulled, {extra:,} not imported, "
                       f"{unequal:,} with other fields")
                explained = False
            else:
                why = "same rows, same fields"
            if reordered:
                why += (f"; {reordered:,} equal but for nested key order (so another "
                        "content_hash)")
            print(f"{'':>19}{family:<16}{len(imported):>11,}{len(pulled):>11,}"
                  f"{len(imported) - len(pulled):>9,}  {why}")
    finally:
        for engine in engines:
            engine.dispose()
    print(f"{'':>19}{'total':<16}{total_csv:>11,}{total_pull:>11,}"
          f"{total_csv - total_pull:>9,}")
    return explained


def run(students: int, page_size: int, workers: int, keep: Path | None) -> None:
    work = Path(tempfile.mkdtemp(prefix=f"rest-pull-{students}-"))
    try:
        write_demo(work / "export", students=students, seed=1, format="oneroster-csv")
        up = work / "up"
        up.mkdir()
        (up / "gateway.toml").write_text(
            '[gateway]\nvar_dir = "var"\ndatabase_url = "sqlite:///' + str(up / "up.db") +
            '"\n[sources.sis]\nadapter = "oneroster-csv"\noptions = { path = "' +
            str(work / "export") + '" }\n', encoding="utf-8")
        csv_run = gateway(up, "sync", "sis")
        engine = make_engine(f"sqlite:///{up / 'up.db'}")
        creds = register_app(engine, "bench", parse_agreement({
            "name": "bench", "purpose": "instruction", "expires": "2099-12-31",
            "scopes": SCOPES, "sensitive": ["demographics", "birth_date", "contact",
                                            "identifiers"]}))
        engine.dispose()
        os.environ["GATEWAY_API_RATE_LIMIT"] = "1000000"
        os.environ["GATEWAY_TOKEN_RATE_LIMIT"] = "1000000"
        os.environ["BENCH_SECRET"] = creds.client_secret
        down = work / "down"
        down.mkdir()
        with served_gateway(f"sqlite:///{up / 'up.db'}", up, "--workers", str(workers)) as url:
            (down / "gateway.toml").write_text(
                '[gateway]\nvar_dir = "var"\ndatabase_url = "sqlite:///' + str(down / "down.db")
                + '"\n[sources.api]\nadapter = "rest-api"\n[sources.api.options]\n'
                f'connector = "{PACK}"\nbase_url = "{url}"\n'
                f'client_id = "{creds.client_id}"\nclient_secret = "BENCH_SECRET"\n'
                f"page_size = {page_size}\n", encoding="utf-8")
            pull = gateway(down, "sync", "api")
        csv_rows, pull_rows = rows_read(csv_run["stdout"]), rows_read(pull["stdout"])
        api = re.search(r"^api: (.*)$", pull["stdout"], re.M)
        csv_rate = csv_rows / csv_run["seconds"]
        pull_rate = pull_rows / pull["seconds"]
        print(f"{students:>8,} students  CSV import: {csv_rows:>9,} rows "
              f"{csv_run['seconds']:7.1f} s {csv_rate:>9,.0f} rows/s "
              f"{csv_run['peak_rss_mib']:6.0f} MiB")
        print(f"{'':>8}           REST pull:  {pull_rows:>9,} rows {pull['seconds']:7.1f} s "
              f"{pull_rate:>9,.0f} rows/s {pull['peak_rss_mib']:6.0f} MiB   "
              f"pull/CSV time x{pull['seconds'] / csv_run['seconds']:.2f}")
        print(f"{'':>8}           {api.group(1) if api else ''}")
        explained = compare_stores(up / "up.db", down / "down.db")
    finally:
        if keep:
            shutil.copytree(work, keep / work.name, dirs_exist_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    if not explained:
        sys.exit(f"{students:,} students: the pulled store differs from the imported one "
                 "where the pack reads the family (UNEXPLAINED above)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", default="10000")
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    for size in (int(s) for s in args.students.split(",")):
        run(size, args.page_size, args.workers, args.keep)


if __name__ == "__main__":
    main()

"""API benchmark (issue 3, section 5): how fast the gateway serves OneRoster reads, against the
ceiling of the same machine, gunicorn settings and load generator in the same run.

For each database: build the bench district (demo-data + `gateway sync`), register a
district-wide rostering app, serve the gateway with gunicorn and drive concurrent GETs from a
second process (wrk if installed, else a Python generator): users at varying offsets, classes
filtered by school, a school's enrollments, single users; then the first users page against a
deep one; then the student-bearing endpoints again with the disclosure log switched off. The
ceiling replays the gateway's own recorded answers from memory under the same gunicorn settings.

    python bench/api.py --students 100000 --seconds 10 [--database-url URL] [--postgres]
                        [--keep DIR] [--generator auto|wrk|python] [--json FILE]

wrk: `apt-get install wrk` (Debian/Ubuntu). Without it the Python generator is used.
`--keep DIR` keeps the generated district and the SQLite store for the next run; a database
named with `--database-url` is the caller's, and its import is reused the same way (e.g.
`--keep /work/benchdata --database-url postgresql+psycopg://.../perf_bench`). Where the time of
one request goes: `bench/profile_request.py`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import tempfile
from pathlib import Path

from api_ceiling import BODIES_ENV, save_answers
from api_district import (
    build,
    config_env,
    create_postgres,
    disclosure_count,
    drop_postgres,
    fetch_token,
    register_bench_app,
    sqlite_url,
)
from api_load import Load, Target, drive, pick_generator
from api_report import DatabaseResult, LogCost, Row, report
from api_servers import CEILING_APP, GATEWAY_APP, Served, serve
from api_workload import Api, Endpoint, discover, record, warm

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclasses.dataclass(frozen=True)
class Plan:
    students: int
    seconds: float
    workers: int
    connections: int
    generator: str


def bench_database(label: str, database_url: str, folder: Path, plan: Plan,
                   remember: bool | None = None) -> DatabaseResult:
    build(folder, plan.students, database_url, remember=remember)
    credentials = register_bench_app(database_url)
    logs = folder / "logs"
    logs.mkdir(exist_ok=True)
    # The bench measures the read path, not the per-app request budget (429 beyond it).
    base_env = {**config_env(folder, database_url), "GATEWAY_API_RATE_LIMIT": "100000000"}

    def run(server: Served, endpoint: Endpoint, token: str) -> Load:
        target = Target(server.host, server.port, endpoint.paths,
                        (("Authorization", f"Bearer {token}"),))
        before = server.cpu_seconds()
        load = drive(plan.generator, target, plan.seconds, plan.connections)
        after = server.cpu_seconds()
        if before is not None and after is not None and load.requests:
            load = dataclasses.replace(load, cpu_ms=(after - before) * 1000 / load.requests)
        print(f"  {label} {endpoint.name}: {load.per_second:,.0f} req/s, "
              f"{load.cpu_ms or 0:.2f} CPU ms each", flush=True)
        return load

    before = disclosure_count(folder, database_url)
    with serve(GATEWAY_APP, plan.workers, {**base_env, "GATEWAY_DISCLOSURE_LOG": "true"},
               logs / "gateway.log") as gw:
        token = fetch_token(gw.host, gw.port, credentials)
        api = Api(gw.host, gw.port, token)
        workload = discover(api)
        answers = record(api, workload)
        warm(api, workload, plan.workers)
        logged = {e.name: run(gw, e, token) for e in workload.endpoints}
        first = run(gw, workload.first_page, token)
        deep = run(gw, workload.deep_page, token)
    with_log = disclosure_count(folder, database_url)
    bearing = [e for e in workload.endpoints if e.carries_students]
    with serve(GATEWAY_APP, plan.workers, {**base_env, "GATEWAY_DISCLOSURE_LOG": "false"},
               logs / "gateway-nolog.log") as gw:
        warm(Api(gw.host, gw.port, token), workload, plan.workers)
        unlogged = {e.name: run(gw, e, token) for e in bearing}
    without_log = disclosure_count(folder, database_url)
    bodies = folder / "bodies.json"
    save_answers(bodies, answers)
    with serve(CEILING_APP, plan.workers, {BODIES_ENV: str(bodies)}, logs / "ceiling.log") as top:
        ceiling = {e.name: run(top, e, token) for e in workload.endpoints}
    return DatabaseResult(
        database=label, students=plan.students, users=workload.users, workers=plan.workers,
        connections=plan.connections, seconds=plan.seconds, generator=plan.generator,
        rows=[Row(e.name, e.collection, logged[e.name], ceiling[e.name])
              for e in workload.endpoints],
        first_page=first, deep_page=deep, deep_offset=workload.deep_offset,
        log_costs=[LogCost(e.name, logged[e.name], unlogged[e.name]) for e in bearing],
        disclosures_with_log_on=with_log - before, disclosures_with_log_off=without_log - with_log,
    )


def _as_json(result: DatabaseResult) -> dict:
    doc = dataclasses.asdict(result)
    for row, out in zip(result.rows, doc["rows"], strict=True):
        out.update(ratio=row.ratio, cpu_ratio=row.cpu_ratio,
                   gateway_per_second=row.gateway.per_second,
                   ceiling_per_second=row.ceiling.per_second)
    for cost, out in zip(result.log_costs, doc["log_costs"], strict=True):
        out.update(cost=cost.cost, cpu_cost=cost.cpu_cost)
    return doc


def _positive(kind: type[int] | type[float]):  # noqa: ANN202
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be greater than 0, not {text}")
        return value
    return parse


def _label(database_url: str) -> str:
    return "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=_positive(int), default=100_000)
    parser.add_argument("--seconds", type=_positive(float), default=10.0,
                        help="per endpoint and server")
    parser.add_argument("--workers", type=_positive(int), default=2)
    parser.add_argument("--connections", type=_positive(int), default=4)
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--database-url", help="bench this database instead of a SQLite file")
    parser.add_argument("--postgres", nargs="?", const=DEFAULT_POSTGRES, metavar="SERVER_URL",
                        help="also bench PostgreSQL, in a gateway_bench database created next "
                             f"to SERVER_URL's and dropped afterwards (default {DEFAULT_POSTGRES})")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (the built "
                                                  "SQLite store is reused on the next run)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    if args.postgres and not args.postgres.startswith("postgresql"):
        parser.error(f"--postgres needs a postgresql:// URL, not {args.postgres!r}")
    plan = Plan(args.students, args.seconds, args.workers, args.connections,
                pick_generator(args.generator))
    base = args.keep or Path(tempfile.mkdtemp(prefix="gateway-api-bench-"))
    folder = base / f"n{args.students}"
    results: list[DatabaseResult] = []
    try:
        first_url = args.database_url or sqlite_url(folder)
        # A database named with --database-url is the caller's: its import is reused next time.
        results.append(bench_database(_label(first_url), first_url, folder, plan,
                                      remember=True if args.database_url else None))
        print(report(results[-1]), flush=True)
        if args.postgres:
            url = create_postgres(args.postgres)
            try:
                results.append(bench_database("PostgreSQL", url, folder, plan))
                print(report(results[-1]), flush=True)
            finally:
                drop_postgres(args.postgres)
    finally:
        if args.json:
            args.json.write_text(json.dumps([_as_json(r) for r in results], indent=2))
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

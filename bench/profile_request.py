"""Where one API request's time goes: the gateway app in this process (no HTTP server), a
bench app registered on a built store, and cProfile over N requests of one path through the
WSGI app (Flask's test client: token check, auth guard, denylist, agreement, read engine,
envelope, disclosure spool, teardown).

    python bench/profile_request.py --store /work/benchdata/n100000 \
        --path '/ims/oneroster/rostering/v1p2/users?limit=100&offset=5000' [-n 2000] [--top 30]

`--store` is a folder `bench/api.py --keep` built (its gateway.toml and var/); `--database-url`
reads another store (a PostgreSQL copy) with that folder's settings.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

from api_district import config_env, register_bench_app, sqlite_url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--database-url")
    parser.add_argument("--path", action="append", required=True)
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--no-log", action="store_true", help="disclosure log off")
    args = parser.parse_args()
    url = args.database_url or sqlite_url(args.store)
    os.environ.update(config_env(args.store, url))
    os.environ["GATEWAY_API_RATE_LIMIT"] = "100000000"
    os.environ["GATEWAY_DISCLOSURE_LOG"] = "false" if args.no_log else "true"
    from gateway.app import close_app, create_app

    credentials = register_bench_app(url)
    app = create_app()
    client = app.test_client()
    answer = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                         auth=(credentials.client_id, credentials.client_secret))
    headers = {"Authorization": f"Bearer {answer.get_json()['access_token']}"}
    for path in args.path:  # warm every cache once, and show the request answers
        response = client.get(path, headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code} {response.get_data()[:300]!r}")
    paths = args.path
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for i in range(args.n):
        client.get(paths[i % len(paths)], headers=headers)
    profiler.disable()
    elapsed = time.perf_counter() - started
    print(f"{args.n} requests, {elapsed / args.n * 1000:.3f} ms each under the profiler")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())
    started = time.perf_counter()
    for i in range(args.n):
        client.get(paths[i % len(paths)], headers=headers)
    plain = (time.perf_counter() - started) / args.n * 1000
    print(f"without the profiler: {plain:.3f} ms per request ({1000 / plain:,.0f} req/s "
          f"on one core, test client)")
    close_app(app)


if __name__ == "__main__":
    sys.exit(main())

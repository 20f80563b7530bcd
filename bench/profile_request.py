"""Where one API request's time goes: the gateway app in this process (no HTTP server), a
bench app registered on a built store, and cProfile over N requests of one path through the
WSGI app, called directly with an environ like gunicorn's (token check, auth guard, denylist,
agreement, read engine, envelope, disclosure spool, teardown). It prints the CPU milliseconds
per request of those direct calls (process time: what other tenants of a busy machine distort
least), the profile, and the wall time through Flask's test client.

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


def _environ(path: str, authorization: str) -> dict:
    """A WSGI environ like the one gunicorn builds for a GET: the same app entry point the
    server calls, without the test client's own cost (about a third of a small request)."""
    target, _, query = path.partition("?")
    return {"REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": target,
            "QUERY_STRING": query, "RAW_URI": path, "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1:8000", "HTTP_AUTHORIZATION": authorization,
            "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr,
            "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
            "wsgi.version": (1, 0)}


def _cpu_per_request(app, environs: list[dict], n: int) -> float:  # noqa: ANN001
    """CPU milliseconds (this process, user + system) per request through app's WSGI entry."""
    statuses: list[str] = []

    def start_response(status: str, _headers: list, _exc=None) -> None:  # noqa: ANN001
        statuses.append(status)

    started = time.process_time()
    for i in range(n):
        body = app(dict(environs[i % len(environs)]), start_response)
        for _chunk in body:
            pass
        if hasattr(body, "close"):
            body.close()
    spent = time.process_time() - started
    if any(not s.startswith("200") for s in statuses):
        raise SystemExit(f"not every request answered 200: {sorted(set(statuses))}")
    return spent / n * 1000


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
    parser.add_argument("--cpu", action="store_true",
                        help="profile CPU time (process time) instead of wall time: where a "
                             "request's CPU goes, without the waits on the database")
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
    environs = [_environ(path, headers["Authorization"]) for path in paths]
    cpu = _cpu_per_request(app, environs, args.n)
    print(f"direct WSGI calls (no test client, no HTTP server): {cpu:.3f} CPU ms per request")
    profiler = cProfile.Profile(time.process_time) if args.cpu else cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    _cpu_per_request(app, environs, args.n)
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

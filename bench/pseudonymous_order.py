"""What a pseudonymous app's own order costs (issue 15): CPU milliseconds per OneRoster page
for an app under a pseudonymous agreement (its pages ordered by its per-app keys, joined from
`pseudonym_order`) against a district-wide app reading the district's ids (no join), in this
process, through the WSGI app called directly (bench/profile_request.py), on the bench
district `bench/api.py` builds; and what filling one app's keys costs at its registration.

    python bench/pseudonymous_order.py --store /work/benchdata/n10000 [--students 10000]
        [--database-url URL] [-n 500] [--only 'users page 1' ...]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from api_district import READ_SCOPES, build, config_env, sqlite_url
from profile_request import _cpu_per_request, _environ

V12 = "/ims/oneroster/rostering/v1p2"
PATHS = {
    "users page 1": f"{V12}/users?limit=100",
    "users deep page": f"{V12}/users?limit=100&offset=5000",
    "users sort=familyName": f"{V12}/users?limit=100&offset=300&sort=familyName",
    "enrollments page 1": f"{V12}/enrollments?limit=100",
}


def _register(url: str, name: str, **terms: object) -> tuple[object, float]:
    from gateway.auth.registry import register_app
    from gateway.policy.agreement import parse_agreement
    from gateway.store import make_engine

    agreement = parse_agreement({"name": name, "purpose": "rostering", "expires": "2099-12-31",
                                 "scopes": READ_SCOPES, **terms})
    engine = make_engine(url)
    try:
        started = time.perf_counter(), time.process_time()
        creds = register_app(engine, name, agreement)
        return creds, time.perf_counter() - started[0]
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--database-url")
    parser.add_argument("-n", type=int, default=500)
    parser.add_argument("--only", action="append", choices=sorted(PATHS),
                        help="measure only these pages (repeatable)")
    args = parser.parse_args()
    paths = {k: v for k, v in PATHS.items() if not args.only or k in args.only}
    url = args.database_url or sqlite_url(args.store)
    build(args.store, args.students, url)
    os.environ.update(config_env(args.store, url))
    os.environ["GATEWAY_API_RATE_LIMIT"] = "100000000"
    os.environ["GATEWAY_DISCLOSURE_LOG"] = "true"
    from gateway.app import close_app, create_app

    plain, _ = _register(url, "order bench: district ids")
    pseudonymous, fill = _register(url, "order bench: pseudonymous", pseudonymous_ids=True)
    print(f"registering the pseudonymous app (its order keys filled): {fill * 1000:.0f} ms wall")
    results: dict[str, dict[str, float]] = {}
    runs = (("district ids", plain), ("pseudonymous", pseudonymous),
            (UNORDERED, pseudonymous))
    for label, creds in runs:
        if label == UNORDERED:
            _without_own_order()
        app = create_app()
        client = app.test_client()
        answer = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                             auth=(creds.client_id, creds.client_secret))
        authorization = f"Bearer {answer.get_json()['access_token']}"
        for name, path in paths.items():
            reply = client.get(path, headers={"Authorization": authorization})
            if reply.status_code != 200:
                raise SystemExit(f"{label} {path}: {reply.status_code} {reply.get_data()[:300]!r}")
            environs = [_environ(path, authorization)]
            _cpu_per_request(app, environs, max(20, args.n // 10))  # warm
            results.setdefault(name, {})[label] = _cpu_per_request(app, environs, args.n)
        close_app(app)
    print(f"{'CPU ms per request':<24}{'district ids':>13}{'pseudonymous':>13}{'ratio':>7}"
          f"{'(before: district order)':>26}")
    for name, found in results.items():
        a, b, c = found["district ids"], found["pseudonymous"], found[UNORDERED]
        print(f"{name:<24}{a:>13.3f}{b:>13.3f}{b / a:>7.2f}{c:>26.3f}")


UNORDERED = "pseudonymous, district order"


def _without_own_order() -> None:
    """The pseudonymous app as it read before its own order (pages in the district's
    sourcedId order): what the order itself costs is the difference."""
    from gateway.policy import fields, reads

    reads.ordered = fields.ordered = lambda _agreement, _family: False


if __name__ == "__main__":
    sys.exit(main())

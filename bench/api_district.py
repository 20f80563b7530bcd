"""The district the API benchmark reads: generated as OneRoster CSV, imported with `gateway
sync` (each in its own process, as district IT would run them), and an app registered under a
district-wide agreement to read it.

A built SQLite store is reused when its folder is kept (`--keep`), because generating and
importing 100k students takes minutes; a marker file says which size the store holds.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from gateway.auth.registry import Credentials, register_app
from gateway.model import Disclosure
from gateway.policy.agreement import parse_agreement
from gateway.policy.disclosure_spool import flush_spool, spool_folder
from gateway.store import make_engine, upgrade
from gateway.sync.documents import ensure_documents

SOURCE = "sis"
READ_SCOPES = ["roster-core.readonly", "roster.readonly", "edfi.readonly"]
BENCH_DATABASE = "gateway_bench"


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'var' / 'gateway.db'}"


def config_env(folder: Path, database_url: str) -> dict[str, str]:
    """The environment every gateway process of this bench gets: its own config file, so a
    gateway.toml in the current folder never leaks in."""
    return {"GATEWAY_CONFIG": str(folder / "gateway.toml"), "GATEWAY_DATABASE_URL": database_url,
            "GATEWAY_VAR_DIR": str(folder / "var")}


def _gateway(folder: Path, env: dict[str, str], *args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "gateway", *args], cwd=folder,
                          env={**os.environ, **env}, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"gateway {' '.join(args)} failed (exit {proc.returncode}):\n"
                         f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc.stdout


def build(folder: Path, students: int, database_url: str, progress=print,  # noqa: ANN001
          remember: bool | None = None) -> None:
    """Generate (unless already there) and import the district into `database_url`.
    `remember`: whether the imported store outlives the run, so the next run with the same
    folder reuses it (default: a SQLite file does; a PostgreSQL bench database is dropped)."""
    folder.mkdir(parents=True, exist_ok=True)
    package = folder / "district"
    (folder / "gateway.toml").write_text(
        f'[gateway]\nvar_dir = "var"\n[sources.{SOURCE}]\nadapter = "oneroster-csv"\n'
        f'options = {{ path = "{package}" }}\n', encoding="utf-8")
    marker = folder / "built.json"
    built = json.loads(marker.read_text()) if marker.is_file() else {}
    env = config_env(folder, database_url)
    if built.get("students") != students or not (package / "manifest.csv").is_file():
        progress(f"generating {students:,} students into {package} ...")
        _gateway(folder, env, "demo-data", "--students", str(students), "--seed", "1",
                 "--format", "oneroster-csv", "--out", str(package))
        built = {"students": students, "synced": []}
        marker.write_text(json.dumps(built))
    if database_url in built.get("synced", []):
        progress(f"reusing the store at {_safe(database_url)}")
        _ensure_documents(database_url, progress)
        return
    progress(f"importing into {_safe(database_url)} (gateway sync) ...")
    _gateway(folder, env, "sync", SOURCE)
    if database_url.startswith("sqlite") if remember is None else remember:
        built["synced"] = [*built.get("synced", []), database_url]
        marker.write_text(json.dumps(built))


def _ensure_documents(database_url: str, progress) -> None:  # noqa: ANN001
    """A kept store built by an older release gets this release's wire documents."""
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        rendered = ensure_documents(engine)
    finally:
        engine.dispose()
    if rendered:
        progress(f"rendered the wire documents of {rendered:,} stored rows")


def _safe(database_url: str) -> str:
    return make_url(database_url).render_as_string(hide_password=True)


def register_bench_app(database_url: str) -> Credentials:
    """A district-wide app that reads rosters: the common case for an LMS or rostering app."""
    agreement = parse_agreement({"name": "api benchmark", "purpose": "rostering",
                                 "expires": "2099-12-31", "scopes": READ_SCOPES})
    engine = make_engine(database_url)
    try:
        return register_app(engine, "api benchmark", agreement)
    finally:
        engine.dispose()


def fetch_token(host: str, port: int, credentials: Credentials) -> str:
    basic = base64.b64encode(
        f"{credentials.client_id}:{credentials.client_secret}".encode()).decode()
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.request("POST", "/oauth/token",
                 body=urllib.parse.urlencode({"grant_type": "client_credentials"}),
                 headers={"Authorization": f"Basic {basic}",
                          "Content-Type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    body = response.read().decode("utf-8", "replace")
    conn.close()
    if response.status != 200:
        raise SystemExit(f"POST /oauth/token answered {response.status}: {body[:500]}")
    return json.loads(body)["access_token"]


def disclosure_count(folder: Path, database_url: str) -> int:
    """How many disclosures the log holds: proves the log was on (or off) during a run. What
    the stopped servers spooled and had not moved yet is moved first."""
    engine = make_engine(database_url)
    try:
        flush_spool(spool_folder(folder / "var", database_url), engine)
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(Disclosure.__table__)
                                ).scalar_one()
    finally:
        engine.dispose()


# -- a throwaway PostgreSQL database ---------------------------------------------------------
def create_postgres(server_url: str) -> str:
    """Create the bench's own database next to `server_url`'s and return its URL, so the bench
    never touches the database the test suite uses."""
    try:
        url = make_url(server_url)
    except ArgumentError:
        raise SystemExit(f"--postgres {server_url!r}: not a database URL") from None
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {BENCH_DATABASE}"))
            conn.execute(text(f"CREATE DATABASE {BENCH_DATABASE}"))
    except OperationalError as exc:
        raise SystemExit(f"--postgres {_safe(server_url)}: cannot create the bench database: "
                         f"{str(exc.orig).strip()}") from None
    finally:
        admin.dispose()
    return url.set(database=BENCH_DATABASE).render_as_string(hide_password=False)


def drop_postgres(server_url: str) -> None:
    admin = create_engine(make_url(server_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)"))
    finally:
        admin.dispose()

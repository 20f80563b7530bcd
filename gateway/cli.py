"""The `gateway` command: what district IT runs.

Thin: each command parses its arguments, calls one function of the package, and prints. The same
functions serve the web console later. Whatever is printed that comes from data or files (names,
sourcedIds, values, messages that quote them) goes through `shown` (gateway.safe_text.terminal),
so that a hostile export can neither forge a line of output nor drive the terminal.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import click
from sqlalchemy import Engine

from adapters import registry
from adapters.base import OptionError
from gateway.config import STARTER, ConfigError, Settings, load_settings
from gateway.safe_text import csv_rows
from gateway.safe_text import terminal as shown
from gateway.store.session import open_store
from gateway.sync.history import recent_runs, run_with_issues
from gateway.sync.report import ISSUE_COLUMNS, RunReport
from gateway.sync.sources import build_adapter


class Context:
    def __init__(self) -> None:
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings()
            except ConfigError as exc:
                raise click.ClickException(shown(exc)) from None
        return self._settings


pass_ctx = click.make_pass_decorator(Context, ensure=True)


def _open_store(settings: Settings) -> Engine:
    """The store, migrated, with its wire documents in this release's format."""
    from gateway.sync.documents import ensure_documents

    engine = open_store(settings)
    rendered = ensure_documents(engine)
    if rendered:
        click.echo(f"rendered the wire documents of {rendered:,} stored rows for this release",
                   err=True)
    return engine


@click.group()
@click.version_option(package_name="school-data-gateway")
def main() -> None:
    """School Data Gateway: import district exports, serve them under data-sharing agreements."""


@main.command()
@click.option("--force", is_flag=True, help="Overwrite an existing configuration file.")
@pass_ctx
def init(ctx: Context, force: bool) -> None:
    """Write a commented gateway.toml (if missing) and create or upgrade the store."""
    path = Path(os.environ.get("GATEWAY_CONFIG", "gateway.toml"))
    if path.exists() and not force:
        click.echo(f"{path} exists; left as it is (--force to overwrite)")
    else:
        path.write_text(STARTER, encoding="utf-8")
        click.echo(f"wrote {path}")
    settings = load_settings()
    _open_store(settings).dispose()
    click.echo(f"store ready: {settings.database_url}")


@main.command("adapters")
def list_adapters() -> None:
    """List the installed adapters and their options."""
    for name, adapter in registry.available().items():
        click.secho(name, bold=True, nl=False)
        click.echo(f"  {adapter.description}")
        for option in adapter.options:
            flags = ", ".join(
                f for f, on in (("required", option.required), ("secret: env var name",
                                                                 option.secret)) if on
            )
            default = "" if option.default is None else f" (default {option.default!r})"
            click.echo(f"    {option.name}{' [' + flags + ']' if flags else ''}{default}: "
                       f"{option.help}")


@main.group()
def sources() -> None:
    """Configured sources."""


@sources.command("check")
@click.argument("names", nargs=-1)
@click.option("--probe", is_flag=True,
              help="Also fetch one page of each stream of API sources and show the mapped "
                   "records (reads the API; imports nothing).")
@pass_ctx
def sources_check(ctx: Context, names: tuple[str, ...], probe: bool) -> None:
    """Check every source's adapter, options and mapping without importing anything."""
    settings = ctx.settings
    if not settings.sources:
        raise click.ClickException("no sources configured; see `gateway init`")
    failed = False
    for name in names or tuple(settings.sources):
        try:
            _source, adapter = build_adapter(settings, name)
            problems = adapter.check()
        except (OptionError, registry.UnknownAdapter, ConfigError) as exc:
            problems = [str(exc)]
        if problems:
            failed = True
            click.secho(f"{shown(name)}: {len(problems)} problem(s)", fg="red")
            for problem in problems:
                click.echo(f"  - {shown(problem)}")
        else:
            click.secho(f"{shown(name)}: ok", fg="green")
            if probe and hasattr(adapter, "probe"):
                failed = _print_probe(adapter) or failed
    if failed:
        sys.exit(1)


def _print_probe(adapter) -> bool:  # noqa: ANN001
    """One page of each stream and its first mapped records; True when a stream failed."""
    failed = False
    for found in adapter.probe():
        head = f"  {found.stream}: {found.url or ''}"
        if found.error:
            failed = failed or found.url is None
            click.echo(shown(f"{head} {found.error}"))
            continue
        click.echo(shown(f"{head} ({len(found.records)} shown, {len(found.issues)} problems)"))
        for record in found.records:
            click.echo(shown(f"    {record.family} {record.sourced_id}: "
                             + json.dumps(record.fields, ensure_ascii=False, default=str)))
        for issue in found.issues[:5]:
            click.echo(_issue_line(issue.level, issue.file, issue.line, issue.field,
                                   issue.value, issue.reason))
    return failed


@main.command()
@click.argument("source")
@click.option("--dry-run", is_flag=True, help="Compute and print the diff; apply nothing.")
@click.option("--force", is_flag=True, help="Override the mass-delete/update safeguard.")
@click.option("--full", is_flag=True,
              help="Read every file, even those identical to the last clean run's.")
@pass_ctx
def sync(ctx: Context, source: str, dry_run: bool, force: bool, full: bool) -> None:
    """Import SOURCE into the store: validate, diff and apply in one transaction."""
    from gateway.busy import StoreBusy
    from gateway.sync.runner import run_sync

    settings = ctx.settings
    try:
        config, adapter = build_adapter(settings, source)
    except (OptionError, registry.UnknownAdapter, ConfigError) as exc:
        raise click.ClickException(shown(exc)) from None
    problems = adapter.check()
    if problems:
        raise click.ClickException(shown(f"source {source!r}: " + "; ".join(problems)))
    engine = _open_store(settings)
    progress = _Progress()
    try:
        report = run_sync(engine, config, adapter.read(), adapter_name=config.adapter,
                          var_dir=settings.var_dir, dry_run=dry_run, force=force,
                          full=full, progress=progress, lock_timeout=settings.sync_lock_timeout)
    except StoreBusy as busy:
        progress.done()
        click.secho(f"sync {source}: failed: {busy} (sync_lock_timeout = "
                    f"{settings.sync_lock_timeout:g} s; run again when the other writer "
                    "has finished)", fg="red", err=True)
        sys.exit(2)
    finally:
        progress.done()
        engine.dispose()
    print_report(report)
    if report.state in ("failed", "refused"):
        sys.exit(2)


class _Progress:
    """A one-line live counter on stderr (rows read, rows/s) while a run streams."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.shown = False

    def __call__(self, rows: int, source: dict | None = None) -> None:
        rate = rows / max(time.perf_counter() - self.started, 1e-9)
        http = "" if not source else (f"  {source['requests']:,} requests, "
                                      f"{source['pages']:,} pages, {source['retries']:,} retries")
        click.echo(f"\rreading: {rows:>10,} rows  {rate:>10,.0f} rows/s{http}", nl=False,
                   err=True)
        self.shown = True

    def done(self) -> None:
        if self.shown:
            click.echo("", err=True)
            self.shown = False


def print_report(report: RunReport) -> None:
    colour = {"applied": "green", "unchanged": "green", "dry-run": "yellow"}.get(report.state,
                                                                                "red")
    click.secho(f"run {report.run_id} ({shown(report.source)}): {report.state}", fg=colour,
                bold=True)
    header = ("family", "mode", "read", "inserted", "updated", "deleted", "unchanged", "errors")
    rows = [header] + [
        (shown(name), shown(report.modes.get(name, "-")), c.read, c.inserted, c.updated, c.deleted,
         c.unchanged, c.errors)
        for name, c in report.counts.items()
    ]
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(header))]
    for row in rows:
        click.echo("  ".join(str(v).rjust(w) if i > 1 else str(v).ljust(w)
                             for i, (v, w) in enumerate(zip(row, widths, strict=True))))
    click.echo(f"{report.rows_read:,} rows in {report.seconds:.2f} s "
               f"({report.rows_per_second:,.0f} rows/s); change_version "
               f"{report.change_version if report.change_version is not None else '-'}")
    if report.message:
        click.echo(shown(report.message))
    if report.source_stats:
        s = report.source_stats
        click.echo(f"api: {s['requests']:,} requests, {s['pages']:,} pages, "
                   f"{s['records']:,} records, {s['retries']:,} retries, "
                   f"{s['token_refreshes']:,} tokens, {s['bytes'] / 1e6:,.1f} MB in "
                   f"{s['seconds']:.2f} s ({s['http_seconds']:.2f} s waiting on the network)")
    if report.bookmarks or report.bookmarks_held:
        kept = "kept" if report.state in ("applied", "unchanged") else "not kept"
        click.echo(f"bookmarks ({kept}): " + shown(", ".join(
            f"{k}={v}" for k, v in sorted(report.bookmarks.items()))))
        if report.bookmarks_held:
            click.echo("bookmarks left as they were (rejected rows are read again): "
                       + shown(", ".join(report.bookmarks_held)))
    verbs = {"inserted": "insert", "updated": "update", "deleted": "delete"}
    for family, ops in report.samples.items():
        if report.state == "dry-run":
            for op, ids in ops.items():
                click.echo(f"  would {verbs[op]} {shown(family)}: {shown(', '.join(ids))}")
    if report.skipped:
        click.echo("unchanged since the last clean run, not read: "
                   + shown(", ".join(report.skipped)) + " (--full reads them anyway)")
    if report.dropped:
        click.echo("dropped columns (not canonical fields): " + shown(", ".join(
            f"{d.file}:{d.column}" for d in report.dropped)))
    totals = report.issue_totals
    if totals:
        click.echo("issues: " + ", ".join(f"{n} {level}" for level, n in sorted(totals.items())))
        for issue in report.issues[:20]:
            click.echo(_issue_line(issue.level, issue.file, issue.line, issue.field,
                                   issue.value, issue.reason))
        if len(report.issues) > 20:
            click.echo(f"  ... see `gateway runs show {report.run_id}` for all")


@main.group(invoke_without_command=True)
@click.option("--limit", default=20, show_default=True)
@click.pass_context
def runs(click_ctx: click.Context, limit: int) -> None:
    """List past sync runs (newest first)."""
    if click_ctx.invoked_subcommand:
        return
    settings = click_ctx.ensure_object(Context).settings
    engine = _open_store(settings)
    found = recent_runs(engine, limit)
    engine.dispose()
    for run in found:
        click.echo(f"{run['id']:>5}  {run['started_at']:%Y-%m-%d %H:%M:%S}  "
                   f"{shown(run['source']):<16} {shown(run['state']):<11} "
                   f"{run['changed']:>8} changed  {shown(run['message'] or '')}")


@runs.command("show")
@click.argument("run_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text")
@pass_ctx
def runs_show(ctx: Context, run_id: int, fmt: str) -> None:
    """Print one run's report: counts and every recorded issue."""
    engine = _open_store(ctx.settings)
    found = run_with_issues(engine, run_id)
    engine.dispose()
    if found is None:
        raise click.ClickException(f"no run {run_id}")
    run_row, issues = found
    run = SimpleNamespace(**run_row)
    if fmt == "json":
        click.echo(json.dumps({"run_id": run.id, "source": run.source, "state": run.state,
                               "message": run.message, "change_version": run.change_version,
                               **(run.stats or {}), "issues": issues}, indent=2, default=str))
        return
    if fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=ISSUE_COLUMNS)
        writer.writeheader()
        writer.writerows(csv_rows(issues, for_terminal=True))
        return
    click.echo(f"run {run.id}: source {shown(run.source)}, adapter {shown(run.adapter)}, "
               f"{shown(run.state)}")
    click.echo(f"started {run.started_at}, finished {run.finished_at}, "
               f"change_version {run.change_version}")
    if run.message:
        click.echo(shown(run.message))
    for family, c in (run.stats or {}).get("counts", {}).items():
        click.echo(f"  {shown(family):<28} " + "  ".join(f"{k} {v}" for k, v in c.items()))
    for issue in issues:
        click.echo(_issue_line(issue["level"], issue["file"], issue["line"], issue["field"],
                               issue["value"], issue["reason"]))


def _issue_line(level: str, file: str | None, line: int | None, field: str | None,
                value: object, reason: str) -> str:
    """One issue as `gateway sync` and `runs show` print it: every part of it can come from the
    source (a file or column name, a value, a reason quoting them), so all of it is escaped."""
    where = ":".join(str(p) for p in (file, line) if p is not None)
    what = "" if not field else f" {field}" if value is None else f" {field}={value!r}"
    return shown(f"  {level:7} {where}{what}: {reason}")


@main.command("demo-data")
@click.option("--students", default=2000, show_default=True, type=click.IntRange(1))
@click.option("--seed", default=1, show_default=True)
@click.option("--format", "fmt", default="vendor-csv", show_default=True,
              type=click.Choice(["oneroster-csv", "vendor-csv", "edfi-xml"]))
@click.option("--oneroster-version", default="1.2", type=click.Choice(["1.1", "1.2"]))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
def demo_data(students: int, seed: int, fmt: str, oneroster_version: str, out: Path) -> None:
    """Generate a deterministic, realistic demo district as files."""
    from gateway.demo import write_demo

    started = time.perf_counter()
    summary = write_demo(out, students=students, seed=seed, format=fmt,
                         oneroster_version=oneroster_version)
    click.echo(f"wrote {fmt} demo district to {out} in {time.perf_counter() - started:.1f} s")
    for name, count in dataclasses.asdict(summary).items():
        if isinstance(count, int):
            click.echo(f"  {name:<22} {count:>10,}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=None, type=click.IntRange(1),
              help="gunicorn workers; default: one per available core.")
@click.option("--dev", is_flag=True, help="Werkzeug's development server, one process.")
@pass_ctx
def serve(ctx: Context, host: str, port: int, workers: int | None, dev: bool) -> None:
    """Serve the gateway over HTTP (through gunicorn unless --dev)."""
    from gateway.app import create_app
    from gateway.serve import _QuietHandler, app_config, default_workers, serve_gunicorn

    settings = ctx.settings
    _open_store(settings).dispose()
    config = app_config(settings.public_url, host, port)
    if not dev:
        click.echo(f"serving on http://{host}:{port}/ (Ctrl-C to stop)")
        serve_gunicorn(host, port, workers or default_workers(), config)
        return
    app = create_app(config)
    click.echo(f"serving on http://{host}:{port}/ (development server; Ctrl-C to stop)")
    app.run(host=host, port=port, threaded=True, use_reloader=False,
            request_handler=_QuietHandler)


from gateway.auth.cli import admins, apps, keys  # noqa: E402
from gateway.lti.cli import lti  # noqa: E402

main.add_command(admins)
main.add_command(apps)
main.add_command(keys)
main.add_command(lti)


@main.group()
def optouts() -> None:
    """Parents' opt-outs: a student hidden from every app, or from one."""


@optouts.command("add")
@click.argument("student")
@click.option("--app", "client_id", help="Only this app (client id); default: every app.")
@click.option("--note", help="Why, for the record (e.g. the parent's request reference).")
@pass_ctx
def optouts_add(ctx: Context, student: str, client_id: str | None, note: str | None) -> None:
    from gateway.policy.optouts import OptOutError, add_optout

    engine = _open_store(ctx.settings)
    try:
        added = add_optout(engine, student, client_id, note)
    except OptOutError as exc:
        raise click.ClickException(shown(exc)) from None
    finally:
        engine.dispose()
    target = f"app {client_id}" if client_id else "every app"
    click.echo(shown(f"{student} opted out of {target}" + ("" if added else " (already)")))


@optouts.command("remove")
@click.argument("student")
@click.option("--app", "client_id")
@pass_ctx
def optouts_remove(ctx: Context, student: str, client_id: str | None) -> None:
    from gateway.policy.optouts import OptOutError, remove_optout

    engine = _open_store(ctx.settings)
    try:
        removed = remove_optout(engine, student, client_id)
    except OptOutError as exc:
        raise click.ClickException(shown(exc)) from None
    finally:
        engine.dispose()
    if not removed:
        raise click.ClickException(shown(f"no such opt-out for {student}"))
    click.echo(shown(f"opt-out of {student} removed"))


@optouts.command("list")
@pass_ctx
def optouts_list(ctx: Context) -> None:
    from gateway.policy.optouts import list_optouts

    engine = _open_store(ctx.settings)
    rows = list_optouts(engine)
    engine.dispose()
    for row in rows:
        target = f"{row['name']} ({row['client_id']})" if row["client_id"] else "every app"
        click.echo(f"{shown(row['student_id']):<40} {shown(target):<40} "
                   f"{row['created_at']:%Y-%m-%d} {shown(row['note'] or '')}")


@main.command()
@click.argument("student")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@pass_ctx
def disclosures(ctx: Context, student: str, fmt: str) -> None:
    """Every disclosure of STUDENT's data: which app, when, what request, which fields."""
    from gateway.policy.disclosure_spool import flush_spool, spool_folder
    from gateway.policy.disclosures import history, verify_chain

    engine = _open_store(ctx.settings)
    # what the servers on this node have not moved into the store yet
    flush_spool(spool_folder(ctx.settings.var_dir, ctx.settings.database_url), engine)
    rows = history(engine, student)
    with engine.connect() as conn:
        broken = verify_chain(conn)
    engine.dispose()
    if fmt == "json":
        click.echo(json.dumps({"student": student, "chain_intact": broken is None,
                               "disclosures": rows}, indent=2, default=str))
        return
    for row in rows:
        click.echo(f"{row['at']:%Y-%m-%d %H:%M:%S}  "
                   + shown(f"{row['name'] or '?'} ({row['client_id']})  {row['endpoint']}")
                   + f"\n    fields: {shown(row['fields'])}")
    click.echo(f"{len(rows)} disclosure(s) of {shown(student)}; log chain "
               + ("intact" if broken is None else f"BROKEN at disclosure {broken}"))


@optouts.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--apply", "apply_it", is_flag=True,
              help="Apply the file (all or nothing); without it, only say what it would do.")
@pass_ctx
def optouts_import(ctx: Context, file: Path, apply_it: bool) -> None:
    """Opt-outs from a CSV file with the header student_id,app,note (app empty: every app)."""
    from gateway.policy.optouts import OptOutError, apply_optout_csv, read_optout_csv

    text = file.read_text(encoding="utf-8-sig")
    engine = _open_store(ctx.settings)
    try:
        rows = read_optout_csv(engine, text)
        for row in rows:
            outcome = row.problem or ("already opted out" if row.already else "opt out")
            click.echo(shown(f"  line {row.line}: {row.student_id} "
                             f"{row.client_id or 'every app'}: {outcome}"))
        if apply_it:
            try:
                added = apply_optout_csv(engine, text)
            except OptOutError as exc:
                raise click.ClickException(shown(f"nothing was imported: {exc}")) from None
            click.echo(f"{added} opt-out(s) added")
        elif any(r.problem for r in rows):
            sys.exit(1)
    finally:
        engine.dispose()


@optouts.command("code")
@click.argument("student")
@pass_ctx
def optouts_code(ctx: Context, student: str) -> None:
    """A code for STUDENT's parents' letter: with it they opt the student out at /privacy/opt-out
    (shown once; the gateway keeps only its hash)."""
    from gateway.policy.district_reads import student as find
    from gateway.policy.parent_requests import issue_code

    engine = _open_store(ctx.settings)
    try:
        if find(engine, student) is None:
            raise click.ClickException(shown(f"no student {student!r} in the store"))
        click.echo(issue_code(engine, student))
    finally:
        engine.dispose()


@main.group()
def report() -> None:
    """Reports from the disclosure log, as PDF or CSV files."""


@report.command("parent")
@click.argument("student")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The PDF to write.")
@pass_ctx
def report_parent(ctx: Context, student: str, out: Path) -> None:
    """STUDENT's record of disclosures (FERPA 99.32), as a PDF for the parents."""
    from gateway.admin.pdf import parent_pdf
    from gateway.policy.disclosure_spool import flush_spool, spool_folder
    from gateway.policy.reports import parent_report

    engine = _open_store(ctx.settings)
    try:
        flush_spool(spool_folder(ctx.settings.var_dir, ctx.settings.database_url), engine)
        found = parent_report(engine, student)
    finally:
        engine.dispose()
    out.write_bytes(parent_pdf(found))
    click.echo(shown(f"wrote {out}: {found.total} disclosure(s) to {len(found.apps)} app(s)"))


@report.command("breach")
@click.argument("client_id")
@click.option("--since", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--until", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="The last day of the window (included).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The file to write: .pdf for a PDF, anything else for CSV.")
@pass_ctx
def report_breach(ctx: Context, client_id: str, since: datetime, until: datetime,
                  out: Path) -> None:
    """Every student CLIENT_ID was sent in the window, with the fields (NY Part 121.10)."""
    from datetime import UTC, timedelta

    from gateway.admin.pdf import breach_pdf
    from gateway.auth.registry import RegistryError, app_detail
    from gateway.policy.disclosure_spool import flush_spool, spool_folder
    from gateway.policy.reports import breach_report

    start = since.replace(tzinfo=UTC)
    end = until.replace(tzinfo=UTC) + timedelta(days=1)
    engine = _open_store(ctx.settings)
    try:
        detail = app_detail(engine, client_id)
        flush_spool(spool_folder(ctx.settings.var_dir, ctx.settings.database_url), engine)
        rows = breach_report(engine, client_id, start, end)
    except RegistryError as exc:
        raise click.ClickException(shown(exc)) from None
    finally:
        engine.dispose()
    if out.suffix.lower() == ".pdf":
        out.write_bytes(breach_pdf(detail, start, end, rows))
    else:
        with out.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["student_id", "student_name", "first_disclosed",
                             "last_disclosed", "responses", "fields"])
            for row in csv_rows({"a": r.student_id, "b": r.student_name,
                                 "c": r.first.isoformat(), "d": r.last.isoformat(),
                                 "e": r.responses, "f": " ".join(r.fields)} for r in rows):
                writer.writerow(row.values())
    click.echo(shown(f"wrote {out}: {len(rows)} student(s)"))

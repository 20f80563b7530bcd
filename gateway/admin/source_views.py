"""Sources: check one, start a sync (or a dry run: the diff without applying) and watch it,
and read the run history with every rejected row; a run's issues download as CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request

from gateway.admin.access import actor
from gateway.admin.console_views import console, settings
from gateway.auth.audit import record_now
from gateway.extensions import store_engine
from gateway.safe_text import csv_rows
from gateway.sync.history import recent_runs, run_with_issues
from gateway.sync.jobs import SOURCE_ERRORS, SyncJobs
from gateway.sync.report import ISSUE_COLUMNS
from gateway.sync.sources import check_source


def _jobs() -> SyncJobs:
    return current_app.extensions["gateway.sync_jobs"]


@console.route("/sources")
def sources() -> Any:
    return render_template("admin/sources.html", sources=settings().sources,
                           runs=recent_runs(store_engine(), 50))


@console.route("/sources/<name>/check", methods=["POST"])
def source_check(name: str) -> Any:
    if name not in settings().sources:
        abort(404)
    problems = check_source(settings(), name)
    if problems:
        for problem in problems:
            flash(f"{name}: {problem}", "error")
    else:
        flash(f"{name}: the adapter, its options and its mapping are in order", "ok")
    return redirect("/console/sources", 303)


@console.route("/sources/<name>/sync", methods=["POST"])
def source_sync(name: str) -> Any:
    if name not in settings().sources:
        abort(404)
    dry_run = request.form.get("mode") == "dry-run"
    try:
        job = _jobs().start(settings(), store_engine(), name, dry_run=dry_run,
                            started_by=actor())
    except (ValueError, *SOURCE_ERRORS) as exc:
        flash(str(exc), "error")
        return redirect("/console/sources", 303)
    record_now(store_engine(), actor(), "sync.dry_run" if dry_run else "sync.start", name,
               job=job.id)
    return redirect(f"/console/jobs/{job.id}", 303)


@console.route("/jobs/<int:job_id>")
def job(job_id: int) -> Any:
    found = _jobs().get(job_id)
    if found is None:
        abort(404, description="no such sync in this gateway process; see the run history")
    return render_template("admin/job.html", job=found, report=found.report)


@console.route("/runs/<int:run_id>")
def run(run_id: int) -> Any:
    found = run_with_issues(store_engine(), run_id)
    if found is None:
        abort(404)
    run_row, issues = found
    return render_template("admin/run.html", run=run_row, issues=issues,
                           counts=(run_row["stats"] or {}).get("counts", {}))


@console.route("/runs/<int:run_id>/issues.csv")
def run_issues_csv(run_id: int) -> Any:
    found = run_with_issues(store_engine(), run_id)
    if found is None:
        abort(404)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=ISSUE_COLUMNS)
    writer.writeheader()
    writer.writerows(csv_rows(found[1]))
    return out.getvalue(), 200, {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="run-{run_id}-issues.csv"'}

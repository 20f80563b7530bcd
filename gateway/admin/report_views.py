"""Disclosures and reports: every disclosure of one student or by one app, the hash chain
verified, a parent's record of disclosures (page and PDF), and a breach report for an app and
a time window (CSV and PDF). Auditors may produce all of them: they are reads."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, time, timedelta
from typing import Any

from flask import Response, abort, render_template, request

from gateway.admin.console_views import console
from gateway.admin.pdf import breach_pdf, parent_pdf
from gateway.auth.registry import RegistryError, all_app_details, app_detail
from gateway.extensions import disclosure_log, store_engine
from gateway.policy.district_reads import student
from gateway.policy.reports import (
    app_disclosures,
    breach_report,
    chain_status,
    parent_report,
)
from gateway.safe_text import csv_rows


@console.route("/disclosures")
def disclosures() -> Any:
    disclosure_log().settle()
    engine = store_engine()
    student_id = request.args.get("student", "").strip()
    client_id = request.args.get("app", "").strip()
    report = parent_report(engine, student_id) if student_id else None
    by_app = app_disclosures(engine, client_id) if client_id else None
    total, broken = chain_status(engine)
    return render_template("admin/disclosures.html", report=report, by_app=by_app,
                           student_id=student_id, client_id=client_id, total=total,
                           broken=broken, apps=all_app_details(engine))


def _parent(student_id: str) -> Any:
    disclosure_log().settle()
    if not student_id or student(store_engine(), student_id) is None:
        abort(404, description="no such student")
    return parent_report(store_engine(), student_id)


@console.route("/reports/parent")
def parent_page() -> Any:
    report = _parent(request.args.get("student", "").strip())
    return render_template("admin/parent_report.html", report=report)


@console.route("/reports/parent.pdf")
def parent_pdf_download() -> Any:
    report = _parent(request.args.get("student", "").strip())
    name = f"disclosures-{_file(report.student_id)}.pdf"
    return Response(parent_pdf(report), mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _file(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)[:60] or "student"


def _window() -> tuple[datetime, datetime]:
    try:
        since = datetime.fromisoformat(request.args.get("since", ""))
        until = datetime.fromisoformat(request.args.get("until", ""))
    except ValueError:
        abort(400, description="since and until must be dates (YYYY-MM-DD)")
    if until.time() == time(0) and len(request.args.get("until", "")) == 10:
        until += timedelta(days=1)  # a date means the whole day
    since = since if since.tzinfo else since.replace(tzinfo=UTC)
    until = until if until.tzinfo else until.replace(tzinfo=UTC)
    if until <= since:
        abort(400, description="until must be after since")
    return since, until


@console.route("/reports/breach")
def breach() -> Any:
    engine = store_engine()
    client_id = request.args.get("app", "")
    if not client_id:
        return render_template("admin/breach.html", apps=all_app_details(engine), rows=None,
                               today=datetime.now(UTC).date())
    try:
        detail = app_detail(engine, client_id)
    except RegistryError:
        abort(404, description="no such app")
    since, until = _window()
    disclosure_log().settle()
    rows = breach_report(engine, client_id, since, until)
    fmt = request.args.get("format", "html")
    if fmt == "csv":
        out = io.StringIO()
        columns = ["student_id", "student_name", "first_disclosed", "last_disclosed",
                   "responses", "fields"]
        writer = csv.DictWriter(out, fieldnames=columns)
        writer.writeheader()
        writer.writerows(csv_rows({
            "student_id": r.student_id, "student_name": r.student_name,
            "first_disclosed": r.first.isoformat(), "last_disclosed": r.last.isoformat(),
            "responses": r.responses, "fields": " ".join(r.fields)} for r in rows))
        return Response(out.getvalue(), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="breach-{_file(client_id)}.csv"'})
    if fmt == "pdf":
        return Response(breach_pdf(detail, since, until, rows), mimetype="application/pdf",
                        headers={"Content-Disposition":
                                 f'attachment; filename="breach-{_file(client_id)}.pdf"'})
    return render_template("admin/breach.html", apps=all_app_details(engine), rows=rows,
                           detail=detail, since=since, until=until,
                           today=datetime.now(UTC).date())

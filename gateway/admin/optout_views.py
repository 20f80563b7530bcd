"""Opt-outs: find a student, hide them from one app or from every app (or undo it), import
many from a CSV file after a preview, issue a parent's opt-out code, and decide the parents'
requests that wait for approval."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request

from gateway.admin.access import actor
from gateway.admin.console_views import console, settings
from gateway.auth.registry import all_app_details
from gateway.extensions import store_engine
from gateway.policy.district_reads import find_students, student
from gateway.policy.optouts import (
    OptOutError,
    add_optout,
    apply_optout_csv,
    list_optouts,
    read_optout_csv,
    remove_optout,
)
from gateway.policy.parent_requests import RequestError, decide, issue_code, pending_requests

MAX_UPLOAD = 2 * 1024 * 1024


@console.route("/optouts")
def optouts() -> Any:
    engine = store_engine()
    query = request.args.get("q", "").strip()[:200]
    chosen = request.args.get("student")
    found = find_students(engine, query) if query else []
    shown = student(engine, chosen) if chosen else None
    return render_template(
        "admin/optouts.html", q=query, found=found, student=shown,
        student_optouts=list_optouts(engine, chosen) if chosen else [],
        all_optouts=list_optouts(engine)[:500], apps=all_app_details(engine),
        pending=pending_requests(engine), mode=settings().parent_optouts)


def _back(student_id: str | None) -> Any:
    return redirect("/console/optouts" + (f"?student={student_id}" if student_id else ""), 303)


@console.route("/optouts/add", methods=["POST"])
def optout_add() -> Any:
    student_id = request.form.get("student", "")
    client_id = request.form.get("app") or None
    if student(store_engine(), student_id) is None:
        flash(f"no student {student_id!r}", "error")
        return _back(None)
    try:
        added = add_optout(store_engine(), student_id, client_id,
                           request.form.get("note") or None, actor=actor())
    except OptOutError as exc:
        flash(str(exc), "error")
    else:
        flash("Opted out." if added else "That opt-out was already there.", "ok")
    return _back(student_id)


@console.route("/optouts/remove", methods=["POST"])
def optout_remove() -> Any:
    student_id = request.form.get("student", "")
    try:
        removed = remove_optout(store_engine(), student_id, request.form.get("app") or None,
                                actor=actor())
    except OptOutError as exc:
        flash(str(exc), "error")
    else:
        flash("Opt-out removed." if removed else "No such opt-out.", "ok")
    return _back(student_id)


def _upload_text() -> str | None:
    if "content" in request.form:
        return request.form["content"][:MAX_UPLOAD]
    upload = request.files.get("file")
    if upload is None:
        return None
    raw = upload.read(MAX_UPLOAD + 1)
    if len(raw) > MAX_UPLOAD:
        flash("the file is larger than 2 MB", "error")
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        flash("the file is not UTF-8 text", "error")
        return None


@console.route("/optouts/import", methods=["POST"])
def optout_import() -> Any:
    text = _upload_text()
    if text is None:
        return _back(None)
    if request.form.get("action") != "apply":
        rows = read_optout_csv(store_engine(), text)
        return render_template("admin/optout_preview.html", rows=rows, content=text,
                               bad=sum(1 for r in rows if r.problem))
    try:
        added = apply_optout_csv(store_engine(), text, actor=actor())
    except OptOutError as exc:
        flash(f"nothing was imported: {exc}", "error")
        return _back(None)
    flash(f"{added} opt-out(s) added.", "ok")
    return _back(None)


@console.route("/optouts/code", methods=["POST"])
def optout_code() -> Any:
    student_id = request.form.get("student", "")
    shown = student(store_engine(), student_id)
    if shown is None:
        flash(f"no student {student_id!r}", "error")
        return _back(None)
    code = issue_code(store_engine(), student_id, actor=actor())
    return render_template("admin/parent_letter.html", student=shown, code=code)


@console.route("/optouts/requests/<int:request_id>", methods=["POST"])
def optout_request_decide(request_id: int) -> Any:
    try:
        decide(store_engine(), request_id, request.form.get("decision") == "approve",
               actor=actor())
    except RequestError as exc:
        flash(str(exc), "error")
    return _back(None)

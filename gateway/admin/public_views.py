"""The public privacy pages, no sign-in: the transparency page (each app, its purpose, the
data it receives, its schools, its agreement's end) and the parents' opt-out request by the
code in the district's letter. The request form is CSRF-protected like the console's, and a
wrong code gets the same answer whatever the code was."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request

from gateway.admin.access import csrf
from gateway.auth.registry import all_app_details
from gateway.extensions import store_engine
from gateway.policy.parent_requests import RequestError, request_optout
from gateway.policy.reports import transparency

privacy = Blueprint("privacy", __name__, url_prefix="/privacy", template_folder="templates")


@privacy.before_request
def _csrf() -> None:
    if request.method == "POST":
        csrf.protect()


@privacy.route("/")
def transparency_page() -> Any:
    return render_template("admin/transparency.html", entries=transparency(store_engine()))


@privacy.route("/opt-out", methods=["GET", "POST"])
def parent_optout() -> Any:
    apps = [a for a in all_app_details(store_engine()) if a.terminated_at is None]
    if request.method == "GET":
        return render_template("admin/parent_optout.html", apps=apps, outcome=None)
    mode = current_app.config["GATEWAY_SETTINGS"].parent_optouts
    try:
        outcome = request_optout(store_engine(), request.form.get("code", "")[:64],
                                 request.form.get("app") or None, mode,
                                 (request.form.get("note") or "")[:500] or None)
    except RequestError as exc:
        return render_template("admin/parent_optout.html", apps=apps, outcome=None,
                               error=str(exc)), 400
    return render_template("admin/parent_optout.html", apps=apps, outcome=outcome)

"""Apps and their agreements: register one (its secret shown once), edit its terms, rotate
its secret (shown once), terminate its agreement and record the vendor's deletion
certificate."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import abort, flash, redirect, render_template, request

from gateway.admin.access import actor
from gateway.admin.agreement_form import FormError, agreement_from_form, form_values
from gateway.admin.console_views import console, settings
from gateway.auth.lti_registry import list_platforms, list_tools
from gateway.auth.oauth1_vault import OAuth1Vault, vault_path
from gateway.auth.registry import (
    RegistryError,
    all_app_details,
    app_detail,
    register_app,
    rotate_secret,
    update_agreement,
)
from gateway.auth.wiring import auth_state
from gateway.extensions import store_engine
from gateway.policy.agreement import AgreementError
from gateway.policy.agreement_end import (
    AgreementEndError,
    certifications,
    certify,
    request_for_expired,
    terminate,
)
from gateway.policy.district_reads import schools


def _forget(client_id: str) -> None:
    """This process's cached copy of the app goes now (other nodes' within seconds)."""
    auth_state().clients.forget(client_id)


@console.route("/apps")
def apps() -> Any:
    engine = store_engine()
    request_for_expired(engine, settings().deletion_certification_days)
    today = datetime.now(UTC).date()
    certs = {c.client_id: c for c in certifications(engine)}
    return render_template("admin/apps.html", apps=all_app_details(engine), certs=certs,
                           today=today)


def _form_page(values: dict[str, Any], *, client_id: str | None, status: int = 200) -> Any:
    return render_template("admin/app_form.html", v=values, client_id=client_id,
                           school_list=schools(store_engine())), status


@console.route("/apps/new", methods=["GET", "POST"])
def app_new() -> Any:
    if request.method == "GET":
        return _form_page(form_values(None), client_id=None)
    name = request.form.get("app_name", "").strip()
    try:
        agreement = agreement_from_form(request.form)
        if not name:
            raise FormError("the app needs a name")
        client_id, secret = register_app(store_engine(), name, agreement, actor=actor())
    except (AgreementError, FormError, RegistryError) as exc:
        flash(str(exc), "error")
        return _form_page(_resubmitted(), client_id=None, status=400)
    return render_template("admin/credentials.html", name=name, client_id=client_id,
                           secret=secret, new=True)


def _resubmitted() -> dict[str, Any]:
    """The form as submitted, to correct (the defaults where it cannot be read back)."""
    values = form_values(None, request.form.get("app_name", ""))
    values.update(agreement_name=request.form.get("agreement_name", ""),
                  purpose=request.form.get("purpose", ""),
                  expires=request.form.get("expires", values["expires"]),
                  scopes=set(request.form.getlist("scopes")),
                  sensitive=set(request.form.getlist("sensitive")),
                  all_schools=request.form.get("schools_mode", "all") == "all",
                  schools_chosen=set(request.form.getlist("schools")))
    return values


@console.route("/apps/<client_id>", methods=["GET", "POST"])
def app_edit(client_id: str) -> Any:
    try:
        detail = app_detail(store_engine(), client_id)
    except RegistryError:
        abort(404)
    if request.method == "GET":
        return render_template(
            "admin/app_form.html", v=form_values(detail.agreement, detail.name),
            client_id=client_id, detail=detail, school_list=schools(store_engine()))
    try:
        update_agreement(store_engine(), client_id, agreement_from_form(request.form),
                         actor=actor())
    except (AgreementError, FormError, RegistryError) as exc:
        flash(str(exc), "error")
        return _form_page(_resubmitted(), client_id=client_id, status=400)
    _forget(client_id)
    flash("The agreement is saved; the app reads under it from its next request.", "ok")
    return redirect(f"/console/apps/{client_id}", 303)


@console.route("/apps/<client_id>/rotate-secret", methods=["POST"])
def app_rotate(client_id: str) -> Any:
    vault = OAuth1Vault(vault_path(settings()))
    try:
        secret = rotate_secret(store_engine(), client_id, oauth1=vault, actor=actor())
    except RegistryError as exc:
        flash(str(exc), "error")
        return redirect("/console/apps", 303)
    _forget(client_id)
    detail = app_detail(store_engine(), client_id)
    return render_template("admin/credentials.html", name=detail.name, client_id=client_id,
                           secret=secret, new=False)


@console.route("/apps/<client_id>/terminate", methods=["POST"])
def app_terminate(client_id: str) -> Any:
    try:
        terminate(store_engine(), client_id, settings().deletion_certification_days,
                  actor=actor(), reason=request.form.get("reason") or None)
    except AgreementEndError as exc:
        flash(str(exc), "error")
        return redirect("/console/apps", 303)
    _forget(client_id)
    flash("The agreement is terminated: the app gets no data from now on, and its deletion "
          "certificate is requested.", "ok")
    return redirect("/console/apps", 303)


@console.route("/apps/<client_id>/certify", methods=["POST"])
def app_certify(client_id: str) -> Any:
    try:
        certified_on = date.fromisoformat(request.form.get("certified_on", ""))
        certify(store_engine(), client_id, certified_on, request.form.get("signer", ""),
                request.form.get("method", ""), actor=actor())
    except ValueError as exc:  # AgreementEndError too
        flash(str(exc) if isinstance(exc, AgreementEndError)
              else "the certificate's date must be YYYY-MM-DD", "error")
    else:
        flash("Deletion certificate recorded.", "ok")
    return redirect("/console/apps", 303)




@console.route("/lti")
def lti_registrations() -> Any:
    """LTI 1.3 registrations (read-only here; `gateway lti tools|platforms` changes them)."""
    return render_template("admin/lti.html", tools=list_tools(store_engine()),
                           platforms=list_platforms(store_engine()))

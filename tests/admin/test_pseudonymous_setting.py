"""The pseudonymous-ids setting round-trips through the CLI and the console (issue 15 section
2): registered from an agreement file or ticked in the agreement form, it is stored, shown
ticked again, and the app's reads carry its pseudonyms; a combination that would undo it is
refused with the reason."""

from __future__ import annotations

import re

from gateway.auth.registry import app_detail
from tests.admin.conftest import csrf_of
from tests.admin.test_console_privacy import _agreement_form
from tests.admin.test_privacy_cli import gateway  # noqa: F401 (fixture)

USERS = "/ims/oneroster/rostering/v1p2/students?limit=1000"
REAL = re.compile(r'"sourcedId":"stu-')


def _agreement_file(tmp_path, extra: str) -> str:  # noqa: ANN001
    path = tmp_path / "agreement.toml"
    path.write_text('name = "Quiz DPA"\npurpose = "instruction"\nexpires = 2099-06-30\n'
                    f'scopes = ["roster-core.readonly"]\n{extra}\n')
    return str(path)


def test_the_cli_registers_a_pseudonymous_agreement(district, gateway, tmp_path):  # noqa: F811
    out = gateway("apps", "add", "Quiz", "--agreement",
                  _agreement_file(tmp_path, 'pseudonymous_ids = ["people", "classes"]'))
    client_id = re.search(r"client_id:?\s+(\S+)", out)[1]
    secret = re.search(r"client_secret:?\s+(\S+)", out)[1]
    stored = app_detail(district.engine, client_id).agreement
    assert stored.pseudonymous_ids == frozenset({"people", "classes"})
    body = district.read((client_id, secret), USERS).get_data(as_text=True)
    assert '"sourcedId"' in body and not REAL.search(body)
    refused = gateway("apps", "add", "Quiz 2", "--agreement", _agreement_file(
        tmp_path, 'pseudonymous_ids = true\nsensitive = ["identifiers"]'), expect=1)
    assert "identifiers" in refused


def test_the_console_form_sets_and_shows_the_setting(district):
    admin = district.browser()
    page = admin.get("/console/apps/new").get_data(as_text=True)
    assert 'name="pseudonymous_ids" value="people"' in page
    created = admin.client.post("/console/apps/new", data=_agreement_form(
        admin, pseudonymous_ids=["people"]))
    html = created.get_data(as_text=True)
    assert created.status_code == 200, html
    client_id = html.split('id="client-id">')[1].split("<")[0]
    secret = html.split('id="client-secret">')[1].split("<")[0]
    assert app_detail(district.engine, client_id).agreement.pseudonymous_ids == {"people"}
    body = district.read((client_id, secret), USERS).get_data(as_text=True)
    assert '"sourcedId"' in body and not REAL.search(body)
    edit = admin.get(f"/console/apps/{client_id}").get_data(as_text=True)
    assert re.search(r'name="pseudonymous_ids" value="people" checked', edit)
    assert not re.search(r'name="pseudonymous_ids" value="classes" checked', edit)
    # saving the form without the box turns the pseudonyms off
    form = _agreement_form(admin, csrf_token=csrf_of(edit))
    assert admin.client.post(f"/console/apps/{client_id}", data=form).status_code == 303
    assert app_detail(district.engine, client_id).agreement.pseudonymous_ids == frozenset()
    assert REAL.search(district.read((client_id, secret), USERS).get_data(as_text=True))

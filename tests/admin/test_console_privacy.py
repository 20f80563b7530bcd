"""The console's privacy work, end to end through the real app: opt-outs made in the console
(one by one, from a CSV file, or by a parent with the district's code) hide the student from
an app's OneRoster reads at once; agreements are registered and edited with sensitive data off
by default; ending an agreement cuts the app off and opens its deletion certificate."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from gateway.policy.agreement_end import certifications
from tests.admin.conftest import csrf_of

USERS = "/ims/oneroster/rostering/v1p2/users?limit=1000"


def _ids(response) -> set[str]:  # noqa: ANN001
    assert response.status_code == 200, response.get_data(as_text=True)
    return {u["sourcedId"] for u in response.get_json()["users"]}


def test_an_opt_out_made_in_the_console_hides_the_student_from_the_app_at_once(district):
    math = district.register("Math Quest")
    other = district.register("Reading Room")
    assert "stu-a1" in _ids(district.read(math, USERS))
    admin = district.browser()
    found = admin.get("/console/optouts?q=pupila").get_data(as_text=True)
    assert "stu-a1" in found and "stu-b1" not in found
    admin.post("/console/optouts/add", {"student": "stu-a1", "app": math[0],
                                        "note": "letter 12"})
    assert "stu-a1" not in _ids(district.read(math, USERS))
    assert "stu-a1" in _ids(district.read(other, USERS))  # only the one app
    admin.post("/console/optouts/add", {"student": "stu-a2"})  # every app
    assert "stu-a2" not in _ids(district.read(other, USERS))
    admin.post("/console/optouts/remove", {"student": "stu-a1", "app": math[0]})
    assert "stu-a1" in _ids(district.read(math, USERS))
    audit = admin.get("/console/audit").get_data(as_text=True)
    assert audit.count("staff:ada") >= 3 and "optout.remove" in audit


def test_a_bulk_csv_is_previewed_and_then_applied_all_or_nothing(district):
    math = district.register("Math Quest")
    admin = district.browser()
    bad = f"student_id,app,note\nstu-a3,{math[0]},x\nnobody,,y\nstu-a4,no-such-app,\n"
    preview = admin.post("/console/optouts/import", {"content": bad}).get_data(as_text=True)
    assert "no student &#39;nobody&#39; in the store" in preview
    assert "no app with client id &#39;no-such-app&#39;" in preview
    assert "Apply these opt-outs" not in preview
    refused = admin.post("/console/optouts/import", {"content": bad, "action": "apply"})
    assert refused.status_code == 303
    assert "stu-a3" in _ids(district.read(math, USERS))  # nothing half-applied
    good = f"student_id,app,note\nstu-a3,{math[0]},x\nstu-a4,,y\n"
    preview = admin.post("/console/optouts/import", {"content": good}).get_data(as_text=True)
    assert preview.count("will be opted out") == 2 and "Apply these opt-outs" in preview
    admin.post("/console/optouts/import", {"content": good, "action": "apply",
                                           "csrf_token": csrf_of(preview)})
    assert not {"stu-a3", "stu-a4"} & _ids(district.read(math, USERS))


@pytest.mark.parametrize("mode", ["apply", "approve"])
def test_a_parent_opts_a_child_out_with_the_code_from_the_districts_letter(district, mode):
    district.app.config["GATEWAY_SETTINGS"] = _with(district, parent_optouts=mode)
    math = district.register("Math Quest")
    admin = district.browser()
    letter = admin.post("/console/optouts/code", {"student": "stu-b2"}).get_data(as_text=True)
    code = letter.split('id="parent-code">')[1].split("<")[0]
    parent = district.browser(None)
    parent.get("/privacy/opt-out")
    wrong = parent.post("/privacy/opt-out", {"code": "AAAA-BBBB-CCCC-DDDD", "app": math[0]})
    assert wrong.status_code == 400 and "not one the district issued" in wrong.get_data(
        as_text=True)
    done = parent.post("/privacy/opt-out", {"code": code.lower(), "app": math[0]})
    assert done.status_code == 200
    if mode == "apply":
        assert "no longer receives" in done.get_data(as_text=True)
    else:
        assert "will review request" in done.get_data(as_text=True)
        assert "stu-b2" in _ids(district.read(math, USERS))  # not until approved
        page = admin.get("/console/optouts").get_data(as_text=True)
        request_id = page.split('action="/console/optouts/requests/')[1].split('"')[0]
        admin.post(f"/console/optouts/requests/{request_id}", {"decision": "approve"})
    assert "stu-b2" not in _ids(district.read(math, USERS))


def _with(district, **changes):  # noqa: ANN001, ANN202
    from dataclasses import replace
    return replace(district.app.config["GATEWAY_SETTINGS"], **changes)


def _checkbox(page: str, name: str, value: str) -> str:
    found = re.search(rf'<input type="checkbox" name="{re.escape(name)}" '
                      rf'value="{re.escape(value)}"[^>]*>', page)
    assert found, (name, value)
    return found.group(0)


def _agreement_form(admin, **overrides):  # noqa: ANN001, ANN202
    page = admin.get("/console/apps/new").get_data(as_text=True)
    form = {"csrf_token": csrf_of(page), "app_name": "Science Lab",
            "agreement_name": "Science Lab DPA 2026", "purpose": "instruction",
            "expires": "2099-06-30", "scopes": ["roster-core.readonly"],
            "schools_mode": "some", "schools": ["sch-a"],
            "fields.users": ["givenName", "familyName", "roles", "username"]}
    form.update(overrides)
    return form


def test_an_app_registered_in_the_console_sees_only_what_its_agreement_allows(district):
    admin = district.browser()
    page = admin.get("/console/apps/new").get_data(as_text=True)
    # sensitive fields are shown as such, and unticked on a new agreement
    assert "checked" not in _checkbox(page, "fields.users", "email")
    assert "sensitive: contact" in page.split('value="email"')[1].split("</label>")[0]
    assert "checked" in _checkbox(page, "fields.users", "givenName")
    assert "checked" not in _checkbox(page, "sensitive", "demographics")
    created = admin.client.post("/console/apps/new", data=_agreement_form(admin))
    html = created.get_data(as_text=True)
    assert created.status_code == 200 and "shown only now" in html
    client_id = html.split('id="client-id">')[1].split("<")[0]
    secret = html.split('id="client-secret">')[1].split("<")[0]
    users = district.read((client_id, secret), USERS)
    ids = {i for i in _ids(users) if i.startswith("stu-")}
    assert ids == {f"stu-a{n}" for n in range(1, 6)}  # school A only
    assert all("email" not in u for u in users.get_json()["users"])
    # the secret is not shown again on any page
    for page in ("/console/apps", f"/console/apps/{client_id}", "/console/audit"):
        assert secret not in admin.get(page).get_data(as_text=True)
    audit = admin.get("/console/audit").get_data(as_text=True)
    assert f"<td>staff:ada</td><td>app.register</td><td>{client_id}</td>" in audit


def test_a_sensitive_field_without_its_category_is_refused_with_a_reason(district):
    admin = district.browser()
    form = _agreement_form(admin, **{"fields.users": ["givenName", "email"]})
    refused = admin.client.post("/console/apps/new", data=form)
    assert refused.status_code == 400
    assert "users.email is in the sensitive category &#39;contact&#39;" in refused.get_data(
        as_text=True)
    form = _agreement_form(admin, purpose="marketing")
    assert admin.client.post("/console/apps/new", data=form).status_code == 400


def test_editing_an_agreement_applies_to_the_apps_next_request(district):
    math = district.register("Math Quest")
    assert {"stu-a1", "stu-b1"} <= _ids(district.read(math, USERS))
    admin = district.browser()
    page = admin.get(f"/console/apps/{math[0]}").get_data(as_text=True)
    form = _agreement_form(admin, csrf_token=csrf_of(page), agreement_name="Narrowed",
                           scopes=["roster.readonly", "roster-core.readonly"])
    assert admin.client.post(f"/console/apps/{math[0]}", data=form).status_code == 303
    ids = _ids(district.read(math, USERS))
    assert "stu-a1" in ids and "stu-b1" not in ids


def test_rotating_a_secret_shows_the_new_one_once_and_the_old_one_stops(district):
    math = district.register("Math Quest")
    admin = district.browser()
    html = admin.post(f"/console/apps/{math[0]}/rotate-secret").get_data(as_text=True)
    new_secret = html.split('id="client-secret">')[1].split("<")[0]
    assert district.token(*math).status_code == 401
    assert district.token(math[0], new_secret).status_code == 200


def test_terminating_an_agreement_stops_the_app_at_once_and_requests_deletion(district):
    math = district.register("Math Quest")
    token = district.token(*math).get_json()["access_token"]
    api = district.app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get(USERS, headers=headers).status_code == 200
    admin = district.browser()
    admin.post(f"/console/apps/{math[0]}/terminate", {"reason": "contract ended"})
    assert api.get(USERS, headers=headers).status_code == 401  # the token already issued
    assert district.token(*math).status_code in (400, 401)  # and no new one
    page = admin.get("/console/apps").get_data(as_text=True)
    assert "terminated" in page and "Record certificate" in page
    today = datetime.now(UTC).date()
    (cert,) = certifications(district.engine)
    assert cert.due_on == today + timedelta(days=60) and not cert.overdue(today)
    assert cert.overdue(today + timedelta(days=61))
    admin.post(f"/console/apps/{math[0]}/certify", {"certified_on": today.isoformat(),
                                                    "signer": "V. Endor, CTO",
                                                    "method": "NIST 800-88 purge"})
    (cert,) = certifications(district.engine)
    assert cert.certified_on == today and cert.signer == "V. Endor, CTO"
    assert "public" not in page
    transparency = district.browser(None).get("/privacy/").get_data(as_text=True)
    assert "Math Quest" in transparency and "(ended)" in transparency


def test_an_expired_agreement_is_listed_for_deletion_and_flagged_when_late(district):
    math = district.register("Math Quest", expires="2020-01-01")
    page = district.browser().get("/console/apps").get_data(as_text=True)
    assert "expired" in page and "(overdue)" in page
    overview = district.browser().get("/console/").get_data(as_text=True)
    assert "Deletion certificates overdue" in overview and "Math Quest" in overview
    assert district.token(*math).status_code in (400, 401)


def test_the_public_transparency_page_lists_each_app_and_what_it_receives(district):
    district.register("Math Quest", schools=["sch-b"], sensitive=["demographics"],
                      scopes=["roster.readonly", "roster-demographics.readonly"])
    page = district.browser(None).get("/privacy/").get_data(as_text=True)
    row = page.split("<td>Math Quest</td>")[1].split("</tr>")[0]
    assert "instruction" in row and "Birch High" in row and "Alder High" not in row
    assert "demographics" in row and "names and school accounts" in row and "2099-12-31" in row

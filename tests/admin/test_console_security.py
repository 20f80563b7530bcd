"""The console's security: only signed-in staff see it (the public pages aside), forms need
their CSRF token, signing in rotates the session (no fixation) and signing out ends it, an
auditor changes nothing, cookies carry sensible flags, and what the pages show is escaped."""

from __future__ import annotations

import pytest

from adapters.records import FamilyMode, Record
from gateway.config import SourceConfig
from gateway.sync.runner import run_sync
from tests.admin.conftest import ADMIN, AUDITOR

# Sessions, CSRF, roles and escaping are the same code on either backend: these run on SQLite;
# the PostgreSQL runs of the page tests sign in and post forms through the same session table.
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

CONSOLE_PAGES = ["/console/", "/console/sources", "/console/apps", "/console/apps/new",
                 "/console/optouts", "/console/disclosures", "/console/reports/breach",
                 "/console/audit", "/console/reports/parent?student=stu-a1",
                 "/console/reports/parent.pdf?student=stu-a1", "/console/runs/1",
                 "/console/lti", "/console/jobs/1", "/console/runs/1/issues.csv"]
PUBLIC_PAGES = ["/privacy/", "/privacy/opt-out"]


def test_every_console_page_sends_strangers_to_sign_in_and_public_pages_do_not(district):
    stranger = district.browser(None)
    for page in CONSOLE_PAGES:
        response = stranger.get(page)
        assert response.status_code == 303, page
        assert response.headers["Location"].startswith("/console/sign-in"), page
    for page in PUBLIC_PAGES:
        assert stranger.get(page).status_code == 200, page


def test_changes_from_strangers_are_refused_before_anything_happens(district):
    stranger = district.browser(None)
    response = stranger.post("/console/optouts/add", {"student": "stu-a1"})
    assert response.status_code == 303
    assert "stu-a1" not in district.browser().get("/console/optouts").get_data(as_text=True)


def test_a_form_without_its_csrf_token_is_refused(district):
    admin = district.browser()
    refused = admin.post("/console/optouts/add", {"student": "stu-a1"}, csrf=False)
    assert refused.status_code == 400
    assert "CSRF" in refused.get_data(as_text=True)
    forged = admin.post("/console/optouts/add", {"student": "stu-a1", "csrf_token": "x" * 40},
                        csrf=False)
    assert forged.status_code == 400
    page = admin.get("/console/optouts?student=stu-a1").get_data(as_text=True)
    assert "Opt-outs: none" in page
    # the public form too
    public = district.browser(None)
    assert public.post("/privacy/opt-out", {"code": "AAAA"}, csrf=False).status_code == 400
    # and a sign-in attempt without it
    assert public.post("/console/sign-in", {"username": ADMIN[0], "password": ADMIN[1]},
                       csrf=False).status_code == 400


def test_signing_in_rotates_the_session_so_a_planted_id_is_worth_nothing(district):
    victim = district.browser(None)
    victim.get("/console/sign-in")
    planted = victim.client.get_cookie("gateway_console").value  # the attacker knows this one
    victim.post("/console/sign-in", {"username": ADMIN[0], "password": ADMIN[1]})
    signed_in = victim.client.get_cookie("gateway_console").value
    assert signed_in != planted
    assert victim.get("/console/").status_code == 200
    attacker = district.browser(None)
    attacker.client.set_cookie("gateway_console", planted)
    assert attacker.get("/console/").status_code == 303


def test_signing_out_ends_the_session_for_every_copy_of_its_cookie(district):
    admin = district.browser()
    stolen = admin.client.get_cookie("gateway_console").value
    admin.post("/console/sign-out")
    thief = district.browser(None)
    thief.client.set_cookie("gateway_console", stolen)
    assert thief.get("/console/").status_code == 303


def test_a_wrong_password_gets_no_session(district):
    browser = district.browser(None)
    browser.get("/console/sign-in")
    response = browser.post("/console/sign-in", {"username": ADMIN[0], "password": "wrong"})
    assert response.status_code == 401
    assert "wrong password" in response.get_data(as_text=True)
    assert browser.get("/console/").status_code == 303


AUDITOR_REFUSED = [
    ("/console/optouts/add", {"student": "stu-a1"}),
    ("/console/optouts/remove", {"student": "stu-a1"}),
    ("/console/optouts/import", {"content": "student_id\nstu-a1\n", "action": "apply"}),
    ("/console/optouts/code", {"student": "stu-a1"}),
    ("/console/apps/new", {"app_name": "Sneaky", "agreement_name": "x"}),
    ("/console/sources/sis/sync", {"mode": "apply"}),
    ("/console/sources/sis/check", {}),
]


def test_an_auditor_reads_everything_but_changes_nothing(district):
    client_id, _secret = district.register()
    auditor = district.browser(AUDITOR)
    for page in ["/console/", "/console/apps", "/console/optouts?student=stu-a1",
                 "/console/disclosures?student=stu-a1", "/console/audit",
                 "/console/reports/parent?student=stu-a1", f"/console/apps/{client_id}"]:
        assert auditor.get(page).status_code == 200, page
    refused = AUDITOR_REFUSED + [
        (f"/console/apps/{client_id}", {"agreement_name": "changed"}),
        (f"/console/apps/{client_id}/rotate-secret", {}),
        (f"/console/apps/{client_id}/terminate", {}),
        (f"/console/apps/{client_id}/certify", {"certified_on": "2026-01-01"}),
        ("/console/optouts/requests/1", {"decision": "approve"}),
    ]
    for path, data in refused:
        assert auditor.post(path, data).status_code == 403, path
    page = district.browser().get("/console/audit").get_data(as_text=True)
    assert "staff:aud" not in page  # nothing was changed in the auditor's name
    assert auditor.post("/console/sign-out").status_code == 303  # ending one's own session


def test_cookies_are_httponly_samesite_and_secure_over_https(district):
    plain = district.app.test_client()
    cookie = plain.get("/console/sign-in").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    secure = district.app.test_client()
    cookie = secure.get("/console/sign-in", base_url="https://gateway.example").headers[
        "Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_api_requests_neither_read_nor_set_console_sessions(district):
    response = district.app.test_client().get("/ims/oneroster/rostering/v1p2/users")
    assert "Set-Cookie" not in response.headers


@pytest.fixture
def script_student(district):
    name = "<script>alert(1)</script>"
    events = [FamilyMode("users", "delta", "users.csv"),
              Record("users", "stu-x", {"enabledUser": "true", "username": "x",
                                        "givenName": name, "familyName": "<b>Bold</b>"},
                     status="active"),
              FamilyMode("roles", "delta", "roles.csv"),
              Record("roles", "r-stu-x", {"user": "stu-x", "roleType": "primary",
                                          "role": "student", "org": "sch-a"}, status="active")]
    report = run_sync(district.engine, SourceConfig(name="extra", adapter="test"), iter(events),
                      adapter_name="test")
    assert report.state == "applied", report.issues
    return name


def test_a_student_named_script_stays_text_on_every_page_that_shows_them(district,
                                                                         script_student):
    admin = district.browser()
    for page in ["/console/optouts?q=bold", "/console/optouts?student=stu-x",
                 "/console/reports/parent?student=stu-x"]:
        html = admin.get(page).get_data(as_text=True)
        assert "<script>" not in html and "<b>Bold</b>" not in html, page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, page
    admin.post("/console/optouts/add", {"student": "stu-x", "note": "<img src=x onerror=1>"})
    html = admin.get("/console/audit").get_data(as_text=True)
    assert "<img src=x" not in html and "onerror" in html


def test_password_guessing_is_throttled_per_address_and_name(district):
    guesser = district.browser(None)
    guesser.get("/console/sign-in")
    for _ in range(10):
        assert guesser.post("/console/sign-in", {"username": ADMIN[0],
                                                 "password": "guess"}).status_code == 401
    refused = guesser.post("/console/sign-in", {"username": ADMIN[0], "password": ADMIN[1]})
    assert refused.status_code == 429 and "try again in" in refused.get_data(as_text=True)
    # another name from the same address is not locked out by these guesses
    assert district.browser(AUDITOR).get("/console/").status_code == 200

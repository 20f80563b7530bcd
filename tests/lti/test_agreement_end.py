"""When the district ends an app's agreement in the console, its LTI launches, service tokens
and service calls stop at once, like its OneRoster and Ed-Fi access (issue 15, agreement
end)."""

from __future__ import annotations

from gateway.auth.staff import add_staff
from tests.admin.conftest import ADMIN, Browser
from tests.lti.test_services import _get, _nrps_url


def test_terminating_the_agreement_stops_launches_and_services_at_once(lti):
    url = _nrps_url(lti)
    token = lti.token()
    assert _get(lti, url, token).status_code == 200
    add_staff(lti.engine, *ADMIN, "administrator", actor="test")
    admin = Browser(lti.app.test_client())
    admin.sign_in(*ADMIN)
    ended = admin.post(f"/console/apps/{lti.app_client_id}/terminate", {"reason": "ended"})
    assert ended.status_code == 303
    assert _get(lti, url, token).status_code in (401, 403)  # a token issued before
    refused = lti.token_response(lti.assertion())
    assert refused.status_code in (400, 401)
    launch = lti.client.get(lti.link("stu-a1"))
    assert launch.status_code == 403
    assert "terminated" in launch.get_data(as_text=True)


def test_the_console_lists_lti_registrations_to_signed_in_staff(lti):
    add_staff(lti.engine, *ADMIN, "administrator", actor="test")
    assert lti.client.get("/console/lti").status_code == 303
    admin = Browser(lti.app.test_client())
    admin.sign_in(*ADMIN)
    page = admin.get("/console/lti").get_data(as_text=True)
    assert "Maths Lab tool" in page and lti.tool.client_id in page
    assert lti.app_client_id in page

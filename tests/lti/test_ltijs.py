"""ltijs 5.9.9 (Node.js, on SQLite through ltijs-sequelize), unmodified, as a second and
independent tool of the gateway: both served for real on loopback, a browser played by a
requests session. ltijs validates our launch its own way (its state cookie, our JWK Set over
HTTP, iss/aud/nonce/deployment), then, with a service token it asks for by its own client
assertion (its key, checked against the key set it serves), reads the class through our NRPS
(paged) and finds or creates a line item and posts a score through our AGS. The score must
land in the district's gradebook and the roster read in the disclosure log."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from sqlalchemy import select

from gateway.auth.lti_registry import add_tool
from gateway.auth.lti_state import secret
from gateway.auth.registry import register_app
from gateway.lti.launch import launch_link
from gateway.lti.signing import TOKENS
from gateway.model import DisclosedStudent, Disclosure
from gateway.policy.agreement import parse_agreement
from gateway.policy.disclosure_spool import flush_spool, spool_folder
from gateway.policy.disclosures import index_students
from gateway.policy.optouts import add_optout
from gateway.store.engine import for_writes
from tests.lti.conftest import through_tool_login
from tests.lti.ltijs_served import free_port, ltijs_ready, served_ltijs
from tests.served import served_gateway

ISSUER = "https://gateway.district.test"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


def browser_launch(browser: requests.Session, link: str) -> requests.Response:
    """gateway link -> ltijs login -> gateway authorize -> the form post to ltijs, whose
    answer (a redirect to its app route with its session token) is followed as a browser
    would."""
    start = browser.get(link, allow_redirects=False)
    assert start.status_code == 302, start.text
    return through_tool_login(browser, start.headers["Location"], timeout=60)


def gradebook(engine, gateway_url: str, line_item: str) -> list[tuple[str, float]]:
    """The line item's results as the district's OneRoster gradebook serves them."""
    client_id, client_secret = register_app(engine, "Gradebook reader", parse_agreement({
        "name": "g", "purpose": "instruction", "expires": "2099-12-31",
        "scopes": ["gradebook.readonly"]}))
    token = requests.post(gateway_url + "/oauth/token", data={"grant_type": "client_credentials"},
                          auth=(client_id, client_secret), timeout=30).json()["access_token"]
    sourced_id = line_item.rsplit("/", 1)[1]
    read = requests.get(f"{gateway_url}/ims/oneroster/gradebook/v1p2/classes/cls-a/lineItems/"
                        f"{sourced_id}/results", headers={"Authorization": f"Bearer {token}"},
                        timeout=30)
    assert read.status_code == 200, read.text
    return [(r["student"]["sourcedId"], float(r["score"])) for r in read.json()["results"]]


def ltijs_registration(engine, port: int, share: list[str] | None = None):  # noqa: ANN001, ANN201
    """The app (a school-A roster agreement) and its tool registration for an ltijs served on
    `port`."""
    app_id = register_app(engine, "Maths Lab", parse_agreement({
        "name": "Maths Lab", "purpose": "instruction", "expires": "2099-12-31",
        "scopes": ["roster-core.readonly"], "schools": ["sch-a"]})).client_id
    tool_url = f"http://127.0.0.1:{port}"
    return add_tool(engine, "ltijs tool", app_client_id=app_id, login_url=tool_url + "/login",
                    redirect_uris=[tool_url + "/"], jwks_url=tool_url + "/keys",
                    share=share)


@pytest.mark.slow
def test_ltijs_validates_our_launch_and_calls_our_nrps_and_ags(district, database_url, tmp_path,
                                                              monkeypatch):
    ltijs_ready()
    monkeypatch.setenv("GATEWAY_ISSUER", ISSUER)
    engine = district
    add_optout(engine, "stu-a5")
    port = free_port()
    tool = ltijs_registration(engine, port, share=["name"])
    key = secret(engine, TOKENS)
    with served_gateway(database_url, tmp_path) as gateway_url, \
            served_ltijs(tmp_path, port, issuer=ISSUER, client_id=tool.client_id,
                         gateway=gateway_url) as ltijs:
        answer = browser_launch(requests.Session(), launch_link(
            key, gateway_url, tool.client_id, "cls-a", "stu-a2"))
        assert answer.status_code == 200, answer.text
        report: dict[str, Any] = answer.json()
        assert answer.url.startswith(ltijs + "/?")  # ltijs's own redirect with its ltik
        assert report["iss"] == ISSUER and report["clientId"] == tool.client_id
        assert report["deploymentId"] == tool.deployment_id
        assert report["userInfo"]["given_name"] == "Ben" and "email" not in report["userInfo"]
        assert LEARNER in report["roles"]
        sub = report["user"]
        assert sub and "stu-a2" not in sub
        # NRPS, walked page by page (limit 2) by ltijs: the class minus the opted-out student
        members = report["members"]
        assert len(members) == 5 and len({m["user_id"] for m in members}) == 5
        ben = next(m for m in members if m["user_id"] == sub)
        assert ben["roles"] == [LEARNER] and ben["given_name"] == "Ben"
        # AGS: ltijs created its line item, posted the score and read the scores back
        assert report["lineItem"].startswith(gateway_url + "/lti/")
        assert [(s["userId"], s["resultScore"]) for s in report["scores"]] == [(sub, 8)]

        # a second launch finds the line item by tag and moves the score forward
        again = browser_launch(requests.Session(), launch_link(
            key, gateway_url, tool.client_id, "cls-a", "stu-a2"))
        assert again.status_code == 200, again.text
        assert again.json()["user"] == sub and again.json()["lineItem"] == report["lineItem"]
        # recorded in our store: the score in the district's gradebook (OneRoster reads it)
        assert gradebook(engine, gateway_url, report["lineItem"]) == [("stu-a2", 8.0)]

    # and each roster read by ltijs in the disclosure log
    flush_spool(spool_folder(tmp_path / "var", database_url), engine)
    with for_writes(engine).begin() as conn:
        index_students(conn)
    with engine.connect() as conn:
        reads = conn.execute(select(Disclosure.id).where(
            Disclosure.endpoint.like("/lti/contexts/%"))).scalars().all()
        students = set(conn.execute(select(DisclosedStudent.student_id).where(
            DisclosedStudent.disclosure_id.in_(reads))).scalars())
    assert reads and students == {f"stu-a{n}" for n in range(1, 5)}


@pytest.mark.slow
def test_ltijs_refuses_a_launch_signed_for_another_issuer(district, database_url, tmp_path,
                                                         monkeypatch):
    """ltijs trusts the gateway only as the issuer it was given: a gateway answering as
    another issuer is refused by ltijs, and it never reaches our services."""
    ltijs_ready()
    monkeypatch.setenv("GATEWAY_ISSUER", "https://not-the-gateway.test")
    engine = district
    port = free_port()
    tool = ltijs_registration(engine, port)
    with served_gateway(database_url, tmp_path) as gateway_url, \
            served_ltijs(tmp_path, port, issuer=ISSUER, client_id=tool.client_id,
                         gateway=gateway_url):
        browser = requests.Session()
        start = browser.get(launch_link(secret(engine, TOKENS), gateway_url, tool.client_id,
                                        "cls-a", "stu-a2"), allow_redirects=False)
        assert start.status_code == 302
        login = browser.get(start.headers["Location"], allow_redirects=False)
        # ltijs does not know this issuer: it stops at its login, before any id_token
        assert login.status_code in (400, 401), login.text

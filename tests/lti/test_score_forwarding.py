"""Scores a tool posts to the gateway's AGS are passed on to the LMS that relayed the launch:
the LMS line item found by resourceId/tag or created once, the gateway's own service token
(its client assertion checked here against the gateway's JWK Set), quick retries of a busy
LMS, later retries from the queue, and a per-(LMS line item, LMS user) high-water timestamp,
all out of the request path (the app's forwarder thread). The LMS's token and AGS endpoints
are served for real on loopback (pytest-httpserver)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import update
from werkzeug import Request, Response

from gateway.auth.lti_grade_state import due_forwards, forward_statuses
from gateway.auth.lti_registry import add_platform
from gateway.lti import lms_grades
from gateway.lti.lms_grades import deliver, deliver_due
from gateway.model import LtiScoreForward
from tests.lti.conftest import Lti, form_fields
from tests.lti.lms import CLIENT_ID, DEPLOYMENT, LTI, Lms, new_key

AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"


class LmsGradebook:
    """The LMS's token endpoint and AGS, as a real server on loopback."""

    def __init__(self, lms: Lms, gateway_jwks: dict[str, Any]) -> None:
        self.lms, self.keys = lms, KeySet.import_key_set(gateway_jwks)
        self.items: list[dict[str, Any]] = []
        self.scores: list[dict[str, Any]] = []
        self.tokens = 0
        self.fail_next = 0
        self.hold: threading.Event | None = None  # set: the score endpoint waits for it
        server = lms.server
        server.expect_request("/token", method="POST").respond_with_handler(self.token)
        server.expect_request("/ctx/lineitems", method="GET").respond_with_handler(self.list)
        server.expect_request("/ctx/lineitems", method="POST").respond_with_handler(self.create)
        server.expect_request(
            "/ctx/lineitems/1/scores", method="POST").respond_with_handler(self.score)

    def token(self, request: Request) -> Response:
        form = dict(parse_qsl(request.get_data(as_text=True)))
        claims = jwt.decode(form["client_assertion"], self.keys, algorithms=["RS256"]).claims
        assert claims["iss"] == claims["sub"] == CLIENT_ID
        assert claims["aud"] == self.lms.issuer + "/token"
        assert set(form["scope"].split()) == {LINEITEM, SCORE}
        self.tokens += 1
        return Response(json.dumps({"access_token": "lms-token", "token_type": "Bearer",
                                    "expires_in": 3600}), mimetype="application/json")

    def _authorized(self, request: Request) -> None:
        assert request.headers["Authorization"] == "Bearer lms-token"

    def list(self, request: Request) -> Response:
        self._authorized(request)
        query = {k: v[0] for k, v in parse_qs(request.query_string.decode()).items()}
        found = [i for i in self.items if i["resourceId"] == query.get("resource_id")]
        return Response(json.dumps(found), mimetype="application/json")

    def create(self, request: Request) -> Response:
        self._authorized(request)
        item = {**request.get_json(force=True),
                "id": f"{self.lms.issuer}/ctx/lineitems/{len(self.items) + 1}"}
        self.items.append(item)
        return Response(json.dumps(item), status=201, mimetype="application/json")

    def score(self, request: Request) -> Response:
        self._authorized(request)
        if self.hold is not None:
            assert self.hold.wait(60)
        if self.fail_next:
            self.fail_next -= 1
            return Response("busy", status=503)
        self.scores.append(request.get_json(force=True))
        return Response(status=204)


@pytest.fixture
def setup(lti: Lti, httpserver, monkeypatch) -> tuple[Lti, Lms, LmsGradebook, dict[str, Any]]:
    # Each test's LMS is a new one on the same loopback address: the gateway process starts
    # without the tokens an earlier test's LMS issued (a real gateway keeps them, rightly).
    monkeypatch.setattr(lms_grades, "TOKENS", lms_grades.LmsTokens())
    lms = Lms(httpserver, new_key(), httpserver.url_for("").rstrip("/"))
    lms.serve()
    add_platform(lti.engine, issuer=lms.issuer, client_id=CLIENT_ID,
                 deployment_ids=[DEPLOYMENT], auth_url=lms.auth_url,
                 token_url=lms.issuer + "/token", jwks_url=lms.jwks_url)
    book = LmsGradebook(lms, lti.client.get("/.well-known/jwks.json").get_json())
    target = f"http://localhost/lti/launch?tool={lti.tool.client_id}"
    login = lti.client.get("/lti/login", query_string={
        "iss": lms.issuer, "login_hint": "h", "target_link_uri": target})
    auth = lms.authenticate(login.headers["Location"])
    token = lms.id_token(lms.claims(auth, target, sub="lms-ben", **{
        LTI + "lis": {"person_sourcedid": "stu-a2", "course_section_sourcedid": "cls-a"},
        AGS_CLAIM: {"scope": [LINEITEM, SCORE], "lineitems": lms.issuer + "/ctx/lineitems"}}))
    relayed = lti.client.post("/lti/launch", data={"id_token": token, "state": auth["state"]})
    assert relayed.status_code == 302, relayed.get_data(as_text=True)
    login = dict(parse_qsl(urlsplit(relayed.headers["Location"]).query))
    _, fields = form_fields(lti.authorize(lti.auth_request(login)).get_data(as_text=True))
    claims = lti.verify(fields["id_token"])
    return lti, lms, book, claims


def _post(lti: Lti, url: str, body: dict[str, Any], scope: str) -> Any:
    path = urlsplit(url).path
    return lti.client.post(path, data=json.dumps(body), content_type="application/json",
                           headers={"Authorization": f"Bearer {lti.token(scope)}"})


def _score(lti: Lti, item: str, sub: str, given: float, at: datetime,
           drain: bool = True) -> None:
    response = _post(lti, item + "/scores", {
        "userId": sub, "scoreGiven": given, "scoreMaximum": 10,
        "timestamp": at.isoformat(), "activityProgress": "Completed",
        "gradingProgress": "FullyGraded"}, SCORE)
    assert response.status_code == 204, response.get_json()
    if drain:
        forwarded(lti)


def forwarded(lti: Lti) -> None:
    """Wait until the app's forwarder has tried what was queued."""
    assert lti.app.extensions["gateway.lti"].forwarder().drain(60)


def test_a_score_reaches_the_lms_line_item_found_or_created_once_despite_a_busy_lms(setup):
    lti, lms, book, claims = setup
    created = _post(lti, claims[AGS_CLAIM]["lineitems"],
                    {"label": "Quiz 1", "scoreMaximum": 10, "tag": "quiz"}, LINEITEM)
    assert created.status_code == 201, created.get_json()
    item = created.get_json()["id"]
    book.fail_next = 1  # the LMS is busy once: retried at once
    t1 = datetime.now(UTC)
    _score(lti, item, claims["sub"], 7, t1)
    assert [s["userId"] for s in book.scores] == ["lms-ben"]  # the LMS's id, not the tool's
    assert book.scores[0]["scoreGiven"] == 7 and book.scores[0]["timestamp"] == t1.isoformat()
    [lms_item] = book.items
    assert lms_item["resourceId"] == item.rsplit("/", 1)[1] and lms_item["tag"] == "quiz"
    assert lms_item["label"] == "Quiz 1" and lms_item["scoreMaximum"] == 10

    _score(lti, item, claims["sub"], 9, t1 + timedelta(seconds=5))
    assert [s["scoreGiven"] for s in book.scores] == [7, 9]
    assert len(book.items) == 1 and book.tokens == 1  # found again, token reused

    # a student who never came from the LMS: nothing to forward
    other = lti.launch("stu-a3")["sub"]
    _score(lti, item, other, 5, t1 + timedelta(seconds=6))
    assert len(book.scores) == 2


def test_a_score_the_lms_cannot_take_now_is_retried_later_and_never_overtaken(setup):
    lti, lms, book, claims = setup
    item = _post(lti, claims[AGS_CLAIM]["lineitems"],
                 {"label": "Quiz 1", "scoreMaximum": 10}, LINEITEM).get_json()["id"]
    book.fail_next = 100  # the LMS is down
    t1 = datetime.now(UTC)
    _score(lti, item, claims["sub"], 4, t1)
    _score(lti, item, claims["sub"], 6, t1 + timedelta(seconds=5))
    waiting = [f for f in forward_statuses(lti.engine) if not f.done]
    assert len(waiting) == 2 and all("will retry" in f.outcome for f in waiting)
    assert all(f.attempts == 3 for f in waiting)  # one attempt and two quick retries
    book.fail_next = 0
    with lti.engine.begin() as conn:  # the backoff has passed
        conn.execute(update(LtiScoreForward).values(next_attempt_at=datetime.now(UTC)))
    older, newer = sorted(waiting, key=lambda f: f.id)
    with lti.app.app_context():
        [first] = due_forwards(lti.engine, ids=[newer.id])
        assert deliver(first, quick=False).startswith("delivered")
        outcomes = deliver_due()
    assert outcomes == [f"skipped: the LMS already has a score from "
                        f"{(t1 + timedelta(seconds=5)).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}"]
    assert [s["scoreGiven"] for s in book.scores] == [6]  # the older one never overtook it
    assert all(f.done for f in forward_statuses(lti.engine))


def test_the_tool_s_score_is_answered_before_the_lms_has_it(setup):
    """The LMS holds the score request open: the tool's POST is answered anyway (the score
    is in the district's gradebook and queued), and the LMS gets it when it answers."""
    lti, lms, book, claims = setup
    item = _post(lti, claims[AGS_CLAIM]["lineitems"],
                 {"label": "Quiz 1", "scoreMaximum": 10}, LINEITEM).get_json()["id"]
    book.hold = threading.Event()
    _score(lti, item, claims["sub"], 8, datetime.now(UTC), drain=False)
    assert book.scores == []
    [queued] = forward_statuses(lti.engine)
    assert not queued.done
    book.hold.set()
    forwarded(lti)
    assert [s["scoreGiven"] for s in book.scores] == [8]
    assert all(f.done for f in forward_statuses(lti.engine))

"""Scores a tool posts, passed on to the LMS whose launch brought the tool into the class
(AGS 2.0, the gateway as the LMS's tool): the LMS line item is found by resourceId (the
gateway's line item id) and tag, or created, once, with the gateway's own service token
(client_credentials + a client assertion signed with the gateway's key, SEC 4.1); the score
goes to it under the LMS's user id, with the tool's timestamp.

Delivery is at least once and in order: each score is queued in the store, tried at once (a
few quick retries for a busy LMS), and otherwise retried later with backoff
(`gateway lti forward-scores`, e.g. from cron). A score older than the latest one delivered
for the same (LMS line item, LMS user) is never sent (the per-pair high-water mark), so
retries finishing out of order cannot roll a grade back. An LMS that refuses a score for good
(4xx) is not asked again; the outcome is kept for district IT.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from gateway.auth.lti_grade_state import (
    GradeRoute,
    ScoreForward,
    advance_mark,
    delivered_mark,
    due_forwards,
    enqueue_forward,
    finish_forward,
    forwarded_item,
    lms_user_of,
    remember_forwarded_item,
    retry_forward,
    routes_for,
)
from gateway.auth.lti_registry import PlatformRegistration, ToolRegistration
from gateway.auth.lti_relay_state import platform_by_id
from gateway.extensions import store_engine, write_engine

log = logging.getLogger(__name__)

LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TIMEOUT = 5.0
QUICK_RETRIES = (0.2, 0.5)  # seconds slept between the attempts made at once
MAX_ATTEMPTS = 8
LATER = 30  # seconds before the first later retry; doubled each time


class Transient(Exception):
    """The LMS could not take it now (network, 429, 5xx): try again later."""


class Refused(Exception):
    """The LMS refused for good (4xx): do not ask again."""


def _send(method: str, url: str, **kwargs: Any) -> requests.Response:
    try:
        response = requests.request(method, url, timeout=TIMEOUT, **kwargs)
    except requests.RequestException as exc:
        raise Transient(f"{method} {url}: {type(exc).__name__}") from None
    if response.status_code == 429 or response.status_code >= 500:
        raise Transient(f"{method} {url} answered {response.status_code}")
    if response.status_code >= 400:
        raise Refused(f"{method} {url} answered {response.status_code}: "
                      f"{response.text[:200]}")
    return response


class LmsTokens:
    """The gateway's service tokens at each LMS, reused until shortly before they expire."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str, str, str], tuple[float, str]] = {}
        self._lock = threading.Lock()

    def get(self, platform: PlatformRegistration, scopes: tuple[str, ...]) -> str:
        from gateway.lti.launch import signed  # the gateway's key, as for its id_tokens

        # Keyed by whom the token is for, not by the registration's row id: a row id can be
        # reused for another LMS (a platform removed and added again, another store in this
        # process), and a token must never go to a server it was not issued by.
        scope = " ".join(sorted(scopes))
        key = (platform.issuer, platform.client_id, platform.token_url, scope)
        hit = self._tokens.get(key)
        if hit is not None and hit[0] > time.time() + 30:
            return hit[1]
        now = int(time.time())
        assertion = signed({"iss": platform.client_id, "sub": platform.client_id,
                            "aud": platform.token_url, "iat": now, "exp": now + 60,
                            "jti": secrets.token_hex(16)})
        body = _send("POST", platform.token_url, data={
            "grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion, "scope": scope}).json()
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str):
            raise Refused(f"the LMS token endpoint answered no access_token: {body!r}"[:300])
        lifetime = body.get("expires_in", 3600)
        with self._lock:
            self._tokens[key] = (now + (lifetime if isinstance(lifetime, int) else 3600),
                                 token)
        return token


TOKENS = LmsTokens()


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def _suffixed(url: str, suffix: str) -> str:
    """`{line item}/scores`, before any query (Moodle's line item URLs carry one)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + suffix))


def _lms_line_item(platform: PlatformRegistration, route: GradeRoute, forward: ScoreForward,
                   token: str) -> str:
    kept = forwarded_item(store_engine(), forward.line_item_id, platform.id)
    if kept is not None:
        return kept
    spec = forward.score["lineItem"]
    if route.lineitems_url is None:
        if route.lineitem_url is None:
            raise Refused("the LMS gave no line items endpoint for this class")
        found = route.lineitem_url  # the link's one line item, as the LMS chose it
    else:
        headers = {"Authorization": f"Bearer {token}",
                   "Accept": "application/vnd.ims.lis.v2.lineitemcontainer+json"}
        filters = {"resource_id": forward.line_item_id, **(
            {"tag": spec["tag"]} if spec.get("tag") else {})}
        listed = _send("GET", _with_query(route.lineitems_url, **filters),
                       headers=headers).json()
        match = [i for i in listed if isinstance(i, dict)
                 and i.get("resourceId") == forward.line_item_id
                 and i.get("tag") == spec.get("tag")] if isinstance(listed, list) else []
        if match:
            found = match[0]["id"]
        else:
            created = _send("POST", route.lineitems_url, json={
                "label": spec["label"], "scoreMaximum": spec["scoreMaximum"],
                "resourceId": forward.line_item_id,
                **({"tag": spec["tag"]} if spec.get("tag") else {})}, headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/vnd.ims.lis.v2.lineitem+json",
                "Accept": "application/vnd.ims.lis.v2.lineitem+json"}).json()
            found = created.get("id") if isinstance(created, dict) else None
            if not isinstance(found, str):
                raise Refused("the LMS created a line item without an id")
    remember_forwarded_item(write_engine(), forward.line_item_id, platform.id, found)
    return found


def _deliver_once(forward: ScoreForward) -> str:
    platform = platform_by_id(store_engine(), forward.platform_id)
    route = next((r for r in routes_for(store_engine(), forward.tool_id, forward.class_id)
                  if r.platform_id == forward.platform_id), None)
    if platform is None or route is None:
        raise Refused("the LMS or its grade route is no longer registered")
    scopes = tuple(s for s in (LINEITEM, SCORE) if s in route.scopes) or (SCORE,)
    token = TOKENS.get(platform, scopes)
    item = _lms_line_item(platform, route, forward, token)
    mark = delivered_mark(store_engine(), item, forward.lms_user)
    if mark is not None and mark >= forward.timestamp:
        return f"skipped: the LMS already has a score from {mark}"
    _send("POST", _suffixed(item, "/scores"), json={**forward.score["score"],
                                                    "userId": forward.lms_user},
          headers={"Authorization": f"Bearer {token}",
                   "Content-Type": "application/vnd.ims.lis.v1.score+json"})
    advance_mark(write_engine(), item, forward.lms_user, forward.timestamp)
    return f"delivered to {item}"


def deliver(forward: ScoreForward, quick: bool = True) -> str:
    """Try a queued score (at once, with a few quick retries when `quick`); the outcome is
    kept with it."""
    attempts = forward.attempts
    pauses = (*QUICK_RETRIES, None) if quick else (None,)
    for pause in pauses:
        attempts += 1
        try:
            outcome = _deliver_once(forward)
        except Refused as exc:
            finish_forward(write_engine(), forward.id, attempts, f"refused: {exc}")
            return f"refused: {exc}"
        except Transient as exc:
            if attempts >= MAX_ATTEMPTS:
                finish_forward(write_engine(), forward.id, attempts, f"gave up: {exc}")
                return f"gave up: {exc}"
            if pause is not None:
                time.sleep(pause)
                continue
            later = datetime.now(UTC) + timedelta(seconds=LATER * 2 ** min(attempts, 10))
            retry_forward(write_engine(), forward.id, attempts, later, f"will retry: {exc}")
            return f"will retry: {exc}"
        finish_forward(write_engine(), forward.id, attempts, outcome)
        return outcome
    raise AssertionError("unreachable")


def forward_score(tool: ToolRegistration, class_id: str, line_item_id: str, student: str,
                  *, timestamp: str, score: dict[str, Any],
                  line_item: dict[str, Any]) -> int:
    """Queue the score for every LMS that launched this tool in this class and knows the
    student, and wake the app's forwarder (gateway/lti/score_forwarder.py), which delivers
    it out of the request path; returns how many were queued. Never raises: the score is
    already in the district's gradebook."""
    queued = 0
    try:
        for route in routes_for(store_engine(), tool.id, class_id):
            lms_user = lms_user_of(store_engine(), route.platform_id, student)
            if lms_user is None:
                continue
            enqueue_forward(
                write_engine(), platform_id=route.platform_id, tool_id=tool.id,
                class_id=class_id, line_item_id=line_item_id, lms_user=lms_user,
                timestamp=timestamp, score={"score": score, "lineItem": line_item})
            queued += 1
    except Exception:  # noqa: BLE001 - what was queued is kept; a later run retries
        log.exception("queueing a score of %s for an LMS failed", tool.client_id)
    if queued:
        from gateway.lti.state import lti_state  # noqa: PLC0415

        lti_state().forwarder().wake()
    return queued


def deliver_due(limit: int = 500, quick: bool = False) -> list[str]:
    """Try the queued scores that are due (one attempt each, or with the quick retries)."""
    return [deliver(f, quick=quick) for f in due_forwards(store_engine(), limit)]

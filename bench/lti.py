"""LTI broker benchmark: relayed launches per second and NRPS members per second, each with the
ratio to a ceiling measured in the same run.

A synthetic district (one school; a class of 35 students and a context of 2,000 members) is
synced into a fresh store. The gateway app is driven in-process through Werkzeug's test client
(no browser, no sockets): the LMS leg (login initiation, the LMS id_token posted to
/lti/launch, matched to the roster) and the tool leg (the tool's authentication request to
/lti/authorize, answered with our id_token) of every relayed launch, and NRPS pages of 1,000
members with a service token. The LMS is played by this script (its JWK Set served on a
loopback port; its id_token signing is timed apart and left out of the gateway's time).

The ceiling is a bare WSGI app answering each of the same requests with the exact bytes the
gateway gave, precomputed, driven by the same client loop: the ratio is the share of the
client's and Werkzeug's own cost in the gateway's, i.e. how close the gateway comes to doing
nothing but sending bytes.

    .venv/bin/python bench/lti.py [--launches 200] [--rounds 20] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from joserfc import jwt  # noqa: E402
from joserfc.jwk import RSAKey  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402
from werkzeug.test import Client  # noqa: E402
from werkzeug.wrappers import Response  # noqa: E402

from adapters.records import Event, FamilyMode, Record  # noqa: E402
from gateway.app import close_app, create_app  # noqa: E402
from gateway.auth.lti_registry import add_platform, add_tool  # noqa: E402
from gateway.auth.registry import register_app  # noqa: E402
from gateway.config import SourceConfig  # noqa: E402
from gateway.policy.agreement import parse_agreement  # noqa: E402
from gateway.store import make_engine, upgrade  # noqa: E402
from gateway.sync.runner import run_sync  # noqa: E402

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
REDIRECT = "https://tool.example/launch"
SIZES = {"cls-35": 34, "cls-2000": 1999}  # students; each class has one teacher too


def district() -> list[Event]:
    records: list[Record] = [
        Record("orgs", "sch", {"name": "Bench High", "type": "school", "identifier": "B"}),
        Record("academicSessions", "term", {"title": "Fall", "type": "term",
                                            "startDate": "2026-08-19", "endDate": "2027-01-16",
                                            "schoolYear": "2027"}),
        Record("courses", "crs", {"title": "Algebra", "courseCode": "MA1", "org": "sch"}),
    ]
    users: list[Record] = []
    roles: list[Record] = []
    enrollments: list[Record] = []
    for class_id, students in SIZES.items():
        records.append(Record("classes", class_id, {
            "title": class_id, "classType": "scheduled", "course": "crs", "school": "sch",
            "terms": ["term"]}))
        for n in range(students + 1):
            user = f"{class_id}-u{n:04d}"
            role = "teacher" if n == 0 else "student"
            users.append(Record("users", user, {"enabledUser": "true", "username": user,
                                                "givenName": "Given", "familyName": user,
                                                "email": f"{user}@example.org"}))
            roles.append(Record("roles", "r-" + user, {"user": user, "roleType": "primary",
                                                       "role": role, "org": "sch"}))
            enrollments.append(Record("enrollments", "e-" + user, {
                "class": class_id, "school": "sch", "user": user, "role": role}))
    events: list[Event] = []
    for batch in (records, users, roles, enrollments):
        for family in dict.fromkeys(r.family for r in batch):
            events.append(FamilyMode(family, "bulk", family + ".csv"))
            events += [r for r in batch if r.family == family]
    return events


class Lms:
    """The LMS: its key, its JWK Set on a loopback port, and the id_tokens it posts."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, private=True)
        self.key.ensure_kid()
        body = json.dumps({"keys": [self.key.as_dict(private=False, kid=self.key.kid,
                                                     alg="RS256", use="sig")]})
        self.server = make_server("127.0.0.1", 0, lambda env, start: Response(
            body, mimetype="application/json")(env, start), threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        self.signing = 0.0

    def id_token(self, auth: dict[str, str], target: str, n: int) -> str:
        started = time.perf_counter()
        now = int(time.time())
        token = jwt.encode({"alg": "RS256", "kid": self.key.kid}, {
            "iss": self.issuer, "aud": "gw", "sub": f"lms-{n % 35}", "iat": now, "exp": now + 300,
            "nonce": auth["nonce"], LTI + "message_type": "LtiResourceLinkRequest",
            LTI + "version": "1.3.0", LTI + "deployment_id": "dep",
            LTI + "target_link_uri": target, LTI + "roles": [],
            LTI + "resource_link": {"id": "link-1"}, LTI + "context": {"id": "course-1"},
            LTI + "lis": {"person_sourcedid": f"cls-35-u{1 + n % 34:04d}",
                          "course_section_sourcedid": "cls-35"}}, self.key,
            algorithms=["RS256"])
        self.signing += time.perf_counter() - started
        return token


class Recorder:
    """Drives an app and keeps every answer, for the ceiling to replay."""

    def __init__(self, app: Any) -> None:
        self.client = Client(app)
        self.answers: dict[tuple[str, str, bytes], tuple[int, list[tuple[str, str]], bytes]] = {}

    def __call__(self, method: str, target: str, data: dict[str, str] | None = None,
                 headers: dict[str, str] | None = None) -> Any:
        response = self.client.open(target, method=method, data=data, headers=headers)
        body = response.get_data()
        key = (method, target, _form_key(data))
        self.answers[key] = (response.status_code, list(response.headers.items()), body)
        return response


def _form_key(data: dict[str, str] | None) -> bytes:
    return json.dumps(sorted((data or {}).items())).encode()


def ceiling(answers: dict[tuple[str, str, bytes], Any]) -> Any:
    """The bare WSGI app: the recorded bytes for each request, nothing else."""
    from werkzeug.wrappers import Request

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        target = request.full_path.rstrip("?") if not request.query_string \
            else request.full_path
        status, headers, body = answers[(request.method, target,
                                         _form_key(request.form.to_dict() or None))]
        start_response(f"{status} Recorded", headers)
        return [body]

    return app


def relayed_launch(call: Any, lms: Lms, tool_id: str, n: int) -> None:
    target = f"http://localhost/lti/launch?tool={tool_id}"
    login = call("GET", "/lti/login?" + _q({"iss": lms.issuer, "login_hint": "h",
                                           "target_link_uri": target}))
    auth = dict(parse_qsl(urlsplit(login.headers["Location"]).query))
    token = lms.id_token(auth, target, n)
    relay = call("POST", "/lti/launch", data={"id_token": token, "state": auth["state"]})
    assert relay.status_code == 302, relay.get_data(as_text=True)
    hints = dict(parse_qsl(urlsplit(relay.headers["Location"]).query))
    answer = call("GET", "/lti/authorize?" + _q({
        "scope": "openid", "response_type": "id_token", "response_mode": "form_post",
        "prompt": "none", "client_id": tool_id, "redirect_uri": REDIRECT,
        "login_hint": hints["login_hint"], "lti_message_hint": hints["lti_message_hint"],
        "state": "s", "nonce": uuid.uuid4().hex}))
    assert answer.status_code == 200, answer.get_data(as_text=True)


def _q(params: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


def replay_launches(call: Any, recorded: list[tuple[str, str, dict[str, str] | None]]) -> None:
    for method, target, data in recorded:
        call(method, target, data)


def _ratio(value: float) -> float:
    """Three significant figures: a ratio of 0.0004 must not print as 0.0."""
    return float(f"{value:.3g}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--launches", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=20, help="NRPS reads per class size")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="lti-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'store.db'}"
    engine = make_engine(url)
    upgrade(engine)
    report = run_sync(engine, SourceConfig(name="sis", adapter="bench"), iter(district()),
                      adapter_name="bench")
    assert report.state == "applied", report.issues[:3]
    app_id = register_app(engine, "Bench", parse_agreement({
        "name": "Bench", "purpose": "instruction", "expires": "2099-12-31",
        "scopes": ["roster-core.readonly"]})).client_id
    tool_key = RSAKey.generate_key(2048, private=True)
    tool = add_tool(engine, "Bench tool", app_client_id=app_id,
                    login_url="https://tool.example/login", redirect_uris=[REDIRECT],
                    public_key=json.dumps(tool_key.as_dict(private=False)), share=["name"])
    lms = Lms()
    add_platform(engine, issuer=lms.issuer, client_id="gw", deployment_ids=["dep"],
                 auth_url=lms.issuer + "/auth", token_url=lms.issuer + "/token",
                 jwks_url=lms.issuer + "/jwks")
    # the bench's launches all come from one address, far beyond the per-address login limit
    app = create_app({"database_url": url, "var_dir": str(workdir / "var"),
                      "lti_login_rate_limit": 10**9})
    try:
        figures = measure(app, engine, lms, tool, tool_key, args)
    finally:
        close_app(app)
        lms.server.shutdown()
    print(json.dumps(figures))


def measure(app: Any, engine: Any, lms: Lms, tool: Any, tool_key: RSAKey,
            args: argparse.Namespace) -> dict[str, Any]:
    call = Recorder(app)
    relayed_launch(call, lms, tool.client_id, 0)  # warm: keys fetched, matches kept
    lms.signing = 0.0
    log: list[tuple[str, str, dict[str, str] | None]] = []

    def logged(method: str, target: str, data: dict[str, str] | None = None,
               headers: dict[str, str] | None = None) -> Any:
        log.append((method, target, data))
        return call(method, target, data, headers)

    started = time.perf_counter()
    for n in range(args.launches):
        relayed_launch(logged, lms, tool.client_id, n)
    total = time.perf_counter() - started
    gateway_seconds = total - lms.signing
    bare = Client(ceiling(call.answers))
    started = time.perf_counter()
    replay_launches(lambda m, t, d: bare.open(t, method=m, data=d), log)
    ceiling_seconds = time.perf_counter() - started
    figures: dict[str, Any] = {
        "relayed_launches": args.launches,
        "launches_per_s": round(args.launches / gateway_seconds, 1),
        "launches_per_s_with_lms_signing": round(args.launches / total, 1),
        "launch_ceiling_per_s": round(args.launches / ceiling_seconds, 1),
        "launch_ratio": _ratio(ceiling_seconds / gateway_seconds),
    }
    figures.update(nrps(app, call, tool, tool_key, args.rounds))
    return figures


def nrps(app: Any, call: Recorder, tool: Any, tool_key: RSAKey, rounds: int) -> dict[str, Any]:
    from gateway.auth.lti_state import remember_context

    now = int(time.time())
    assertion = jwt.encode({"alg": "RS256", "kid": tool_key.thumbprint()}, {
        "iss": tool.client_id, "sub": tool.client_id, "aud": "http://localhost/lti/token",
        "iat": now, "exp": now + 60, "jti": uuid.uuid4().hex}, tool_key, algorithms=["RS256"])
    token = call("POST", "/lti/token", data={
        "grant_type": "client_credentials", "scope": NRPS,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion}).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    found: dict[str, Any] = {}
    with app.app_context():
        engine = app.extensions["gateway.store"].engine
    for class_id, students in SIZES.items():
        context = "ctx" + class_id.replace("-", "")
        remember_context(engine, tool.id, context, class_id)
        pages = [f"/lti/contexts/{context}/memberships?limit=1000"]
        members = 0
        for target in pages:  # the first walk finds the pages, warms the caches
            response = call("GET", target, headers=headers)
            members += len(response.get_json()["members"])
            nxt = response.headers.get("Link", "").split(">;")[0].lstrip("<")
            if 'rel="next"' in response.headers.get("Link", ""):
                pages.append(urlsplit(nxt).path + "?" + urlsplit(nxt).query)
        assert members == students + 1, (class_id, members)
        started = time.perf_counter()
        for _ in range(rounds):
            for target in pages:
                call.client.open(target, headers=headers).get_data()
        seconds = time.perf_counter() - started
        bare = Client(ceiling(call.answers))
        started = time.perf_counter()
        for _ in range(rounds):
            for target in pages:
                bare.open(target, method="GET").get_data()
        ceiling_seconds = time.perf_counter() - started
        size = students + 1
        found[f"nrps_{size}_members_per_s"] = round(size * rounds / seconds)
        found[f"nrps_{size}_ceiling_members_per_s"] = round(size * rounds / ceiling_seconds)
        found[f"nrps_{size}_ratio"] = _ratio(ceiling_seconds / seconds)
    return found


if __name__ == "__main__":
    main()

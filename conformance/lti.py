"""`python -m conformance lti`: checks any LTI 1.3 platform as a tool would, without a browser,
modelled on the platform side of the LTI Advantage certification (core launch, Names and Role
Provisioning, Assignment and Grade Services) and the security framework.

The platform must know the suite as a tool: a client id and deployment, the suite's public key
(it signs client assertions with the private one given by --tool-key), and a registered
redirect URI. --launch-url is what starts a launch on the platform (a link a user would click;
for the School Data Gateway, `gateway lti launch-url`). The suite follows the OIDC third-party
initiated login by hand, checks the id_token's signature against the platform's JWK Set and
its claims against specs/lti/, then gets service tokens with a private_key_jwt assertion and
reads the roster (following next links lower-cased, as pylti1p3 2.0.0 does) and, with --write,
creates a line item, posts a score and reads the results. Cases are steps of one flow: a case
whose input an earlier one failed to produce is skipped, naming it.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey
from jsonschema import Draft202012Validator

from .cases import Case
from .config import DEFAULT_SPECS_DIR
from .outcome import FAILED, PASSED, SKIPPED, CaseSkipped, CheckFailed, Result

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
RESULTS = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
NRPS_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"


@dataclass(frozen=True)
class LtiConfig:
    platform_url: str
    launch_url: str
    client_id: str
    deployment_id: str
    tool_key: Path
    redirect_uri: str
    write: bool = False
    timeout: float = 10.0
    specs_dir: Path = DEFAULT_SPECS_DIR


@dataclass
class Flow:
    """What the steps found so far."""

    config: LtiConfig
    key: RSAKey
    session: requests.Session = field(default_factory=requests.Session)
    endpoints: dict[str, str] = field(default_factory=dict)
    login: dict[str, str] = field(default_factory=dict)
    auth: dict[str, str] = field(default_factory=dict)
    form: dict[str, str] = field(default_factory=dict)
    claims: dict[str, Any] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    line_item: str | None = None
    log: list[str] = field(default_factory=list)

    def http(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        response = self.session.request(method, url, timeout=self.config.timeout,
                                        allow_redirects=False, **kwargs)
        self.log.append(f"{method} {url} -> {response.status_code}")
        return response

    def schema(self, name: str, instance: Any) -> None:
        path = self.config.specs_dir / "lti" / f"{name}.schema.json"
        validator = Draft202012Validator(json.loads(path.read_text(encoding="utf-8")),
                                         format_checker=Draft202012Validator.FORMAT_CHECKER)
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
        if errors:
            raise CheckFailed(f"{name}: " + "; ".join(
                f"{'/'.join(map(str, e.path)) or '(root)'}: {e.message}" for e in errors[:5]))


def _need(value: Any, step: str) -> Any:
    if not value:
        raise CaseSkipped(f"needs {step}")
    return value


def discovery(flow: Flow) -> None:
    root = flow.config.platform_url.rstrip("/")
    defaults = {"authorization_endpoint": root + "/lti/authorize",
                "token_endpoint": root + "/lti/token", "jwks_uri": root + "/.well-known/jwks.json"}
    response = flow.http("GET", root + "/.well-known/openid-configuration")
    found = response.json() if response.status_code == 200 else {}
    flow.endpoints = {k: found.get(k) or v for k, v in defaults.items()}
    if response.status_code != 200:
        raise CheckFailed(f"no OpenID configuration ({response.status_code}); using defaults")
    missing = [k for k in ("issuer", *defaults) if not found.get(k)]
    if missing:
        raise CheckFailed(f"the OpenID configuration lacks {', '.join(missing)}")
    if "RS256" not in found.get("id_token_signing_alg_values_supported", []):
        raise CheckFailed("id_token_signing_alg_values_supported lacks RS256")


def _start(flow: Flow) -> dict[str, str]:
    response = flow.http("GET", flow.config.launch_url)
    if response.status_code not in (302, 303) or "Location" not in response.headers:
        raise CheckFailed(f"the launch URL answered {response.status_code}, not a redirect to "
                          "the tool's login initiation")
    return dict(parse_qsl(urlsplit(response.headers["Location"]).query))


def login_initiation(flow: Flow) -> None:
    login = _start(flow)
    missing = [k for k in ("iss", "login_hint", "target_link_uri") if not login.get(k)]
    if missing:
        raise CheckFailed(f"login initiation lacks {', '.join(missing)}")
    if login.get("client_id", flow.config.client_id) != flow.config.client_id:
        raise CheckFailed(f"client_id {login['client_id']!r} is not the suite's")
    if login.get("lti_deployment_id", flow.config.deployment_id) != flow.config.deployment_id:
        raise CheckFailed(f"lti_deployment_id {login['lti_deployment_id']!r} is not the "
                          "suite's")
    flow.login = login


def _auth_request(flow: Flow, login: dict[str, str], **changes: str) -> dict[str, str]:
    params = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post",
              "prompt": "none", "client_id": flow.config.client_id,
              "redirect_uri": flow.config.redirect_uri, "login_hint": login["login_hint"],
              "state": "state-" + secrets.token_hex(8), "nonce": secrets.token_hex(16),
              **({"lti_message_hint": login["lti_message_hint"]}
                 if "lti_message_hint" in login else {}), **changes}
    return params


def _form(html: str) -> tuple[str | None, dict[str, str]]:
    action = re.search(r'<form[^>]*action="([^"]*)"', html)
    fields = {unescape(n): unescape(v) for n, v in re.findall(
        r'<input[^>]*name="([^"]*)"[^>]*value="([^"]*)"', html)}
    return (unescape(action[1]) if action else None), fields


def authorize(flow: Flow) -> None:
    login = _need(flow.login, "lti.login.initiation")
    flow.auth = _auth_request(flow, login)
    response = flow.http("GET", flow.endpoints["authorization_endpoint"] + "?"
                         + urlencode(flow.auth))
    action, fields = _form(response.text)
    if response.status_code != 200 or action != flow.config.redirect_uri:
        raise CheckFailed(f"the authentication response is not a form post to the redirect "
                          f"URI ({response.status_code}, action {action!r})")
    if fields.get("state") != flow.auth["state"] or not fields.get("id_token"):
        raise CheckFailed("the form lacks the id_token or does not echo state")
    flow.form = fields


def unregistered_redirect(flow: Flow) -> None:
    login = _start(flow)
    evil = "https://unregistered.invalid/launch"
    response = flow.http("GET", flow.endpoints["authorization_endpoint"] + "?"
                         + urlencode(_auth_request(flow, login, redirect_uri=evil)))
    action, fields = _form(response.text)
    if response.status_code < 400 or action == evil or "id_token" in fields \
            or evil in response.headers.get("Location", ""):
        raise CheckFailed(f"an unregistered redirect_uri was answered ({response.status_code},"
                          f" action {action!r})")


def signature(flow: Flow) -> None:
    token = _need(flow.form.get("id_token"), "lti.authorize.form-post")
    header = json.loads(_b64(token.split(".")[0]))
    if header.get("alg") != "RS256" or not header.get("kid"):
        raise CheckFailed(f"header {header!r}: RS256 with a kid is required")
    keys = KeySet.import_key_set(flow.http("GET", flow.endpoints["jwks_uri"]).json())
    try:
        flow.claims = dict(jwt.decode(token, keys, algorithms=["RS256"]).claims)
    except (JoseError, ValueError) as exc:
        raise CheckFailed(f"the signature does not verify with the JWK Set ({exc})") from None


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def claims_schema(flow: Flow) -> None:
    flow.schema("id_token", _need(flow.claims, "lti.id_token.signature"))


def timestamps(flow: Flow) -> None:
    claims = _need(flow.claims, "lti.id_token.signature")
    now = time.time()
    if claims["iat"] > now + 5:
        raise CheckFailed(f"iat is {claims['iat'] - now:.0f} s in the future")
    if claims["exp"] <= now:
        raise CheckFailed("the id_token has expired already")


def nonce_and_audience(flow: Flow) -> None:
    claims = _need(flow.claims, "lti.id_token.signature")
    if claims.get("nonce") != flow.auth["nonce"]:
        raise CheckFailed("nonce is not the one the authentication request sent")
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud or []
    if flow.config.client_id not in audiences:
        raise CheckFailed(f"aud {aud!r} lacks the client_id")
    if claims.get("azp", flow.config.client_id) != flow.config.client_id:
        raise CheckFailed(f"azp {claims['azp']!r} is not the client_id")
    if claims.get(LTI + "deployment_id") != flow.config.deployment_id:
        raise CheckFailed("deployment_id is not the suite's deployment")


def no_whitespace(flow: Flow) -> None:
    bad: list[str] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, str) and value != value.strip():
            bad.append(path)
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{path}/{k}")
        elif isinstance(value, list):
            for n, v in enumerate(value):
                walk(v, f"{path}/{n}")

    walk(_need(flow.claims, "lti.id_token.signature"), "")
    if bad:
        raise CheckFailed(f"claims with surrounding whitespace: {', '.join(bad[:5])}")


def replay(flow: Flow) -> None:
    params = _need(flow.auth, "lti.authorize.form-post")
    response = flow.http("GET", flow.endpoints["authorization_endpoint"] + "?"
                         + urlencode(params))
    _action, fields = _form(response.text)
    if "id_token" in fields:
        raise CheckFailed("the same authentication request was answered twice (replay)")


def _assertion(flow: Flow) -> str:
    now = int(time.time())
    return jwt.encode({"alg": "RS256", "typ": "JWT", "kid": flow.key.thumbprint()},
                      {"iss": flow.config.client_id, "sub": flow.config.client_id,
                       "aud": flow.endpoints["token_endpoint"], "iat": now, "exp": now + 60,
                       "jti": secrets.token_hex(16)}, flow.key, algorithms=["RS256"])


def _token(flow: Flow, scope: str, assertion: str | None = None) -> requests.Response:
    return flow.http("POST", flow.endpoints["token_endpoint"], data={
        "grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion or _assertion(flow), "scope": scope})


def service_token(flow: Flow) -> None:
    _need(flow.endpoints, "lti.discovery.openid-configuration")
    assertion = _assertion(flow)
    response = _token(flow, NRPS_SCOPE, assertion)
    body = response.json() if response.status_code == 200 else {}
    if not body.get("access_token") or body.get("token_type", "").lower() != "bearer":
        raise CheckFailed(f"no bearer token for the NRPS scope ({response.status_code})")
    if NRPS_SCOPE not in body.get("scope", NRPS_SCOPE).split():
        raise CheckFailed("the granted scope lacks the one asked for")
    flow.tokens[NRPS_SCOPE] = body["access_token"]
    again = _token(flow, NRPS_SCOPE, assertion)
    if again.status_code == 200:
        raise CheckFailed("the same client assertion (jti) was accepted twice")


def _members(flow: Flow, url: str) -> requests.Response:
    return flow.http("GET", url, headers={
        "Authorization": f"Bearer {flow.tokens[NRPS_SCOPE]}", "Accept": NRPS_TYPE})


def memberships(flow: Flow) -> None:
    claim = _need(flow.claims, "lti.id_token.signature").get(NRPS_CLAIM)
    _need(flow.tokens.get(NRPS_SCOPE), "lti.token.client-assertion")
    if not claim:
        raise CaseSkipped("the launch carries no NRPS claim")
    response = _members(flow, claim["context_memberships_url"])
    if response.status_code != 200 or not response.headers.get(
            "Content-Type", "").startswith(NRPS_TYPE):
        raise CheckFailed(f"memberships answered {response.status_code} "
                          f"{response.headers.get('Content-Type')}")
    body = response.json()
    flow.schema("nrps-membership-container", body)
    if body["context"]["id"] != flow.claims[LTI + "context"]["id"]:
        raise CheckFailed("the container's context is not the launch's")


def membership_paging(flow: Flow) -> None:
    claim = _need(flow.claims, "lti.id_token.signature").get(NRPS_CLAIM)
    _need(flow.tokens.get(NRPS_SCOPE), "lti.token.client-assertion")
    if not claim:
        raise CaseSkipped("the launch carries no NRPS claim")
    url = claim["context_memberships_url"]
    everyone = {m["user_id"] for m in _members(flow, url).json()["members"]}
    seen: list[str] = []
    page: str | None = url + ("&" if "?" in url else "?") + "limit=1"
    for _ in range(len(everyone) + 2):
        if page is None:
            break
        response = _members(flow, page)
        seen += [m["user_id"] for m in response.json()["members"]]
        found = re.search(r'<([^>]*)>;\s*rel="next"', response.headers.get("Link", "").lower())
        page = found[1] if found else None
    if sorted(seen) != sorted(everyone):
        raise CheckFailed(f"walking lower-cased next links with limit=1 gave {len(seen)} "
                          f"members, not the {len(everyone)} of one page")


def _ags(flow: Flow, scope: str) -> str:
    if scope not in flow.tokens:
        response = _token(flow, scope)
        if response.status_code != 200:
            raise CheckFailed(f"no token for the single scope {scope} ({response.status_code})")
        flow.tokens[scope] = response.json()["access_token"]
    return flow.tokens[scope]


def line_items(flow: Flow) -> None:
    claim = _need(flow.claims, "lti.id_token.signature").get(AGS_CLAIM)
    if not claim or not claim.get("lineitems"):
        raise CaseSkipped("the launch carries no AGS line items endpoint")
    response = flow.http("GET", claim["lineitems"], headers={
        "Authorization": f"Bearer {_ags(flow, LINEITEM)}",
        "Accept": "application/vnd.ims.lis.v2.lineitemcontainer+json"})
    body = response.json() if response.status_code == 200 else None
    if not isinstance(body, list):
        raise CheckFailed(f"line items answered {response.status_code}, not a JSON array")
    for item in body:
        flow.schema("ags-lineitem", item)


def score_and_results(flow: Flow) -> None:
    if not flow.config.write:
        raise CaseSkipped("needs --write (creates a line item and a score)")
    claim = _need(flow.claims, "lti.id_token.signature").get(AGS_CLAIM)
    if not claim or not claim.get("lineitems"):
        raise CaseSkipped("the launch carries no AGS line items endpoint")
    created = flow.http("POST", claim["lineitems"], json={
        "label": "Conformance " + secrets.token_hex(3), "scoreMaximum": 10,
        "tag": "conformance"}, headers={
        "Authorization": f"Bearer {_ags(flow, LINEITEM)}",
        "Content-Type": "application/vnd.ims.lis.v2.lineitem+json"})
    if created.status_code not in (200, 201):
        raise CheckFailed(f"creating a line item answered {created.status_code}")
    item = created.json()
    flow.schema("ags-lineitem", item)
    base, _, query = item["id"].partition("?")
    scored = flow.http("POST", base + "/scores" + (f"?{query}" if query else ""), json={
        "userId": flow.claims["sub"], "scoreGiven": 8, "scoreMaximum": 10,
        "activityProgress": "Completed", "gradingProgress": "FullyGraded",
        "timestamp": datetime.now(UTC).isoformat()}, headers={
        "Authorization": f"Bearer {_ags(flow, SCORE)}",
        "Content-Type": "application/vnd.ims.lis.v1.score+json"})
    if scored.status_code not in (200, 201, 202, 204):
        raise CheckFailed(f"posting a score answered {scored.status_code}")
    results = flow.http("GET", base + "/results" + (f"?{query}" if query else ""), headers={
        "Authorization": f"Bearer {_ags(flow, RESULTS)}",
        "Accept": "application/vnd.ims.lis.v2.resultcontainer+json"})
    body = results.json() if results.status_code == 200 else None
    flow.schema("ags-result-container", body)
    mine = [r for r in body if r.get("userId") == flow.claims["sub"]]
    if not mine or mine[0].get("resultScore") is None:
        raise CheckFailed("the results lack the score just posted")


STEPS: list[tuple[str, str, str, str, Callable[[Flow], None]]] = [
    ("lti.discovery.openid-configuration", "SHOULD", "DR 1.0 3.4",
     "The platform publishes its OpenID configuration", discovery),
    ("lti.login.initiation", "MUST", "SEC 5.1.1.1; CORE 4.1",
     "A launch starts with a third-party initiated login to the tool", login_initiation),
    ("lti.authorize.form-post", "MUST", "SEC 5.1.1.3",
     "The authentication response is a form post of id_token and state", authorize),
    ("lti.authorize.unregistered-redirect", "MUST", "SEC 5.1.1.2; CERT 4.2.1",
     "An unregistered redirect_uri gets no id_token", unregistered_redirect),
    ("lti.id_token.signature", "MUST", "SEC 5.1.3 (1, 6); CERT 5.1",
     "The id_token is RS256 with a kid that verifies in the JWK Set", signature),
    ("lti.id_token.claims", "MUST", "CORE 5.3, 5.4 (specs/lti/id_token)",
     "The id_token's claims match the LTI 1.3 schema", claims_schema),
    ("lti.id_token.timestamps", "MUST", "SEC 5.1.2; CERT 5.1",
     "iat is not in the future and exp is", timestamps),
    ("lti.id_token.nonce-audience", "MUST", "SEC 5.1.3 (3, 5, 9)",
     "nonce echoed, aud holds the client_id, azp and deployment match", nonce_and_audience),
    ("lti.id_token.whitespace", "MUST", "CERT 5.1 (free of extra whitespace)",
     "No claim has surrounding whitespace", no_whitespace),
    ("lti.authorize.replay", "SHOULD", "SEC 5.1.3 (9)",
     "The same authentication request is not answered twice", replay),
    ("lti.token.client-assertion", "MUST", "SEC 4.1, 4.1.1",
     "A private_key_jwt assertion gets a token once (jti)", service_token),
    ("lti.nrps.membership", "MUST", "NRPS 2.0 (specs/lti/nrps-membership-container)",
     "The context membership matches the schema", memberships),
    ("lti.nrps.paging", "SHOULD", "NRPS 2.0 paging; pylti1p3 lower-cases next links",
     "Lower-cased next links with limit=1 reach every member once", membership_paging),
    ("lti.ags.lineitems", "MUST", "AGS 2.0 3.2 (specs/lti/ags-lineitem); CERT 5.4",
     "Line items are read with a single-scope token", line_items),
    ("lti.ags.score-results", "MUST", "AGS 2.0 3.3, 3.4",
     "A created line item takes a score that its results then show", score_and_results),
]


def run_lti(config: LtiConfig, on_result: Callable[[Result], None] | None = None,
            only: str | None = None) -> list[Result]:
    key = RSAKey.import_key(config.tool_key.read_bytes())
    flow = Flow(config, key)
    results = []
    for line, (case_id, level, spec, title, step) in enumerate(STEPS, start=1):
        case = Case(id=case_id, title=title, level=level, spec=spec, suite="lti",
                    source="conformance/lti.py", line=line)
        if not case.matches(only) and case_id != "lti.discovery.openid-configuration":
            continue
        started, first = time.monotonic(), len(flow.log)
        try:
            step(flow)
            status, message = PASSED, ""
        except CheckFailed as exc:
            status, message = FAILED, str(exc)
        except CaseSkipped as exc:
            status, message = SKIPPED, str(exc)
        except requests.RequestException as exc:
            status, message = FAILED, f"no answer: {type(exc).__name__}"
        except Exception as exc:  # noqa: BLE001 - one broken step must not hide the others
            status, message = FAILED, f"suite error ({type(exc).__name__}): {exc}"
        result = Result(case, status, message, time.monotonic() - started, flow.log[first:])
        results.append(result)
        if on_result:
            on_result(result)
    return results

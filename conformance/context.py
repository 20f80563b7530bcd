"""The state one run shares between cases: where services live, tokens, discovered data."""

from __future__ import annotations

import re
import uuid
from typing import Any

from .config import RunConfig
from .http import Http, Reply
from .official import OfficialDocuments
from .openapi import OpenApiDocument, OpenApiError, SpecLibrary
from .outcome import CaseSkipped, CheckFailed

ONEROSTER_SERVICES = ("rostering", "gradebook", "resources")
ONEROSTER_READ_SCOPES = (
    "roster-core.readonly",
    "roster.readonly",
    "roster-demographics.readonly",
    "gradebook.readonly",
    "resource.readonly",
)
ONEROSTER_WRITE_SCOPES = ("gradebook.createput", "gradebook.delete")
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def oneroster_scope(version: str, suffix: str) -> str:
    """Full scope URI for a suffix such as `roster.readonly`; full URIs pass unchanged."""
    if "://" in suffix:
        return suffix
    return f"https://purl.imsglobal.org/spec/or/v1p{version[-1]}/scope/{suffix}"


def dig(item: Any, dotted: str) -> Any:
    """Value at a dotted path such as `school.sourcedId`; None when any step is missing."""
    for step in dotted.split("."):
        if not isinstance(item, dict) or step not in item:
            return None
        item = item[step]
    return item


def unwrap(body: Any) -> Any:
    """The value under a single-key envelope, or None when the body is not one."""
    if isinstance(body, dict) and len(body) == 1:
        return next(iter(body.values()))
    return None


class RunContext:
    def __init__(self, config: RunConfig, http: Http | None = None) -> None:
        self.config = config
        self.http = http or Http(config.timeout)
        self.specs = SpecLibrary(config.specs_dir)
        self._tokens: dict[tuple[str, ...] | None, str] = {}
        self._discovered: dict[tuple[str, str, str, str], Any] = {}
        self.edfi_root: dict[str, Any] | None = None
        self.edfi_unavailable: str | None = None
        self._official: OfficialDocuments | None = None

    def official(self) -> OfficialDocuments | None:
        """The documents under --schema-dir, read on first use; None without the option."""
        if self.config.schema_dir is None:
            return None
        if self._official is None:
            try:
                self._official = OfficialDocuments.load(self.config.schema_dir)
            except OpenApiError as exc:
                raise CheckFailed(f"cannot use --schema-dir: {exc}") from exc
        return self._official

    # -- where things are -------------------------------------------------------------------

    def service_url(self, service: str | None) -> str:
        base = self.config.base_url.rstrip("/")
        if self.config.suite == "oneroster":
            if self.config.version == "1.1":
                return f"{base}/ims/oneroster/v1p1"
            return f"{base}/ims/oneroster/{service or 'rostering'}/v1p2"
        if self.config.suite == "edfi":
            return self._edfi_url(service or "data")
        return base

    def _edfi_url(self, service: str) -> str:
        if service == "root":
            return self.config.base_url.rstrip("/")
        root = self.require_edfi()
        urls = root.get("urls") or {}
        key = {"data": "dataManagementApi", "changeQueries": "changeQueries"}.get(service, service)
        if not isinstance(urls.get(key), str):
            raise CaseSkipped(f"the Ed-Fi discovery document lists no urls.{key}")
        url = urls[key].rstrip("/")
        return f"{url}/ed-fi" if service == "data" else url

    def require_edfi(self) -> dict[str, Any]:
        """The Ed-Fi discovery document; every Ed-Fi case is skipped when there is none."""
        if self.edfi_root is None and self.edfi_unavailable is None:
            reply = self.http.request("GET", self.config.base_url.rstrip("/") + "/")
            if reply.status != 200:
                self.edfi_unavailable = (
                    f"no Ed-Fi discovery document (GET / answered {reply.status})"
                )
            elif not isinstance(reply.body, dict) or "dataModels" not in reply.body:
                self.edfi_unavailable = "GET / is not an Ed-Fi discovery document (no dataModels)"
            else:
                self.edfi_root = reply.body
        if self.edfi_unavailable:
            raise CaseSkipped(self.edfi_unavailable)
        assert self.edfi_root is not None
        return self.edfi_root

    def spec_document(self, service: str | None) -> OpenApiDocument | None:
        relative = self.spec_path(service)
        if relative is None or not self.specs.exists(relative):
            return None
        try:
            return self.specs.document(relative)
        except OpenApiError as exc:
            raise CheckFailed(f"cannot use the OpenAPI document: {exc}") from exc

    def spec_path(self, service: str | None) -> str | None:
        if self.config.suite != "oneroster":
            return None
        if self.config.version == "1.1":
            return "oneroster/v1p1/openapi.json"
        return f"oneroster/v1p2/{service or 'rostering'}.openapi.json"

    # -- tokens -----------------------------------------------------------------------------

    def default_scopes(self) -> tuple[str, ...] | None:
        if self.config.scope:
            return tuple(self.config.scope.split())
        if self.config.suite != "oneroster":
            return None
        suffixes = ONEROSTER_READ_SCOPES + (ONEROSTER_WRITE_SCOPES if self.config.write else ())
        return tuple(oneroster_scope(self.config.version or "1.2", s) for s in suffixes)

    def token(self, scopes: tuple[str, ...] | None = None, *, other: bool = False) -> str:
        """A bearer token for the run's client (or the other client), cached per scope set."""
        scopes = scopes if scopes is not None else self.default_scopes()
        key = (("other",) if other else ()) + (scopes or ())
        if key not in self._tokens:
            self._tokens[key] = self._fetch_token(scopes, other=other)
        return self._tokens[key]

    def request_token(
        self,
        scopes: tuple[str, ...] | None,
        *,
        client: tuple[str, str] | None = None,
        method: str | None = None,
        grant_type: str = "client_credentials",
    ) -> Reply:
        if not self.config.token_url:
            raise CaseSkipped("no --token-url given")
        client_id, secret = client or (self.config.client_id or "", self.config.client_secret or "")
        form = {"grant_type": grant_type}
        if scopes:
            form["scope"] = " ".join(scopes)
        method = method or self.config.auth_method
        if method == "post":
            form |= {"client_id": client_id, "client_secret": secret}
            return self.http.request("POST", self.config.token_url, data=form)
        return self.http.request("POST", self.config.token_url, data=form, auth=(client_id, secret))

    def fresh_token(self) -> str:
        """A token of the run's client that no other case shares (for revocation probes)."""
        return self._fetch_token(self.default_scopes(), other=False)

    def _fetch_token(self, scopes: tuple[str, ...] | None, *, other: bool) -> str:
        client = None
        if other:
            client = (self.config.other_client_id or "", self.config.other_client_secret or "")
        reply = self.request_token(scopes, client=client)
        if reply.status == 400 and isinstance(reply.body, dict) and scopes == self.default_scopes():
            if reply.body.get("error") == "invalid_scope":
                reply = self.request_token(None, client=client)
        token = reply.body.get("access_token") if isinstance(reply.body, dict) else None
        if reply.status != 200 or not isinstance(token, str):
            wanted = " ".join(scopes or ()) or "(default scope)"
            raise CaseSkipped(
                f"could not get a token for {wanted}: {reply.describe()} {reply.excerpt(200)}"
            )
        return token

    # -- requests ---------------------------------------------------------------------------

    def call(
        self,
        path: str,
        *,
        service: str | None = None,
        method: str = "GET",
        query: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        auth: Any = "token",
        body: Any = None,
        bindings: dict[str, str] | None = None,
    ) -> Reply:
        url = path if "://" in path else self.service_url(service) + self.fill(path, bindings)
        all_headers = {"Accept": "application/json", **(headers or {})}
        authorization = self._authorization(auth)
        if authorization:
            all_headers["Authorization"] = authorization
        params = {k: self.fill(str(v), bindings) for k, v in (query or {}).items()}
        return self.http.request(
            method, url, params=params or None, headers=all_headers, json_body=body
        )

    def _authorization(self, auth: Any) -> str | None:
        if auth == "none":
            return None
        if self.config.suite == "edfi" and auth == "token" and not self.config.token_url:
            return None
        if isinstance(auth, str) and auth.startswith("raw:"):
            return "Bearer " + auth[4:]
        if auth == "invalid":
            return "Bearer " + uuid.uuid4().hex
        if auth == "other":
            return "Bearer " + self.token(other=True)
        if isinstance(auth, dict):
            version = self.config.version or "1.2"
            scopes = tuple(
                oneroster_scope(version, s) if self.config.suite == "oneroster" else s
                for s in auth["scopes"]
            )
            return "Bearer " + self.token(scopes)
        return "Bearer " + self.token()

    def fill(self, text: str, bindings: dict[str, str] | None) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if bindings is None or name not in bindings:
                raise CheckFailed(f"case bug: {{{name}}} is not bound (add it under discover)")
            return bindings[name]

        return PLACEHOLDER.sub(replace, text)

    # -- discovery --------------------------------------------------------------------------

    def discover(self, spec: dict[str, dict[str, Any]]) -> dict[str, str]:
        """Bind names to values read from live data, so cases run against any district."""
        bindings: dict[str, str] = {
            "unknown": "conformance-unknown-" + uuid.uuid4().hex[:12],
            "unknown_guid": uuid.uuid4().hex,
        }
        bindings |= {
            k: v
            for k, v in {
                "opted_out_student": self.config.opted_out_student,
                "forbidden_school": self.config.forbidden_school,
            }.items()
            if v
        }
        for name, rule in spec.items():
            bindings[name] = self._discover_one(name, rule, bindings)
        return bindings

    def _discover_one(self, name: str, rule: dict[str, Any], bindings: dict[str, str]) -> str:
        service = rule.get("service")
        path = self.fill(rule["path"], bindings)
        pick = rule.get("pick", "sourcedId" if self.config.suite == "oneroster" else "id")
        query = {"limit": 1, **rule.get("query", {})}
        key = (service or "", path, pick, repr(sorted(query.items())))
        if key not in self._discovered:
            reply = self.call(path, service=service, query=query)
            self._discovered[key] = self._pick(reply, pick)
        value = self._discovered[key]
        if value is None:
            raise CaseSkipped(f"no data to bind {{{name}}}: nothing at {path} with {pick}")
        return str(value)

    @staticmethod
    def _pick(reply: Reply, pick: str) -> Any:
        if reply.status != 200:
            return None
        data = unwrap(reply.body) if isinstance(reply.body, dict) else reply.body
        if isinstance(data, list):
            data = data[0] if data else None
        return dig(data, pick)

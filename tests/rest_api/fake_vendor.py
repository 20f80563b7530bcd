"""A small vendor JSON API for the failure modes, served for real by pytest-httpserver: users
paged by offset/limit, an `updated_since` filter, an OAuth2 token endpoint, and switches that
make it misbehave the way real providers do."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from werkzeug import Request, Response

CONNECTOR = """\
version: 1
name: fake-vendor
auth: {type: oauth2_client_credentials, token_url: /token}
http: {timeout: 0.5, retries: 2, backoff: 0, max_retry_after: 5, max_response_bytes: 20000}
streams:
  - name: people
    path: /people
    records: data
    paging: {type: offset, size: 2, size_param: limit, offset_param: offset, total_path: total}
    incremental:
      type: datetime
      field: updated_at
      params: {updated_since: "{cursor}"}
    deleted_when: "deleted == True"
    entities:
      - family: users
        id: {template: "p-{id}"}
        fields:
          enabledUser: {const: true}
          username: login
          givenName: name.first
          familyName: name.last
"""


def person(n: int, updated: str = "2025-01-01T00:00:00Z", **extra: Any) -> dict[str, Any]:
    return {"id": n, "login": f"u{n}", "name": {"first": f"First{n}", "last": f"Last{n}"},
            "updated_at": updated, **extra}


@dataclass
class FakeVendor:
    people: list[dict[str, Any]] = field(default_factory=lambda: [person(n) for n in range(5)])
    # fault name -> how many more times it happens (-1: always)
    faults: Counter = field(default_factory=Counter)
    token_lifetime: int = 3600
    tokens_issued: int = 0
    valid_tokens: dict[str, float] = field(default_factory=dict)  # token -> expiry
    hits: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fault(self, name: str) -> bool:
        with self.lock:
            if self.faults[name] == 0:
                return False
            if self.faults[name] > 0:
                self.faults[name] -= 1
            return True

    def handle(self, request: Request) -> Response:
        self.hits[request.path] += 1
        if request.path == "/token":
            return self.token(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if self.valid_tokens.get(token, 0) < time.time() or self.fault("401"):
            self.hits["401"] += 1
            return _json({"error": "invalid_token"}, 401)
        return self.page(request)

    def token(self, request: Request) -> Response:
        if self.fault("token_refused"):
            return _json({"error": "invalid_client", "error_description": "unknown client"},
                         401)
        self.tokens_issued += 1
        token = f"token-{self.tokens_issued}"
        self.valid_tokens[token] = time.time() + self.token_lifetime
        return _json({"access_token": token, "token_type": "Bearer",
                      "expires_in": self.token_lifetime})

    def page(self, request: Request) -> Response:
        offset = int(request.args.get("offset", 0))
        limit = int(request.args.get("limit", 2))
        if self.fault("500"):
            return _json({"error": "boom"}, 500)
        if self.fault("429"):
            return Response("slow down", 429, headers={"Retry-After": "1"})
        if self.fault("429_long"):
            return Response("come back tomorrow", 429, headers={"Retry-After": "3600"})
        if self.fault("slow"):
            time.sleep(1.2)
        if self.fault("malformed"):
            return Response('{"data": [{"id": 1,, }]}', 200, content_type="application/json")
        if self.fault("truncated"):
            body = json.dumps({"data": self.people[offset:offset + limit]}).encode()
            return Response(body[: len(body) // 2], 200, content_type="application/json",
                            headers={"Content-Length": str(len(body))})
        if self.fault("huge"):
            return _json({"data": [person(9, filler="x" * 50_000)]})
        if offset and self.fault("expire_wait"):
            time.sleep(1.1)
        since = request.args.get("updated_since")
        chosen = [p for p in self.people if not since or p["updated_at"] > since]
        if self.fault("loop"):
            offset = 0  # a server that ignores offset: the same page forever
        return _json({"data": chosen[offset:offset + limit], "total": len(chosen)})


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status, content_type="application/json")

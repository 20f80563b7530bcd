"""Throttling client-secret checks, the same way on every endpoint that checks a secret
(/oauth/token, /oauth/introspect, /oauth/revoke).

A secret check is a deliberately slow scrypt run, so unthrottled guessing both searches for a
secret and burns the CPU that serves reads. Three counters, all kept in the store so that every
gunicorn worker and node enforces one count:

- wrong secrets per (source address, client) and minute: past `secret_failure_limit` that pair
  gets 429 `too_many_requests` without a check. Keyed by address and client together, so an
  attacker guessing another app's secret locks out only itself; the real app, calling from its
  own address, keeps authenticating.
- secret checks per second for the whole store: past `secret_checks_per_second` the request
  gets **503** `temporarily_unavailable` with `Retry-After: 1`. 503, not 429, because the
  limit is the server's capacity, not anything this caller did; a well-behaved client retries.
- token requests per authenticated app and minute (`token_rate_limit`): counted only once the
  secret is right, so wrong guesses by others never spend a real app's budget.

Unknown client ids are not counted: no secret is checked for them (no scrypt work to bound).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from flask import request
from sqlalchemy import Engine

from gateway.auth.rate_limit import WINDOW, add_to_window, hit, window_count

BUDGET_KEY = "secret-checks"


class Throttled(OAuth2Error):
    """An RFC 6749-style error JSON that carries Retry-After."""

    def __init__(self, error: str, description: str, status_code: int,
                 retry_after: int) -> None:
        super().__init__(description=description, status_code=status_code)
        self.error = error
        self.retry_after = retry_after

    def get_headers(self) -> list[tuple[str, str]]:
        return [*super().get_headers(), ("Retry-After", str(self.retry_after))]


def claimed_client_id() -> str | None:
    """The client id the current request claims (HTTP Basic first, then the form)."""
    basic_id, _secret = extract_basic_authorization(request.headers)
    return basic_id or request.form.get("client_id")


def _failure_key(address: str, client_id: str) -> str:
    """Fixed length whatever the address and id: the counter's key column holds 64."""
    digest = hashlib.sha256(f"{address}\0{client_id}".encode()).hexdigest()[:40]
    return f"fail:{digest}"


@dataclass(frozen=True)
class SecretGuard:
    engine: Callable[[], Engine]
    failure_limit: int
    checks_per_second: int
    token_limit: int

    def before_check(self, address: str, client_id: str, now: float | None = None) -> None:
        """Refuse before any scrypt work when the pair or the store is over its budget."""
        moment = time.time() if now is None else now
        engine = self.engine()
        minute = int(moment) - int(moment) % WINDOW
        if window_count(engine, _failure_key(address, client_id), minute) >= self.failure_limit:
            retry = max(1, minute + WINDOW - int(moment))
            raise Throttled("too_many_requests",
                            f"more than {self.failure_limit} wrong secrets a minute for this "
                            f"app from this address; retry in {retry} s", 429, retry)
        if add_to_window(engine, BUDGET_KEY, int(moment)) > self.checks_per_second:
            raise Throttled("temporarily_unavailable",
                            "the server is checking as many client secrets as it can this "
                            "second; retry in 1 s", 503, 1)

    def failed(self, address: str, client_id: str, now: float | None = None) -> None:
        moment = time.time() if now is None else now
        add_to_window(self.engine(), _failure_key(address, client_id),
                      int(moment) - int(moment) % WINDOW)

    def succeeded(self, client_id: str, endpoint: str) -> None:
        """Token requests of an authenticated app count against its per-minute budget."""
        if endpoint != "token":
            return
        decision = hit(self.engine(), client_id, self.token_limit)
        if not decision.allowed:
            raise Throttled("too_many_requests",
                            f"more than {self.token_limit} token requests a minute from this "
                            f"app; retry in {decision.retry_after} s", 429,
                            decision.retry_after)

    def authenticate(self, client_id: str | None, known: bool,
                     check: Callable[[], Any], endpoint: str) -> Any:
        """Run `check` (authlib's client authentication) under the three budgets."""
        address = request.remote_addr or "unknown"
        if not client_id or not known:
            return check()
        self.before_check(address, client_id)
        try:
            client = check()
        except OAuth2Error as error:
            if error.error == "invalid_client":
                self.failed(address, client_id)
            raise
        self.succeeded(client_id, endpoint)
        return client

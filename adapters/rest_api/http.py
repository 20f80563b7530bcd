"""HTTP for connectors: requests with urllib3's Retry, bounded in time, size and rate.

* Retries (connection errors, read timeouts, 429 and 5xx) with exponential backoff are urllib3's
  `Retry` mounted on the session, not a loop of ours; `Retry-After` is honoured on 429 and 503,
  up to `max_retry_after` (a longer wait ends the run with a message saying so).
* Every request has a connect and read timeout, and a body must arrive within
  `max_response_seconds` and `max_response_bytes` (checked on Content-Length and again while
  streaming, so a lying or endless server is cut off).
* A client-side rate limit paces requests (one every 1/requests_per_second seconds).
* TLS certificates are verified (a district CA bundle may be named; there is no switch off).
* A 401 gets one fresh token (OAuth2) and one more try; then it is an error naming the URL.

Everything that goes wrong ends in `SourceError` with a message a district can act on.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from adapters.rest_api.connector import HttpSpec

USER_AGENT = "school-data-gateway rest-api adapter"
RETRY_STATUSES = (429, 500, 502, 503, 504)


class SourceError(Exception):
    """The source cannot be read; the message names the URL and what went wrong."""


class WaitTooLong(SourceError):
    pass


@dataclass
class Page:
    url: str
    status: int
    headers: requests.structures.CaseInsensitiveDict
    links: dict[str, dict[str, str]]
    data: Any
    size: int
    digest: str


@dataclass
class Tally:
    """What the run cost, for the progress line and the summary."""

    requests: int = 0
    pages: int = 0
    records: int = 0
    retries: int = 0
    token_refreshes: int = 0
    bytes: int = 0
    seconds: float = 0.0  # spent waiting on the network (and on the rate limit)
    started: float = field(default_factory=time.perf_counter)

    def counts(self) -> dict[str, float]:
        return {"requests": self.requests, "pages": self.pages, "records": self.records,
                "retries": self.retries, "token_refreshes": self.token_refreshes,
                "bytes": self.bytes, "http_seconds": round(self.seconds, 3),
                "seconds": round(time.perf_counter() - self.started, 3)}


def _capped_retry(cap: float) -> type[Retry]:
    """urllib3's Retry, refusing a Retry-After longer than `cap` seconds rather than sleeping
    for as long as a server asks (a subclass: Retry.new() rebuilds instances from the class)."""

    class CappedRetry(Retry):
        def get_retry_after(self, response: Any) -> float | None:
            seconds = super().get_retry_after(response)
            if seconds is not None and seconds > cap:
                raise WaitTooLong(f"the server asked to wait {seconds:g} s (Retry-After) "
                                  f"before retrying, more than max_retry_after = {cap:g} s")
            return seconds

    return CappedRetry


def mount_retries(session: requests.Session, spec: HttpSpec) -> None:
    retry_class = _capped_retry(spec.max_retry_after)
    retry = retry_class(
        total=spec.retries, connect=spec.retries, read=spec.retries, status=spec.retries,
        other=0, backoff_factor=spec.backoff, backoff_max=60,
        status_forcelist=RETRY_STATUSES, allowed_methods=frozenset({"GET", "POST"}),
        respect_retry_after_header=True, raise_on_status=False,
    )
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)


class Pacer:
    """At most `rate` requests per second: each request waits for its slot."""

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self.next_slot = 0.0

    def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        if now < self.next_slot:
            time.sleep(self.next_slot - now)
            now = self.next_slot
        self.next_slot = now + self.interval


class HttpClient:
    """GETs JSON pages for one connector run. `renew` (OAuth2) fetches a fresh token."""

    def __init__(self, session: requests.Session, spec: HttpSpec, tally: Tally,
                 renew: Any = None) -> None:
        self.session = session
        self.spec = spec
        self.tally = tally
        self.renew = renew
        self.pacer = Pacer(spec.requests_per_second)
        session.headers.setdefault("Accept", "application/json")
        session.headers["User-Agent"] = USER_AGENT

    def get_json(self, url: str, params: dict[str, str] | None = None) -> Page:
        if self.renew is not None and not getattr(self.session, "token", None):
            self.renew()  # the first token
            self.tally.token_refreshes += 1
        response = self._send(url, params)
        if response.status_code == 401 and self.renew is not None:
            response.close()
            self.renew()
            self.tally.token_refreshes += 1
            response = self._send(url, params)
        try:
            return self._page(response)
        finally:
            response.close()

    def _send(self, url: str, params: dict[str, str] | None) -> requests.Response:
        self.pacer.wait()
        started = time.perf_counter()
        self.tally.requests += 1
        try:
            response = self.session.get(url, params=params, stream=True,
                                        timeout=(self.spec.timeout, self.spec.timeout))
        except WaitTooLong as exc:
            raise SourceError(f"{_shown(url, params)}: {exc}") from None
        except requests.exceptions.SSLError as exc:
            raise SourceError(f"{_shown(url, params)}: TLS failed ({_reason(exc)}); name the "
                              "district's CA bundle in the ca_bundle option if the server "
                              "uses a private certificate authority") from None
        except requests.exceptions.RequestException as exc:
            raise SourceError(f"{_shown(url, params)}: {_reason(exc)} (after "
                              f"{self.spec.retries} retries)") from None
        finally:
            self.tally.seconds += time.perf_counter() - started
        retries = getattr(response.raw, "retries", None)
        if retries is not None:
            self.tally.retries += len(retries.history)
        return response

    def _page(self, response: requests.Response) -> Page:
        url = response.url
        if response.status_code >= 400:
            retried = response.status_code in RETRY_STATUSES
            note = f" (still, after {self.spec.retries} retries)" if retried else ""
            raise SourceError(f"{url}: HTTP {response.status_code} {response.reason}{note}: "
                              f"{_snippet(self._body(response, 2048, limit_error=False))}")
        body = self._body(response, self.spec.max_response_bytes)
        try:
            data = json.loads(body)
        except UnicodeDecodeError as exc:
            raise SourceError(f"{url}: the response is not UTF-8 JSON ({exc})") from None
        except json.JSONDecodeError as exc:
            raise SourceError(f"{url}: the response is not valid JSON: {exc.msg} at line "
                              f"{exc.lineno} column {exc.colno} (byte {exc.pos} of "
                              f"{len(body)}): {_snippet(body[max(0, exc.pos - 40):exc.pos + 40])}"
                              ) from None
        self.tally.pages += 1
        self.tally.bytes += len(body)
        return Page(url, response.status_code, response.headers, response.links, data,
                    len(body), hashlib.blake2b(body, digest_size=16).hexdigest())

    def _body(self, response: requests.Response, limit: int, *, limit_error: bool = True
              ) -> bytes:
        """The body, read within the size and time limits."""
        url = response.url
        declared = response.headers.get("Content-Length")
        if limit_error and declared and declared.isdigit() and int(declared) > limit:
            raise SourceError(f"{url}: the response is {int(declared):,} bytes, more than "
                              f"max_response_bytes = {limit:,}; nothing read")
        deadline = time.perf_counter() + self.spec.max_response_seconds
        chunks: list[bytes] = []
        size = 0
        started = time.perf_counter()
        try:
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > limit:
                    if not limit_error:
                        break
                    raise SourceError(f"{url}: the response grew past max_response_bytes = "
                                      f"{limit:,} bytes; stopped reading")
                chunks.append(chunk)
                if time.perf_counter() > deadline:
                    raise SourceError(f"{url}: the response took longer than "
                                      f"max_response_seconds = {self.spec.max_response_seconds:g}"
                                      " s to arrive; stopped reading")
        except requests.exceptions.RequestException as exc:
            raise SourceError(f"{url}: the response ended early after {size:,} bytes"
                              f"{' of ' + declared if declared else ''} ({_reason(exc)}); the "
                              "page is incomplete") from None
        finally:
            self.tally.seconds += time.perf_counter() - started
        return b"".join(chunks)


def _shown(url: str, params: dict[str, str] | None) -> str:
    if not params:
        return url
    return requests.Request("GET", url, params=params).prepare().url or url


def _reason(exc: BaseException) -> str:
    """The innermost reason of a requests/urllib3 error, without the object reprs."""
    reason: BaseException = exc
    for _ in range(5):
        inner = reason.args[0] if reason.args and isinstance(reason.args[0], BaseException) \
            else getattr(reason, "reason", None)
        if not isinstance(inner, BaseException):
            break
        reason = inner
    text = str(reason)
    if "Read timed out" in text or "ReadTimeout" in type(reason).__name__:
        return "timed out waiting for the server"
    return f"{type(reason).__name__}: {text}"[:300]


def _snippet(body: bytes | str) -> str:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = " ".join(text.split())
    return repr(text[:200]) if text else "(empty body)"

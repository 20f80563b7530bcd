"""Bounded HTTP: every request has a timeout, and every answer is captured for the report."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import requests

USER_AGENT = "school-data-gateway-conformance/0.1"


@dataclass
class Reply:
    """What came back: enough to judge the answer and to show it in a report."""

    method: str
    url: str
    status: int
    headers: dict[str, str]
    text: str
    body: Any = None
    json_error: str | None = None
    request_headers: dict[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None

    def describe(self) -> str:
        return f"{self.method} {self.url} -> {self.status}"

    def excerpt(self, limit: int = 300) -> str:
        text = self.text.strip().replace("\n", " ")
        return text if len(text) <= limit else text[:limit] + "..."


class TransportError(Exception):
    """The server could not be reached or did not answer in time."""


class Http:
    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.log: list[Reply] = []

    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        json_body: Any = None,
        data: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> Reply:
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                headers=headers,
                json=json_body,
                data=data,
                auth=auth,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise TransportError(f"{method} {url}: {type(exc).__name__}: {exc}") from exc
        reply = Reply(
            method=method,
            url=response.url,
            status=response.status_code,
            headers=dict(response.headers),
            text=response.text,
            request_headers=dict(response.request.headers),
        )
        if response.content:
            try:
                reply.body = json.loads(response.content)
            except (ValueError, UnicodeDecodeError) as exc:
                reply.json_error = str(exc)
        self.log.append(reply)
        return reply

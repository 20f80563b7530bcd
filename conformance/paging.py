"""Walking OneRoster collections page by page, within the run's page budget."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

from .context import RunContext, unwrap
from .http import Reply
from .outcome import CaseSkipped, CheckFailed

LINK_ITEM = re.compile(r'<([^>]*)>\s*((?:;\s*[^;,]+)*)')


@dataclass
class Walk:
    items: list[dict[str, Any]] = field(default_factory=list)
    pages: list[Reply] = field(default_factory=list)
    limit: int = 0


def total_count(reply: Reply, header: str = "X-Total-Count") -> int:
    raw = reply.header(header)
    if raw is None:
        raise CheckFailed(f"{reply.describe()}: no {header} header")
    try:
        return int(raw.strip())
    except ValueError as exc:
        raise CheckFailed(f"{reply.describe()}: {header} is {raw!r}, not an integer") from exc


def page_items(reply: Reply, envelope: str | None = None) -> list[dict[str, Any]]:
    if reply.status != 200:
        raise CheckFailed(f"{reply.describe()}: expected 200 | body: {reply.excerpt()}")
    items = unwrap(reply.body)
    if envelope and (not isinstance(reply.body, dict) or list(reply.body) != [envelope]):
        keys = sorted(reply.body) if isinstance(reply.body, dict) else type(reply.body).__name__
        raise CheckFailed(f"{reply.describe()}: body keys {keys}, expected [{envelope!r}]")
    if not isinstance(items, list):
        raise CheckFailed(f"{reply.describe()}: the body is not a single-key collection envelope")
    return items


def count(ctx: RunContext, path: str, service: str | None, query: dict[str, Any],
          bindings: dict[str, str]) -> int:
    reply = ctx.call(path, service=service, query={**query, "limit": 1}, bindings=bindings)
    page_items(reply)
    return total_count(reply)


def choose_limit(ctx: RunContext, total: int, pages_wanted: int = 3) -> int:
    """A page size that makes the walk span several pages yet stay within --max-pages."""
    return max(1, math.ceil(total / max(1, min(pages_wanted, ctx.config.max_pages))))


def walk(
    ctx: RunContext,
    path: str,
    *,
    service: str | None = None,
    query: dict[str, Any] | None = None,
    bindings: dict[str, str] | None = None,
    limit: int | None = None,
    envelope: str | None = None,
) -> Walk:
    """Every item of a (filtered) collection by offset, stopping at the page budget."""
    query = dict(query or {})
    limit = limit or ctx.config.page_limit
    result = Walk(limit=limit)
    offset = 0
    while True:
        if len(result.pages) >= ctx.config.max_pages:
            raise CaseSkipped(
                f"{path} has more than {ctx.config.max_pages} pages of {limit}; raise --max-pages"
            )
        reply = ctx.call(
            path, service=service, query={**query, "limit": limit, "offset": offset},
            bindings=bindings,
        )
        items = page_items(reply, envelope)
        result.pages.append(reply)
        result.items += items
        if len(items) < limit:
            return result
        offset += limit


def parse_links(header: str | None, base_url: str) -> dict[str, str]:
    """RFC 8288 Link header as {rel: absolute URL}."""
    links: dict[str, str] = {}
    for target, params in LINK_ITEM.findall(header or ""):
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "rel":
                for rel in value.strip().strip('"').split():
                    links[rel.lower()] = urljoin(base_url, target)
    return links


def offset_and_limit(url: str) -> tuple[int | None, int | None]:
    query = parse_qs(urlsplit(url).query)

    def number(name: str) -> int | None:
        try:
            return int(query[name][0])
        except (KeyError, ValueError):
            return None

    return number("offset"), number("limit")


def comparable(value: Any) -> tuple[int, Any]:
    """A key that orders OneRoster values as the server should: numbers as numbers, date-times
    as instants, everything else as text. The leading kind keeps mixed types comparable."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (0, value)
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ][\d:.]+(Z|[+-]\d{2}:?\d{2})", text):
        try:
            return (0, datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())
        except ValueError:
            pass
    return (1, text)

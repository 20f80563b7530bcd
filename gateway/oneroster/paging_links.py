"""The RFC 8288 `Link` header of a collection page (first, prev, next, last).

Clients such as the PyPI `oneroster` package follow rel="next" through `requests`, which only
understands the bracketed `<url>; rel="..."` form, so that is the only form written.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from gateway.oneroster.query_params import Page

_PAGING = ("limit", "offset")


def link_header(base_url: str, params: dict[str, str], page: Page, total: int) -> str:
    """Links that keep every other query parameter of the request and move only the window."""
    last = ((total - 1) // page.limit) * page.limit if total > 0 else 0
    targets = [("first", 0)]
    if page.offset > 0:
        targets.append(("prev", max(page.offset - page.limit, 0)))
    if page.offset + page.limit < total:
        targets.append(("next", page.offset + page.limit))
    targets.append(("last", last))
    parts = urlsplit(base_url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in _PAGING]
    kept += [(k, v) for k, v in params.items() if k not in _PAGING]
    # The parameters every link keeps are encoded once; only the window differs.
    common = urlencode(kept, quote_via=quote, safe="")
    prefix = urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")) + "?" + \
        (common + "&" if common else "")
    return ", ".join(f'<{prefix}limit={page.limit}&offset={offset}>; rel="{rel}"'
                     for rel, offset in targets)

"""The RFC 8288 Link header on collection pages."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import requests

from gateway.oneroster.query import Page, link_header

BASE = "https://gw.example.org/ims/oneroster/rostering/v1p2/users"


def links(header: str) -> dict[str, str]:
    """Read the header the way the PyPI oneroster client does: through requests."""
    response = requests.Response()
    response.headers["Link"] = header
    return {rel: link["url"] for rel, link in response.links.items()}


def window(url: str) -> tuple[int, int]:
    query = parse_qs(urlsplit(url).query)
    return int(query["limit"][0]), int(query["offset"][0])


def test_a_middle_page_links_all_four_ways() -> None:
    found = links(link_header(BASE, {}, Page(limit=10, offset=20), total=45))
    assert {rel: window(url) for rel, url in found.items()} == {
        "first": (10, 0),
        "prev": (10, 10),
        "next": (10, 30),
        "last": (10, 40),
    }


def test_the_first_page_has_no_prev() -> None:
    found = links(link_header(BASE, {}, Page(limit=10, offset=0), total=45))
    assert set(found) == {"first", "next", "last"}


def test_the_last_page_has_no_next() -> None:
    found = links(link_header(BASE, {}, Page(limit=10, offset=40), total=45))
    assert set(found) == {"first", "prev", "last"}
    assert window(found["last"]) == (10, 40)


def test_an_exact_fit_ends_on_the_last_full_page() -> None:
    found = links(link_header(BASE, {}, Page(limit=10, offset=30), total=40))
    assert "next" not in found
    assert window(found["last"]) == (10, 30)


def test_an_unaligned_offset_steps_back_no_further_than_zero() -> None:
    found = links(link_header(BASE, {}, Page(limit=10, offset=5), total=45))
    assert window(found["prev"]) == (10, 0)
    assert window(found["next"]) == (10, 15)


def test_an_empty_collection_links_first_and_last_only() -> None:
    found = links(link_header(BASE, {}, Page(limit=100, offset=0), total=0))
    assert {rel: window(url) for rel, url in found.items()} == {
        "first": (100, 0),
        "last": (100, 0),
    }


def test_every_other_parameter_is_kept_and_encoded() -> None:
    params = {
        "filter": "familyName='O''Brien' AND givenName~'a&b'",
        "fields": "sourcedId,givenName",
        "sort": "familyName",
        "limit": "ignored",
        "offset": "ignored",
    }
    found = links(link_header(BASE, params, Page(limit=10, offset=10), total=100))
    for url in found.values():
        assert url.startswith(BASE + "?")
        query = parse_qs(urlsplit(url).query)
        assert query["filter"] == [params["filter"]]
        assert query["fields"] == ["sourcedId,givenName"]
        assert query["sort"] == ["familyName"]
        assert len(query["limit"]) == len(query["offset"]) == 1
        assert " " not in url and "'" not in url


def test_the_header_uses_the_bracketed_form() -> None:
    header = link_header(BASE, {}, Page(limit=10, offset=10), total=30)
    parts = header.split(", ")
    assert len(parts) == 4
    assert all(re.fullmatch(r'<[^<>]+>; rel="(first|prev|next|last)"', part) for part in parts)

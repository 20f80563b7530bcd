"""Reading a stream: pages, the records in them, and where the stream's cursor ends.

Paging styles: `offset` (limit/offset, stopping at the total when the API gives one, else at an
empty page), `page_number`, `cursor` (a token from a header such as Ed-Fi's Next-Page-Token or
from the body), `next_link` (RFC 8288 `Link: <...>; rel="next"`, or a URL in the body) and
`none`. Offsets advance by the records received, so a server that caps the page size is still
read whole. The loop guard stops a stream that asks for a URL or token it already gave, that
serves the same page twice in a row, or that goes past `max_pages`.

Every record comes with its provenance: the stream and page URL (`file`) and its 1-based position
in the page (`line`), so a rejected record is reported as precisely as a CSV line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

from adapters.mapping.json_rows import search
from adapters.rest_api.connector import Connector, StreamSpec
from adapters.rest_api.http import HttpClient, Page, SourceError

FULL, INCREMENTAL = "full", "incremental"


@dataclass
class Located:
    record: Any
    file: str
    line: int


def join(base_url: str, path: str) -> str:
    if path.startswith(("http://", "https://")):
        return path
    return base_url.rstrip("/") + "/" + path.lstrip("/")


def plan_modes(connector: Connector, bookmarks: dict[str, str | None]) -> dict[str, str]:
    """Full or incremental, per stream. Streams that feed a family together are read the same
    way (a family is supplied either whole or as changes in one run), so a group is read
    incrementally only when each of its streams has a cursor and a bookmark; `deletes` streams
    follow their group."""
    groups: list[set[str]] = []
    for stream in connector.streams:
        joined = {stream.name}
        for group in [g for g in groups if any(set(connector.stream(s).families)
                                               & set(stream.families) for s in g)]:
            joined |= group
            groups.remove(group)
        groups.append(joined)
    modes: dict[str, str] = {}
    for group in groups:
        readers = [connector.stream(s) for s in group if not connector.stream(s).deletes]
        incremental = bool(readers) and all(
            s.incremental is not None and bookmarks.get(s.name) for s in readers)
        for name in group:
            modes[name] = INCREMENTAL if incremental else FULL
    return modes


class StreamReader:
    """Reads the streams of one connector run, each in its planned mode."""

    def __init__(self, connector: Connector, client: HttpClient, base_url: str,
                 modes: dict[str, str], bookmarks: dict[str, str | None]) -> None:
        self.connector = connector
        self.client = client
        self.base_url = base_url
        self.modes = modes
        self.bookmarks = bookmarks
        self.cursors: dict[str, str] = {}  # datetime streams: greatest value read
        self._newest: dict[str, int] = {}

    def mode(self, stream: StreamSpec) -> str:
        return self.modes.get(stream.name, FULL)

    # -- cursors ------------------------------------------------------------------------------
    def newest_version(self, stream: StreamSpec) -> int:
        """Ed-Fi's newest change version, asked once per run (before reading, so a change made
        while the run reads is read again next time rather than missed)."""
        inc = stream.incremental
        assert inc is not None and inc.versions_path and inc.newest
        if inc.versions_path not in self._newest:
            page = self.client.get_json(join(self.base_url, inc.versions_path))
            value = search(inc.newest, page.data)
            if not isinstance(value, int) or isinstance(value, bool):
                raise SourceError(f"{page.url}: {inc.newest} is not a change version "
                                  f"(got {value!r})")
            self._newest[inc.versions_path] = value
        return self._newest[inc.versions_path]

    def cursor_params(self, stream: StreamSpec) -> dict[str, str]:
        inc = stream.incremental
        if inc is None or self.mode(stream) != INCREMENTAL:
            return {}
        mark = self.bookmarks.get(stream.name) or ""
        if inc.type == "change_version":
            values = {"{after}": str(int(mark) + 1), "{newest}": str(self.newest_version(stream))}
        else:
            values = {"{cursor}": mark}
        params = {}
        for name, template in inc.params.items():
            for placeholder, value in values.items():
                template = template.replace(placeholder, value)
            params[name] = template
        return params

    def start(self, stream: StreamSpec) -> None:
        """Called before a stream is read: a change-version bookmark is the version read up to,
        fixed before the first page."""
        if stream.incremental is not None and stream.incremental.type == "change_version":
            self.newest_version(stream)

    def bookmark(self, stream: StreamSpec) -> str | None:
        """Where the stream ends, once read: the bookmark the next run starts after."""
        inc = stream.incremental
        if inc is None:
            return None
        if inc.type == "change_version":
            return str(self.newest_version(stream))
        return self.cursors.get(stream.name) or self.bookmarks.get(stream.name)

    def _track(self, stream: StreamSpec, record: Any) -> None:
        inc = stream.incremental
        if inc is None or inc.type != "datetime" or not isinstance(record, dict):
            return
        value = search(inc.field or "", record)
        if not isinstance(value, str) or not value:
            return
        best = self.cursors.get(stream.name)
        if best is None or _moment(value) > _moment(best):
            self.cursors[stream.name] = value

    # -- reading ------------------------------------------------------------------------------
    def records(self, stream: StreamSpec, extra: dict[str, str] | None = None,
                *, window: bool = True, track: bool = True) -> Iterator[Located]:
        """The stream's records with their provenance; `window=False` reads past the
        incremental window (a look-up by example)."""
        for page, records in self.pages(stream, extra, window=window):
            for index, record in enumerate(records, start=1):
                if track:
                    self._track(stream, record)
                yield Located(record, f"{stream.name}: {page.url}", index)

    def pages(self, stream: StreamSpec, extra: dict[str, str] | None = None, *,
              window: bool = True) -> Iterator[tuple[Page, list[Any]]]:
        cursor = self.cursor_params(stream) if window else {}
        params = {**stream.params, **cursor, **(extra or {})}
        paging = stream.paging
        url: str | None = join(self.base_url, stream.path)
        if paging.size is not None and paging.size_param:
            params[paging.size_param] = str(paging.size)
        if paging.type == "offset":
            params[paging.offset_param] = "0"
        elif paging.type == "page_number":
            params[paging.page_param] = str(paging.first_page)
        asked: set[str] = set()
        previous: str | None = None
        for number in range(1, self.connector.http.max_pages + 2):
            if number > self.connector.http.max_pages:
                raise SourceError(f"{stream.name}: more than max_pages = "
                                  f"{self.connector.http.max_pages} pages; stopped (a paging "
                                  "loop, or raise http.max_pages in the connector)")
            assert url is not None
            page = self.client.get_json(url, params if paging.type != "next_link" or
                                        number == 1 else None)
            if page.url in asked:
                raise SourceError(f"{stream.name}: paging loop: {page.url} was already read "
                                  "in this run; stopped")
            asked.add(page.url)
            records = search(stream.records, page.data)
            if records is None:
                records = []
            if not isinstance(records, list):
                raise SourceError(f"{page.url}: records ({stream.records}) is a "
                                  f"{type(records).__name__}, not a list of records")
            if records and page.digest == previous:
                raise SourceError(f"{stream.name}: paging loop: {page.url} served the same "
                                  "page as the one before; stopped")
            previous = page.digest
            self.client.tally.records += len(records)
            yield page, records
            url, params = self._next(stream, page, records, params, number)
            if url is None:
                return

    def _next(self, stream: StreamSpec, page: Page, records: list[Any],
              params: dict[str, str], number: int) -> tuple[str | None, dict[str, str]]:
        paging = stream.paging
        if paging.type == "none" or (not records and paging.type in ("offset", "page_number")):
            return None, params
        if paging.type == "offset":
            offset = int(params[paging.offset_param]) + len(records)
            total = self._total(paging, page)
            if total is not None and offset >= total:
                return None, params
            return page.url.split("?")[0], {**params, paging.offset_param: str(offset)}
        if paging.type == "page_number":
            total = self._total(paging, page)
            if total is not None and paging.size and number * paging.size >= total:
                return None, params
            following = int(params[paging.page_param]) + 1
            return page.url.split("?")[0], {**params, paging.page_param: str(following)}
        if paging.type == "cursor":
            token = page.headers.get(paging.token_header) if paging.token_header else \
                search(paging.token_path or "", page.data)
            if not token:
                return None, params
            if params.get(paging.token_param or "") == str(token):
                raise SourceError(f"{stream.name}: paging loop: {page.url} gave back the token "
                                  "it was asked with; stopped")
            return page.url.split("?")[0], {**params, paging.token_param or "": str(token)}
        link = search(paging.link_path, page.data) if paging.link_path else \
            page.links.get("next", {}).get("url")
        if not link:
            return None, params
        return urljoin(page.url, str(link)), {}

    @staticmethod
    def _total(paging: Any, page: Page) -> int | None:
        raw: Any = None
        if paging.total_header:
            raw = page.headers.get(paging.total_header)
        elif paging.total_path:
            raw = search(paging.total_path, page.data)
        try:
            return int(raw) if raw is not None else None
        except (TypeError, ValueError):
            return None


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return datetime.min
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)

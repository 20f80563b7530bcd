"""The `rest-api` adapter: a vendor REST API read through a declarative connector file.

A run asks the engine for each incremental stream's bookmark, decides per group of streams
whether to read whole (bulk: what is not seen is tombstoned, under the mass-delete safeguard) or
only the changes since the bookmark (delta: nothing is tombstoned but what the API itself says
was deleted: a record matching `deleted_when`, or one listed by a `deletes` stream), declares
the families, streams the records through the mapping, and proposes where each stream ended.
Any transport or format problem (HTTP error after retries, bad JSON, a page too large, a paging
loop) is fatal: the run applies nothing and the bookmarks stay where they were.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from adapters.base import Option, OptionError
from adapters.mapping.evaluate import RowContext, RowProblem, build_record, evaluate_value
from adapters.mapping.expressions import ExpressionError
from adapters.mapping.json_rows import JsonRow
from adapters.mapping.problems import MappingError
from adapters.records import (
    Bookmark,
    BookmarkRequest,
    Event,
    FamilyMode,
    Issue,
    Record,
    SourceStats,
)
from adapters.rest_api.auth import build_session, missing_credentials
from adapters.rest_api.connector import Connector, StreamSpec
from adapters.rest_api.http import HttpClient, SourceError, Tally
from adapters.rest_api.loader import load_connector, shipped_packs
from adapters.rest_api.streams import FULL, INCREMENTAL, Located, StreamReader, plan_modes

_CREDENTIALS = ("client_id", "client_secret", "api_key", "username", "password")


@dataclass
class ProbedStream:
    """One page of one stream, as `gateway sources check --probe` shows it."""

    stream: str
    url: str | None = None
    records: list[Record] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    error: str | None = None


class RestApiAdapter:
    name: ClassVar[str] = "rest-api"
    description: ClassVar[str] = (
        "A vendor REST API (OneRoster, Ed-Fi, Clever-style...) read through a connector file")
    options: ClassVar[tuple[Option, ...]] = (
        Option("connector", "connector YAML file, or pack:<name> for a shipped one "
               "(pack:oneroster-1.1, pack:oneroster-1.2, pack:edfi-v3, pack:clever-style)",
               required=True),
        Option("base_url", "the API's base URL (overrides the connector's)"),
        Option("client_id", "OAuth2 / OAuth 1.0a client id (consumer key)"),
        Option("client_secret", "OAuth2 / OAuth 1.0a client secret", secret=True),
        Option("api_key", "API key (auth type api_key)", secret=True),
        Option("username", "user name (auth type basic)"),
        Option("password", "password (auth type basic)", secret=True),
        Option("ca_bundle", "PEM file of the certificate authorities to trust (a private CA); "
               "TLS is always verified"),
        Option("page_size", "records per page for every paged stream (overrides the "
               "connector's)"),
        Option("vars", "constants the connector refers to, e.g. {district = '...'}"),
    )

    def __init__(self, **options: Any) -> None:
        known = {o.name for o in self.options}
        unknown = sorted(set(options) - known)
        if unknown:
            raise OptionError(f"{self.name}: unknown option(s) {', '.join(unknown)}")
        connector = options.get("connector")
        if not isinstance(connector, str | Path) or not str(connector):
            raise OptionError(f"{self.name}: option 'connector' must be a non-empty text")
        variables = options.get("vars") or {}
        if not isinstance(variables, Mapping):
            raise OptionError(f"{self.name}: option 'vars' must be a table of name = value")
        page_size = options.get("page_size")
        if page_size is not None and (not isinstance(page_size, int) or page_size < 1):
            raise OptionError(f"{self.name}: option 'page_size' must be a whole number >= 1")
        self.connector_name = str(connector)
        self.base_url: str | None = options.get("base_url")
        self.credentials = {k: options.get(k) for k in _CREDENTIALS}
        self.ca_bundle: str | None = options.get("ca_bundle")
        self.page_size: int | None = page_size
        self.variables: dict[str, Any] = dict(variables)

    # -- checks -------------------------------------------------------------------------------
    def _load(self) -> Connector:
        connector = load_connector(self.connector_name, self.variables)
        if self.page_size:
            connector = _with_page_size(connector, self.page_size)
        return connector

    def check(self) -> list[str]:
        try:
            connector = self._load()
        except MappingError as exc:
            return [str(p) for p in exc.problems]
        problems = []
        if not (self.base_url or connector.base_url):
            problems.append("no base URL: set the source's base_url option")
        for name in missing_credentials(connector.auth, self.credentials):
            problems.append(f"auth {connector.auth.type} needs the option {name!r}")
        if self.ca_bundle and not Path(self.ca_bundle).is_file():
            problems.append(f"ca_bundle {self.ca_bundle}: no such file")
        if connector.assemble:
            try:
                _assembler_class(connector.assemble)
            except (ImportError, AttributeError) as exc:
                problems.append(f"{connector.origin}: assemble {connector.assemble!r} cannot "
                                f"be loaded: {exc}")
        return problems

    def _client(self, connector: Connector) -> tuple[HttpClient, str]:
        base_url = (self.base_url or connector.base_url or "").rstrip("/")
        session, renew = build_session(connector.auth, connector.http, base_url,
                                       self.credentials, self.ca_bundle)
        return HttpClient(session, connector.http, Tally(), renew), base_url

    # -- the run ------------------------------------------------------------------------------
    def read(self) -> Iterator[Event]:
        try:
            connector = self._load()
        except MappingError as exc:
            for p in exc.problems:
                yield Issue("fatal", f"bad connector: {p.path + ': ' if p.path else ''}"
                            f"{p.message}", p.file, p.line)
            return
        problems = self.check()
        if problems:
            for problem in problems:
                yield Issue("fatal", problem, connector.origin)
            return
        client, base_url = self._client(connector)
        marks: dict[str, str | None] = {}
        for stream in connector.streams:
            if stream.incremental is not None:
                answer = yield BookmarkRequest(stream.name)
                marks[stream.name] = answer if isinstance(answer, str) else None
        modes = plan_modes(connector, marks)
        reader = StreamReader(connector, client, base_url, modes, marks)
        for family in connector.families:
            incremental = any(modes[s.name] == INCREMENTAL for s in connector.streams
                              if family in s.families)
            yield FamilyMode(family, "delta" if incremental else "bulk", connector.origin)
        try:
            if connector.assemble:
                events = _assembler_class(connector.assemble)(reader).read()
            else:
                events = self._mapped(connector, reader)
            yield from _with_stats(events, client.tally)
            for stream in connector.streams:
                mark = reader.bookmark(stream)
                if mark:
                    yield Bookmark(stream.name, mark, stream.families)
        except SourceError as exc:
            yield SourceStats(client.tally.counts())
            yield Issue("fatal", str(exc), connector.origin)
            return
        yield SourceStats(client.tally.counts())

    def _mapped(self, connector: Connector, reader: StreamReader) -> Iterator[Event]:
        ctx = RowContext(connector.variables, {}, {})
        for stream in connector.streams:
            mode = reader.mode(stream)
            if stream.deletes and mode == FULL:
                continue  # a full read tombstones what it does not see
            reader.start(stream)
            yield from map_stream(stream, reader.records(stream), mode, ctx)

    # -- probing ------------------------------------------------------------------------------
    def probe(self, limit: int = 3) -> list[ProbedStream]:
        """The first page of every stream, read whole (no bookmarks), and its first `limit`
        mapped records: what `gateway sources check --probe` shows."""
        connector = self._load()
        client, base_url = self._client(connector)
        reader = StreamReader(connector, client, base_url, {}, {})
        ctx = RowContext(connector.variables, {}, {})
        found = []
        for stream in connector.streams:
            probed = ProbedStream(stream.name)
            found.append(probed)
            if stream.deletes:
                probed.error = "a deletes stream: read only by incremental runs"
                continue
            try:
                page, records = next(reader.pages(stream), (None, []))
            except SourceError as exc:
                probed.error = str(exc)
                continue
            probed.url = page.url if page else None
            located = [Located(r, f"{stream.name}: {probed.url}", i)
                       for i, r in enumerate(records, start=1)]
            if connector.assemble:
                probed.error = (f"mapped in code ({connector.assemble}); {len(records)} "
                                "records on the first page")
                continue
            for event in map_stream(stream, iter(located), FULL, ctx):
                if isinstance(event, Record) and len(probed.records) < limit:
                    probed.records.append(event)
                elif isinstance(event, Issue):
                    probed.issues.append(event)
        return found


def map_stream(stream: StreamSpec, located: Iterator[Located], mode: str, ctx: RowContext
               ) -> Iterator[Event]:
    """The stream's records through its entities: canonical records (marked active when the
    run is incremental), tombstones for deletion signals, and the problems of each record."""
    seen: dict[int, set[str]] = {i: set() for i, e in enumerate(stream.entities) if e.distinct}
    single = stream.families[0] if len(stream.families) == 1 else None
    for item in located:
        if not isinstance(item.record, dict):
            yield Issue("error", f"a record is a {type(item.record).__name__}, not an object",
                        item.file, item.line, family=single)
            continue
        row = JsonRow(item.record)
        try:
            deleted = stream.deletes or bool(
                stream.deleted_when and stream.deleted_when.evaluate(row, ctx.variables))
        except ExpressionError as exc:
            yield Issue("error", f"deleted_when {stream.deleted_when.text!r} failed: {exc}",
                        item.file, item.line, "deleted_when", family=single)
            continue
        if deleted:
            if mode == INCREMENTAL:
                yield from _tombstones(stream, row, item, ctx)
            continue
        for index, entity in enumerate(stream.entities):
            rows: list[JsonRow] = [row]
            if entity.each:
                items = row.get(entity.each) or []
                if not isinstance(items, list):
                    yield Issue("error", f"each: {entity.each} is a {type(items).__name__}, "
                                "not a list", item.file, item.line, entity.each,
                                family=entity.family)
                    continue
                rows = [JsonRow(item.record, each, has_item=True) for each in items]
            for one in rows:
                result = build_record(entity, one, item.file, item.line, ctx)
                if isinstance(result, Record):
                    if index in seen:
                        if result.sourced_id in seen[index]:
                            continue
                        seen[index].add(result.sourced_id)
                    if mode == INCREMENTAL:
                        result.status = "active"
                    yield result
                elif result:
                    yield from result


def _tombstones(stream: StreamSpec, row: JsonRow, item: Located, ctx: RowContext
                ) -> Iterator[Event]:
    """A deletion signal: each entity that is one per record is tombstoned by its id."""
    for entity in stream.entities:
        if entity.each:
            continue
        try:
            sourced_id = evaluate_value(entity.id, row, ctx)
        except RowProblem as exc:
            yield Issue("error", exc.reason, item.file, item.line, "sourcedId", exc.value,
                        entity.family)
            continue
        if isinstance(sourced_id, str) and sourced_id:
            yield Record(entity.family, sourced_id, {}, item.file, item.line,
                         status="tobedeleted")
        else:
            yield Issue("error", "a deletion without a sourcedId", item.file, item.line,
                        "sourcedId", family=entity.family)


def _with_stats(events: Iterator[Event], tally: Tally) -> Iterator[Event]:
    """The events, with the source's running totals after every page read."""
    pages = tally.pages
    for event in events:
        yield event
        if tally.pages != pages:
            pages = tally.pages
            yield SourceStats(tally.counts())


def _assembler_class(target: str) -> Any:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def _with_page_size(connector: Connector, size: int) -> Connector:
    from dataclasses import replace

    streams = tuple(replace(s, paging=replace(s.paging, size=size))
                    if s.paging.size is not None else s for s in connector.streams)
    return replace(connector, streams=streams)


__all__ = ["RestApiAdapter", "shipped_packs"]

"""A connector file, compiled: what the rest-api adapter reads and how.

A connector is data (Airbyte's declarative manifests are the model, at a much smaller scale):
authentication, HTTP limits, and streams, each with its path, record selector, paging,
incremental cursor, deletion signals and the mapping of its records to canonical entities in the
mapped-csv language. `compile_connector` checks what the JSON Schema cannot (families, fields,
expressions, JMESPath paths, which settings each paging style needs) and names the YAML line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from adapters.canonical import FAMILIES
from adapters.mapping.compiler import EntityCompiler
from adapters.mapping.expressions import Expression
from adapters.mapping.json_rows import path_problem
from adapters.mapping.problems import MappingProblem
from adapters.mapping.specs import EntitySpec
from adapters.mapping.yaml_lines import LineMap, Path, render_path


@dataclass(frozen=True)
class AuthSpec:
    type: str = "none"
    token_url: str | None = None
    scope: str | None = None
    header: str | None = None
    prefix: str = ""


@dataclass(frozen=True)
class HttpSpec:
    timeout: float = 30.0
    max_response_seconds: float = 300.0
    retries: int = 5
    backoff: float = 0.5
    max_retry_after: float = 120.0
    requests_per_second: float | None = None
    max_response_bytes: int = 64 * 1024 * 1024
    max_pages: int = 100_000


@dataclass(frozen=True)
class Paging:
    type: str = "none"
    size: int | None = None
    size_param: str | None = None
    offset_param: str = "offset"
    page_param: str = "page"
    first_page: int = 1
    total_header: str | None = None
    total_path: str | None = None
    token_param: str | None = None
    token_header: str | None = None
    token_path: str | None = None
    link_path: str | None = None


@dataclass(frozen=True)
class Incremental:
    type: str  # datetime | change_version
    params: dict[str, str]
    field: str | None = None
    versions_path: str | None = None
    newest: str | None = None


@dataclass(frozen=True)
class StreamSpec:
    name: str
    path: str
    params: dict[str, str]
    records: str
    paging: Paging
    incremental: Incremental | None
    entities: tuple[EntitySpec, ...]
    families: tuple[str, ...]
    deleted_when: Expression | None = None
    deletes: bool = False


@dataclass(frozen=True)
class Connector:
    origin: str
    name: str
    base_url: str | None
    auth: AuthSpec
    http: HttpSpec
    streams: tuple[StreamSpec, ...]
    variables: dict[str, Any] = field(default_factory=dict)
    assemble: str | None = None

    def stream(self, name: str) -> StreamSpec:
        return next(s for s in self.streams if s.name == name)

    @property
    def families(self) -> list[str]:
        made = {f for s in self.streams for f in s.families}
        return [name for name in FAMILIES if name in made]


# What each paging style cannot do without.
_PAGING_NEEDS = {
    "offset": ("size", "size_param"),
    "page_number": ("page_param",),
    "cursor": ("token_param",),
}


class _Compiler:
    def __init__(self, data: dict[str, Any], lines: LineMap, origin: str,
                 variables: dict[str, Any]) -> None:
        self.data = data
        self.origin = origin
        self.entities = EntityCompiler(lines, origin, variables,
                                       value_maps=data.get("value_maps"),
                                       check_column=path_problem, pairs_need_id_type=False)
        self.variables = variables

    def fail(self, path: Path, message: str, *, key: bool = False) -> None:
        self.entities.fail(path, message, key=key)

    def path(self, text: str | None, where: Path) -> None:
        if text is not None:
            problem = path_problem(text)
            if problem:
                self.fail(where, problem)

    def compile(self) -> Connector:
        streams = []
        names: set[str] = set()
        for index, raw in enumerate(self.data["streams"]):
            where = ("streams", index)
            if raw["name"] in names:
                self.fail(where + ("name",), f"stream {raw['name']!r} is declared twice")
            names.add(raw["name"])
            streams.append(self.stream(raw, where))
        http = HttpSpec(**self.data.get("http", {}))
        auth = AuthSpec(**self.data.get("auth", {"type": "none"}))
        if auth.type == "oauth2_client_credentials" and not auth.token_url:
            self.fail(("auth",), "oauth2_client_credentials needs token_url")
        if auth.type == "api_key" and not auth.header:
            self.fail(("auth",), "api_key needs header (e.g. header: X-API-Key)")
        return Connector(self.origin, self.data.get("name", self.origin),
                         self.data.get("base_url"), auth, http, tuple(streams), self.variables,
                         self.data.get("assemble"))

    def stream(self, raw: dict[str, Any], where: Path) -> StreamSpec:
        records = raw.get("records", "@")
        self.path(records, where + ("records",))
        paging = Paging(**raw.get("paging", {"type": "none"}))
        for needed in _PAGING_NEEDS.get(paging.type, ()):
            if getattr(paging, needed) is None:
                self.fail(where + ("paging",), f"{paging.type} paging needs {needed}")
        if paging.type == "cursor" and not (paging.token_header or paging.token_path):
            self.fail(where + ("paging",), "cursor paging needs token_header or token_path")
        for name in ("total_path", "token_path", "link_path"):
            self.path(getattr(paging, name), where + ("paging", name))
        incremental = self.incremental(raw.get("incremental"), where + ("incremental",))
        deleted_when = None
        if "deleted_when" in raw:
            deleted_when = self.entities.expression(raw["deleted_when"], where + ("deleted_when",))
        entities = []
        for index, entity in enumerate(raw.get("entities", [])):
            compiled = self.entities.entity(entity, where + ("entities", index), raw["name"])
            if compiled:
                entities.append(compiled)
        families = tuple(dict.fromkeys(e.family for e in entities))
        if "families" in raw:
            for index, name in enumerate(raw["families"]):
                if name not in FAMILIES:
                    self.fail(where + ("families", index), f"unknown family {name!r}")
            families = tuple(dict.fromkeys([*families, *raw["families"]]))
        if not raw.get("entities") and not self.data.get("assemble"):
            self.fail(where, f"stream {raw['name']!r} maps no entities", key=False)
        if raw.get("deletes") and not incremental:
            self.fail(where + ("deletes",), "a deletes stream is read only incrementally: "
                      "give it an incremental cursor")
        params = {k: _text(v) for k, v in raw.get("params", {}).items()}
        return StreamSpec(raw["name"], raw["path"], params, records, paging, incremental,
                          tuple(entities), families, deleted_when, bool(raw.get("deletes")))

    def incremental(self, raw: dict[str, Any] | None, where: Path) -> Incremental | None:
        if raw is None:
            return None
        spec = Incremental(**raw)
        if spec.type == "datetime":
            if not spec.field:
                self.fail(where, "a datetime cursor needs field (e.g. field: dateLastModified)")
            self.path(spec.field, where + ("field",))
            placeholders = ("{cursor}",)
        else:
            if not spec.versions_path or not spec.newest:
                self.fail(where, "a change_version cursor needs versions_path and newest")
            self.path(spec.newest, where + ("newest",))
            placeholders = ("{after}", "{newest}")
        if not any(p in v for v in spec.params.values() for p in placeholders):
            self.fail(where + ("params",), f"incremental params use none of "
                      f"{', '.join(placeholders)}: every read would be a full one")
        return spec


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def compile_connector(data: dict[str, Any], lines: LineMap, origin: str,
                      variables: dict[str, Any]) -> tuple[Connector, list[MappingProblem]]:
    compiler = _Compiler(data, lines, origin, variables)
    connector = compiler.compile()
    return connector, compiler.entities.problems


__all__ = ["AuthSpec", "Connector", "HttpSpec", "Incremental", "Paging", "StreamSpec",
           "compile_connector", "render_path"]

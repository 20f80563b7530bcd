"""Find the OpenAPI operation behind a request and validate a response body against it.

The conformance suite and the gateway's own tests share this module so that "schema-valid"
means one thing everywhere: the body validates, under JSON Schema Draft 2020-12, against the
response schema the OpenAPI 3.1 document declares for that operation and status code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
JSON_MEDIA_TYPES = ("application/json", "application/problem+json")


class OpenApiError(Exception):
    """A document that cannot be used: unreadable, not JSON, or missing a referenced part."""


@dataclass(frozen=True)
class SchemaProblem:
    """One reason a body does not validate, located by a JSON pointer into the body."""

    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.pointer or '/'}: {self.message}"


@dataclass(frozen=True)
class Operation:
    """One method on one path template, with the JSON pointer of its definition."""

    method: str
    template: str
    pointer: str
    definition: dict[str, Any] = field(repr=False, compare=False)

    @property
    def operation_id(self) -> str | None:
        return self.definition.get("operationId")


@dataclass(frozen=True)
class _PathTemplate:
    template: str
    pattern: re.Pattern[str]
    literal_segments: int


def _escape_pointer_token(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _compile_template(template: str) -> _PathTemplate:
    """Turn `/schools/{id}/classes` into a regex; literal segments rank templates later."""
    segments = template.strip("/").split("/") if template.strip("/") else []
    parts = []
    literal = 0
    for segment in segments:
        if re.fullmatch(r"\{[^/{}]+\}", segment):
            parts.append("[^/]+")
        else:
            literal += 1
            parts.append(re.escape(segment))
    pattern = re.compile("^/" + "/".join(parts) + "/?$") if parts else re.compile("^/?$")
    return _PathTemplate(template, pattern, literal)


class OpenApiDocument:
    """An OpenAPI 3.1 document, ready to match request paths and validate responses.

    Paths in the document are relative to the base path of `servers[0].url`; requests may
    carry that base path behind any deployment prefix, or none at all.
    """

    def __init__(self, document: dict[str, Any], source: str = "<memory>") -> None:
        if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
            raise OpenApiError(f"{source}: not an OpenAPI document (no 'paths' object)")
        self.document = document
        self.source = source
        self.uri = f"urn:conformance:openapi:{source}"
        self.base_path = self._server_base_path(document)
        self._templates = sorted(
            (_compile_template(t) for t in document["paths"]),
            key=lambda t: (-t.literal_segments, t.template),
        )
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self._registry: Registry = Registry().with_resource(self.uri, resource)

    @classmethod
    def load(cls, path: str | Path) -> OpenApiDocument:
        path = Path(path)
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise OpenApiError(f"{path}: cannot read ({exc.strerror})") from exc
        except json.JSONDecodeError as exc:
            raise OpenApiError(f"{path}: line {exc.lineno}: not JSON ({exc.msg})") from exc
        return cls(document, source=str(path))

    @staticmethod
    def _server_base_path(document: dict[str, Any]) -> str:
        servers = document.get("servers") or [{}]
        url = servers[0].get("url", "") if isinstance(servers[0], dict) else ""
        for name, variable in (servers[0].get("variables") or {}).items():
            url = url.replace("{" + name + "}", str(variable.get("default", "")))
        return urlsplit(url).path.rstrip("/")

    def relative_path(self, path: str) -> str:
        """Strip a URL, query, deployment prefix and the server base path from `path`.

        The path stays percent-encoded, so an id holding an encoded `/` stays one segment.
        """
        path = urlsplit(path).path or "/"
        if self.base_path and self.base_path in path:
            path = path[path.index(self.base_path) + len(self.base_path) :] or "/"
        return path

    def find_operation(self, method: str, path: str) -> Operation | None:
        method = method.lower()
        relative = self.relative_path(path)
        for template in self._templates:
            if not template.pattern.match(relative):
                continue
            definition = self.document["paths"][template.template].get(method)
            if isinstance(definition, dict):
                pointer = f"/paths/{_escape_pointer_token(template.template)}/{method}"
                return Operation(method, template.template, pointer, definition)
        return None

    def operations(self) -> Iterator[Operation]:
        for template, item in self.document["paths"].items():
            for method in HTTP_METHODS:
                if isinstance(item.get(method), dict):
                    pointer = f"/paths/{_escape_pointer_token(template)}/{method}"
                    yield Operation(method, template, pointer, item[method])

    def response_schema_pointer(
        self, operation: Operation, status: int, *, partial: bool = False
    ) -> str | None:
        """JSON pointer of the schema declared for `status` (exact, then `4XX`, then default).

        With `partial`, the media type's `x-partial-schema` twin is used where one is named:
        a projected response (`fields=`, or a narrowing agreement) may lawfully leave out
        fields the strict schema requires, but must still add none.
        """
        responses = operation.definition.get("responses") or {}
        for key in (str(status), f"{str(status)[0]}XX", "default"):
            if key not in responses:
                continue
            pointer = f"{operation.pointer}/responses/{key}"
            response = responses[key]
            while isinstance(response, dict) and "$ref" in response:
                pointer = self._local_pointer(response["$ref"])
                response = self._resolve_pointer(pointer)
            content = response.get("content") or {}
            for media in (*JSON_MEDIA_TYPES, *content):
                if media not in content or "schema" not in content[media]:
                    continue
                partial_ref = content[media].get("x-partial-schema")
                if partial and isinstance(partial_ref, str):
                    return self._local_pointer(partial_ref)
                return f"{pointer}/content/{_escape_pointer_token(media)}/schema"
            return None
        return None

    def validate_response(
        self, method: str, path: str, status: int, body: Any, *, partial: bool = False
    ) -> list[SchemaProblem]:
        """Problems found validating `body`; raises OpenApiError when nothing describes it."""
        operation = self.find_operation(method, path)
        if operation is None:
            raise OpenApiError(
                f"{self.source}: no operation for {method.upper()} {self.relative_path(path)}"
            )
        pointer = self.response_schema_pointer(operation, status, partial=partial)
        if pointer is None:
            raise OpenApiError(
                f"{self.source}: {method.upper()} {operation.template} declares no JSON "
                f"schema for status {status}"
            )
        return self.validate_at(pointer, body)

    def validate_against_component(self, name: str, body: Any) -> list[SchemaProblem]:
        """Validate against `#/components/schemas/{name}` (e.g. a partial, projected variant)."""
        schemas = (self.document.get("components") or {}).get("schemas") or {}
        if name not in schemas:
            raise OpenApiError(f"{self.source}: no schema components/schemas/{name}")
        return self.validate_at(f"/components/schemas/{_escape_pointer_token(name)}", body)

    def component_names(self) -> list[str]:
        return sorted((self.document.get("components") or {}).get("schemas") or {})

    def validate_at(self, pointer: str, body: Any) -> list[SchemaProblem]:
        validator = Draft202012Validator(
            {"$ref": f"{self.uri}#{pointer}"},
            registry=self._registry,
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        problems = [
            SchemaProblem(
                "".join(f"/{_escape_pointer_token(str(p))}" for p in error.absolute_path),
                error.message,
            )
            for error in validator.iter_errors(body)
        ]
        return sorted(problems, key=lambda p: p.pointer)

    def _local_pointer(self, ref: str) -> str:
        if not ref.startswith("#"):
            raise OpenApiError(f"{self.source}: only internal $refs are supported, got {ref!r}")
        return ref[1:]

    def _resolve_pointer(self, pointer: str) -> Any:
        node: Any = self.document
        for token in pointer.strip("/").split("/") if pointer.strip("/") else []:
            token = token.replace("~1", "/").replace("~0", "~")
            try:
                node = node[int(token)] if isinstance(node, list) else node[token]
            except (KeyError, IndexError, ValueError) as exc:
                raise OpenApiError(f"{self.source}: dangling reference #{pointer}") from exc
        return node


class SpecLibrary:
    """The documents under a `specs/` directory, loaded once each on first use."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._cache: dict[str, OpenApiDocument] = {}

    def document(self, relative: str) -> OpenApiDocument:
        if relative not in self._cache:
            self._cache[relative] = OpenApiDocument.load(self.root / relative)
        return self._cache[relative]

    def exists(self, relative: str) -> bool:
        return (self.root / relative).is_file()

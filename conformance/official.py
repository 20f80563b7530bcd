"""Official OpenAPI documents a user points the suite at (`--schema-dir`), for validating
responses against the standards' own definitions beside the suite's `specs/`.

The folder holds the documents as published: the Ed-Fi API specifications (YAML or JSON; the
resources and descriptors documents describe `/ed-fi/...`) and, for OneRoster 1.2, the
Rostering OpenAPI (JSON) from 1EdTech. They are not shipped with the suite. A document is used
for a response when it describes that method and path: behind the server's own prefix (the
`servers` base path, or none at all, as in the Ed-Fi files).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .openapi import OpenApiDocument, OpenApiError, Operation, SchemaProblem

SUFFIXES = (".json", ".yaml", ".yml")


def _read(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader


@dataclass
class OfficialDocuments:
    folder: Path
    documents: list[OpenApiDocument] = field(default_factory=list)

    @classmethod
    def load(cls, folder: Path) -> OfficialDocuments:
        """Every OpenAPI document in `folder` (not recursive); other files are ignored."""
        if not folder.is_dir():
            raise OpenApiError(f"{folder}: --schema-dir is not a folder")
        found = cls(folder)
        for path in sorted(folder.iterdir()):
            if path.suffix not in SUFFIXES or not path.is_file():
                continue
            try:
                document = _read(path)
            except (OSError, ValueError, yaml.YAMLError) as exc:
                raise OpenApiError(f"{path}: cannot read it as JSON or YAML ({exc})") from exc
            if isinstance(document, dict) and isinstance(document.get("paths"), dict) \
                    and "openapi" in document:
                found.documents.append(OpenApiDocument(document, source=str(path)))
        return found

    def names(self) -> list[str]:
        return [Path(d.source).name for d in self.documents]

    def operation(self, method: str, path: str) -> tuple[OpenApiDocument, str, Operation] | None:
        """The first document describing `method path`, with the path as it matched."""
        for document in self.documents:
            if document.base_path:  # behind its own base path only
                found = [document.relative_path(path)] if document.base_path in path else []
            else:  # the Ed-Fi files name none: behind any prefix
                found = _tails(document.relative_path(path))
            for candidate in found:
                operation = document.find_operation(method, candidate)
                if operation is not None:
                    return document, candidate, operation
        return None

    def collections(self, prefix: str, base: str = "") -> list[tuple[OpenApiDocument, str]]:
        """Every GET path without parameters under `prefix` (e.g. `/ed-fi/`), per document
        whose server base path holds `base` (e.g. `/ims/oneroster/rostering/`)."""
        return [(d, template) for d in self.documents if base in d.base_path
                for template, item in d.document["paths"].items()
                if template.startswith(prefix) and "{" not in template and "get" in item]

    def validate(self, method: str, path: str, status: int,
                 body: Any) -> tuple[str, list[SchemaProblem]] | None:
        """Problems of a response against the official document describing it; None when no
        document in the folder describes that operation."""
        found = self.operation(method, path)
        if found is None:
            return None
        document, candidate, _operation = found
        try:
            return Path(document.source).name, document.validate_response(
                method, candidate, status, body)
        except OpenApiError:
            return None  # the document declares no JSON body for that status


def _tails(path: str) -> list[str]:
    """`/data/v3/ed-fi/schools` and its shorter tails, down to `/ed-fi/schools` and below: a
    document without a server base path matches behind any deployment prefix."""
    segments = path.strip("/").split("/")
    return ["/" + "/".join(segments[n:]) for n in range(len(segments))]

"""Everything a run needs to know about the server under test, from the command line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_SPECS_DIR = Path(__file__).resolve().parent.parent / "specs"


@dataclass(frozen=True)
class RunConfig:
    suite: str
    base_url: str
    token_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    version: str | None = None
    auth_method: str = "basic"
    scope: str | None = None
    write: bool = False
    timeout: float = 10.0
    max_pages: int = 50
    page_limit: int = 100
    specs_dir: Path = DEFAULT_SPECS_DIR
    schema_dir: Path | None = None  # official OpenAPI documents (--schema-dir)
    other_client_id: str | None = None
    other_client_secret: str | None = None
    opted_out_student: str | None = None
    forbidden_school: str | None = None
    introspection_url: str | None = None
    revocation_url: str | None = None
    resource_url: str | None = None

    def available(self, requirement: str) -> bool:
        """Whether the optional input a case `requires` was given."""
        return {
            "write": self.write,
            "opted_out_student": bool(self.opted_out_student),
            "forbidden_school": bool(self.forbidden_school),
            "other_client": bool(self.other_client_id and self.other_client_secret),
            "introspection_url": bool(self.introspection_url),
            "revocation_url": bool(self.revocation_url),
            "schema_dir": self.schema_dir is not None,
            "edfi": True,
        }.get(requirement, False)


REQUIREMENT_HINTS = {
    "write": "--write",
    "opted_out_student": "--opted-out-student",
    "forbidden_school": "--forbidden-school",
    "other_client": "--other-client-id and --other-client-secret",
    "introspection_url": "--introspection-url",
    "revocation_url": "--revocation-url",
    "schema_dir": "--schema-dir (a folder holding the official OpenAPI documents)",
}

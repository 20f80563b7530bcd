"""A real upstream for the rest-api adapter: the gateway itself, holding a demo district and
served on a loopback port (`gateway serve`), with apps registered to pull from it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from adapters.edfi_xml import EdfiXmlAdapter
from adapters.oneroster_csv import OneRosterCsvAdapter
from gateway.auth.oauth1_vault import OAuth1Vault
from gateway.auth.registry import Credentials, register_app
from gateway.config import SourceConfig
from gateway.demo import write_demo
from gateway.policy.agreement import parse_agreement
from gateway.store import make_engine
from gateway.sync.report import RunReport
from gateway.sync.runner import run_sync
from tests.served import served_gateway

SCOPES = ["roster-core.readonly", "roster.readonly", "roster-demographics.readonly",
          "edfi.readonly"]
SENSITIVE = ["demographics", "birth_date", "contact", "identifiers"]


@dataclass
class Upstream:
    url: str
    database_url: str
    files: Path
    fmt: str
    oauth2: Credentials
    oauth1: Credentials

    def restore(self) -> None:
        """Put the district's export back as it was written, and import it: the upstream
        serves the district as exported again (a change a test made is undone upstream)."""
        shutil.copytree(self.files.with_name("exported"), self.files, dirs_exist_ok=True)
        report = self.resync()
        assert report.state in ("applied", "unchanged"), (report.message, report.issues[:5])

    def resync(self) -> RunReport:
        """Import the (edited) demo files again into the upstream store."""
        engine = make_engine(self.database_url)
        try:
            adapter = OneRosterCsvAdapter(path=str(self.files)) if self.fmt == "oneroster-csv" \
                else EdfiXmlAdapter(path=str(self.files))
            return run_sync(engine, SourceConfig(name="sis", adapter=self.fmt,
                                                 max_delete_share=1.0), adapter.read(),
                            adapter_name=self.fmt)
        finally:
            engine.dispose()


@contextmanager
def served_upstream(workdir: Path, template: Path, *, students: int = 40, seed: int = 5,
                    fmt: str = "oneroster-csv", version: str = "1.2") -> Iterator[Upstream]:
    """A demo district in a SQLite store of its own, served; yields its URL and two apps (one
    for OAuth2 bearer tokens, one that signs OneRoster 1.1 requests with OAuth 1.0a)."""
    workdir.mkdir(parents=True, exist_ok=True)
    files = workdir / "files"
    write_demo(files, students=students, seed=seed, format=fmt,
               oneroster_version=version if fmt == "oneroster-csv" else "1.2")
    shutil.copytree(files, workdir / "exported")
    shutil.copy(template, workdir / "upstream.db")
    url = f"sqlite:///{workdir / 'upstream.db'}"
    upstream = Upstream("", url, files, fmt, None, None)  # type: ignore[arg-type]
    report = upstream.resync()
    assert report.state == "applied", (report.message, report.issues[:5])
    engine = make_engine(url)
    agreement = {"purpose": "instruction", "expires": "2099-12-31", "scopes": SCOPES,
                 "sensitive": SENSITIVE}
    upstream.oauth2 = register_app(engine, "puller", parse_agreement(
        {**agreement, "name": "puller"}))
    upstream.oauth1 = register_app(engine, "signer", parse_agreement(
        {**agreement, "name": "signer"}), oauth1=OAuth1Vault(workdir / "var" / "oauth1.key"))
    engine.dispose()
    with served_gateway(url, workdir) as served:
        upstream.url = served
        yield upstream

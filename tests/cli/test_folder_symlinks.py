"""`gateway sync` of a folder source whose users.csv is a link to a file outside the folder:
refused with a message naming users.csv and nothing imported, until the source's options table
says `follow_symlinks = true`."""

from __future__ import annotations

import shutil

from sqlalchemy import func, select

from adapters.oneroster_csv.fixtures import build_package
from gateway.model import ROSTER_TABLES
from gateway.store import make_engine
from tests.cli.conftest import Workspace, family_table, run_header


def _users(workspace: Workspace) -> int:
    engine = make_engine(workspace.database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(ROSTER_TABLES["users"])).scalar()
    finally:
        engine.dispose()


def test_sync_refuses_a_linked_users_csv_unless_the_source_follows_links(
    workspace: Workspace,
) -> None:
    package = build_package(workspace.folder / "pkg", "v1p2_bulk")
    outside = workspace.folder / "outside"
    outside.mkdir()
    shutil.move(package / "users.csv", outside / "users.csv")
    (package / "users.csv").symlink_to(outside / "users.csv")
    workspace.add_source("sis", "oneroster-csv", path=str(package))
    workspace.add_source("linked", "oneroster-csv", path=str(package), follow_symlinks=True)

    refused = workspace.gateway("sync", "sis", expect=1)
    assert (f"source 'sis': users.csv: is a symbolic link (to {outside / 'users.csv'})"
            in refused.output)
    assert "follow_symlinks = true" in refused.output
    assert _users(workspace) == 0

    followed = workspace.gateway("sync", "linked")
    assert run_header(followed.stdout)[2] == "applied"
    assert family_table(followed.stdout)["users"]["inserted"] == 4

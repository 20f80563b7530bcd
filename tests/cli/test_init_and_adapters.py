"""`gateway init` and `gateway adapters`: what district IT runs first."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect

from gateway.cli import main
from gateway.config import STARTER
from gateway.store import make_engine


def test_init_writes_the_starter_file_and_creates_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GATEWAY_CONFIG", raising=False)
    result = CliRunner().invoke(main, ["init"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "gateway.toml").read_text(encoding="utf-8") == STARTER
    store = tmp_path / "var" / "gateway.db"
    assert f"store ready: sqlite:///{Path('var') / 'gateway.db'}" in result.output
    engine = make_engine(f"sqlite:///{store}")
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"users", "enrollments", "sync_runs", "alembic_version"} <= tables


def test_init_leaves_an_existing_file_alone_unless_forced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GATEWAY_CONFIG", raising=False)
    mine = STARTER.replace('var_dir = "var"', 'var_dir = "data"')
    (tmp_path / "gateway.toml").write_text(mine, encoding="utf-8")
    kept = CliRunner().invoke(main, ["init"])
    assert "exists; left as it is" in kept.output
    assert (tmp_path / "gateway.toml").read_text(encoding="utf-8") == mine
    assert (tmp_path / "data" / "gateway.db").is_file()
    forced = CliRunner().invoke(main, ["init", "--force"])
    assert forced.exit_code == 0
    assert (tmp_path / "gateway.toml").read_text(encoding="utf-8") == STARTER


def test_init_creates_the_file_gateway_config_names(tmp_path: Path) -> None:
    config = tmp_path / "site" / "gateway.toml"
    config.parent.mkdir()
    result = CliRunner().invoke(main, ["init"], env={"GATEWAY_CONFIG": str(config)})
    assert result.exit_code == 0, result.output
    assert config.read_text(encoding="utf-8") == STARTER


def test_adapters_lists_both_adapters_with_their_options() -> None:
    result = CliRunner().invoke(main, ["adapters"])
    assert result.exit_code == 0
    sections: dict[str, list[str]] = {}
    for line in result.output.splitlines():
        if not line.startswith(" "):
            name, _, description = line.partition("  ")
            sections[name] = [description]
        else:
            sections[name].append(line.strip())
    assert set(sections) >= {"oneroster-csv", "mapped-csv"}
    options = {name: {entry.split()[0].rstrip(":") for entry in lines[1:]}
               for name, lines in sections.items()}
    assert options["oneroster-csv"] == {"path", "strict", "max_members", "max_total_bytes",
                                        "max_ratio", "max_cell_bytes", "follow_symlinks"}
    assert options["mapped-csv"] == {"path", "mapping", "vars", "follow_symlinks"}
    assert "path [required]:" in result.output
    assert "max_cell_bytes (default 1048576):" in result.output

"""A throw-away gateway installation: a working folder with its own gateway.toml and store,
and the `gateway` command run against it in this process (click's runner)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from gateway.cli import main

SOURCES_TOML = """\
[gateway]
var_dir = "var"
database_url = "{database_url}"
"""


@dataclass
class Workspace:
    folder: Path
    config: Path
    database_url: str

    def gateway(self, *args: str, expect: int | None = 0) -> Result:
        """Run `gateway ARGS`; a traceback is never an acceptable outcome."""
        result = CliRunner().invoke(main, list(args), env={"GATEWAY_CONFIG": str(self.config)})
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        if expect is not None:
            assert result.exit_code == expect, result.output
        return result

    def add_source(self, name: str, adapter: str, **options: str | bool) -> None:
        rendered = ", ".join(f"{k} = {_toml(v)}" for k, v in options.items())
        with self.config.open("a", encoding="utf-8") as handle:
            handle.write(f'\n[sources.{name}]\nadapter = "{adapter}"\n'
                         f"options = {{ {rendered} }}\n")


def _toml(value: str | bool) -> str:
    return str(value).lower() if isinstance(value, bool) else f'"{value}"'


@pytest.fixture
def workspace(tmp_path: Path, database_url: str) -> Workspace:
    config = tmp_path / "gateway.toml"
    config.write_text(SOURCES_TOML.format(database_url=database_url), encoding="utf-8")
    return Workspace(tmp_path, config, database_url)


def family_table(output: str) -> dict[str, dict[str, int]]:
    """The per-family table `gateway sync` prints, as numbers by family and column."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:2] == ["family", "mode"])
    columns = lines[start].split()[2:]
    table: dict[str, dict[str, int]] = {}
    for line in lines[start + 1:]:
        cells = line.split()
        if len(cells) != len(columns) + 2 or not all(c.isdigit() for c in cells[2:]):
            break
        table[cells[0]] = dict(zip(columns, map(int, cells[2:]), strict=True))
    return table


RUN_LINE = re.compile(r"^run (\d+) \((\w+)\): ([\w-]+)$")


def run_header(output: str) -> tuple[int, str, str]:
    """(run id, source, state) from the first line `gateway sync` prints."""
    match = RUN_LINE.match(output.splitlines()[0])
    assert match, output
    return int(match[1]), match[2], match[3]


"""A NUL in a OneRoster CSV cell is a row error naming file, row and field; the row is not
applied (a NUL in a PostgreSQL JSON column breaks every later JSON filter for every app)."""

from __future__ import annotations

from adapters.oneroster_csv.fixtures import fixture_path
from tests.badinput.conftest import District, problems, sync_oneroster

USERS = (fixture_path("v1p2_bulk") / "users.csv").read_text()


def test_a_nul_in_a_csv_cell_is_a_row_error_naming_file_row_and_field(district: District) -> None:
    changed = USERS.replace(",Jordan,Chen,", ",Jor\x00dan,Chen,")
    assert changed != USERS
    report = sync_oneroster(district.engine, district.package({"users.csv": changed}))
    [error] = [p for p in problems(report) if p.field == "givenName"]
    assert (error.file, error.line, error.level) == ("users.csv", 3, "error")
    assert "control character" in error.reason
    assert district.unchanged()  # the one changed row was refused, not applied

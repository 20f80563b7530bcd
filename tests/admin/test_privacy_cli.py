"""The privacy programme from the command line, over the same functions as the console:
agreement termination and deletion certificates, bulk opt-outs, parents' letter codes, and the
parent and breach reports as files."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from gateway.cli import main

USERS = "/ims/oneroster/rostering/v1p2/users?limit=1000"


@pytest.fixture
def gateway(district, tmp_path):  # noqa: ANN201
    config = tmp_path / "gateway.toml"
    config.write_text(f'[gateway]\nvar_dir = "{tmp_path}"\n'
                      f'database_url = "{district.database_url}"\n')

    def run(*args: str, expect: int = 0) -> str:
        result = CliRunner().invoke(main, list(args), env={"GATEWAY_CONFIG": str(config)})
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        assert result.exit_code == expect, result.output
        return result.output
    return run


def test_an_agreement_is_terminated_and_its_deletion_certified(district, gateway):
    math = district.register("Math Quest")
    assert "terminated" in gateway("apps", "terminate", math[0], "--reason", "contract ended")
    assert district.token(*math).status_code in (400, 401)
    listed = gateway("apps", "certifications")
    assert math[0] in listed and "due " in listed and "OVERDUE" not in listed
    gateway("apps", "certify", math[0], "--date", "2026-12-01", "--signer", "V. Endor",
            "--method", "crypto-erase")
    assert "certified 2026-12-01 by V. Endor (crypto-erase)" in gateway("apps", "certifications")
    again = gateway("apps", "terminate", math[0], expect=1)
    assert "already ended" in again


def test_opt_outs_are_imported_from_a_file_all_or_nothing(district, gateway, tmp_path):
    math = district.register("Math Quest")
    bad = tmp_path / "bad.csv"
    bad.write_text(f"student_id,app\nstu-a1,{math[0]}\nghost,\n")
    out = gateway("optouts", "import", str(bad), "--apply", expect=1)
    assert "nothing was imported" in out and "no student 'ghost'" in out
    good = tmp_path / "good.csv"
    good.write_text(f"student_id,app\nstu-a1,{math[0]}\nstu-a2,\n")
    assert "opt out" in gateway("optouts", "import", str(good))  # a preview only
    users = {u["sourcedId"] for u in district.read(math, USERS).get_json()["users"]}
    assert "stu-a1" in users
    assert "2 opt-out(s) added" in gateway("optouts", "import", str(good), "--apply")
    users = {u["sourcedId"] for u in district.read(math, USERS).get_json()["users"]}
    assert not {"stu-a1", "stu-a2"} & users


def test_a_letter_code_lets_a_parent_opt_out_on_the_public_page(district, gateway):
    math = district.register("Math Quest")
    code = gateway("optouts", "code", "stu-b4").strip()
    assert len(code) == 19 and gateway("optouts", "code", "nobody", expect=1)
    parent = district.browser(None)
    parent.get("/privacy/opt-out")
    assert parent.post("/privacy/opt-out", {"code": code}).status_code == 200
    users = {u["sourcedId"] for u in district.read(math, USERS).get_json()["users"]}
    assert "stu-b4" not in users and "stu-b3" in users


def test_the_parent_and_breach_reports_are_written_as_files(district, gateway, tmp_path):
    math = district.register("Math Quest", purpose="research")
    assert district.read(math, USERS).status_code == 200
    district.app.extensions["gateway.disclosures"].flush()
    pdf = tmp_path / "ana.pdf"
    assert "1 app(s)" in gateway("report", "parent", "stu-a1", "--out", str(pdf))
    text = "\n".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert "Ana Pupila" in text and "Math Quest" in text and "research" in text
    today = datetime.now(UTC).date().isoformat()
    out = tmp_path / "breach.csv"
    gateway("report", "breach", math[0], "--since", today, "--until", today, "--out", str(out))
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert {r["student_id"] for r in rows} >= {"stu-a1", "stu-b5"}
    assert all("users.givenName" in r["fields"] for r in rows)

"""The command line: one command per suite, reports in three formats, and an exit status
that is non-zero exactly when a MUST case fails."""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree as ET

from click.testing import CliRunner
from pytest_httpserver import HTTPServer

from conformance.cli import main

from .conftest import REAL_SPECS
from .fake_oneroster import FakeOneRoster


def serve(httpserver: HTTPServer, defects: set[str] | None = None) -> list[str]:
    fake = FakeOneRoster(defects)
    httpserver.expect_request(re.compile(".*")).respond_with_handler(fake.handle)
    return ["--base-url", httpserver.url_for("/").rstrip("/"),
            "--token-url", httpserver.url_for("/oauth/token"),
            "--client-id", "app", "--client-secret", "app-secret",
            "--specs", str(REAL_SPECS)]


def test_a_passing_run_exits_zero_and_writes_all_reports(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    args = serve(httpserver) + ["--only", "oneroster.errors.*,oneroster.paging.*",
                                "--junit", str(tmp_path / "r.xml"),
                                "--html", str(tmp_path / "r.html"),
                                "--markdown", str(tmp_path / "r.md")]
    result = CliRunner().invoke(main, ["oneroster", *args])
    assert result.exit_code == 0, result.output
    assert "CONFORMANT to every case run" in result.output
    suite = ET.parse(tmp_path / "r.xml").getroot().find("testsuite")
    assert suite is not None and int(suite.get("tests", "0")) >= 8
    assert suite.get("failures") == "0"
    assert "oneroster.errors.unknown-id" in (tmp_path / "r.html").read_text()
    assert "| passed | MUST | `oneroster.errors.unknown-id`" in (tmp_path / "r.md").read_text()


def test_a_failed_must_case_exits_one_and_is_a_junit_failure(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    args = serve(httpserver, {"bad-filter-200"}) + ["--only", "oneroster.errors.bad-filter-field",
                                                    "--junit", str(tmp_path / "r.xml")]
    result = CliRunner().invoke(main, ["oneroster", *args])
    assert result.exit_code == 1
    assert "NOT CONFORMANT" in result.output
    failure = ET.parse(tmp_path / "r.xml").getroot().find("testsuite/testcase/failure")
    assert failure is not None and "status 200, expected 400" in failure.get("message", "")


def test_a_failed_should_case_alone_exits_zero(httpserver: HTTPServer) -> None:
    args = serve(httpserver) + ["--only", "oneroster.writes.replace-answers-200", "--write"]
    fake_answers_200_on_replace = CliRunner().invoke(main, ["oneroster", *args])
    assert fake_answers_200_on_replace.exit_code == 0


def test_an_only_pattern_matching_nothing_is_a_usage_error(httpserver: HTTPServer) -> None:
    result = CliRunner().invoke(main, ["oneroster", *serve(httpserver), "--only", "nope.*"])
    assert result.exit_code != 0 and "no oneroster case matches" in result.output


def test_edfi_cases_are_all_skipped_when_there_is_no_discovery_document(
    httpserver: HTTPServer,
) -> None:
    result = CliRunner().invoke(main, ["edfi", *serve(httpserver)])
    assert result.exit_code == 0, result.output
    assert "PASS" not in result.output and "FAIL" not in result.output
    assert "SKIP MUST   edfi.discovery.document" in result.output
    assert "no Ed-Fi discovery document (GET / answered 404)" in result.output


def test_oauth_suite_checks_the_token_endpoint(httpserver: HTTPServer) -> None:
    args = serve(httpserver) + ["--scope", "https://purl.imsglobal.org/spec/or/v1p2/scope/"
                                "roster.readonly https://purl.imsglobal.org/spec/or/v1p2/"
                                "scope/gradebook.readonly"]
    result = CliRunner().invoke(main, ["oauth", *args])
    assert result.exit_code == 0, result.output
    for case_id in ("oauth.token.client-secret-basic", "oauth.token.client-secret-post",
                    "oauth.token.bad-secret", "oauth.token.unsupported-grant",
                    "oauth.token.scope-narrowing"):
        assert f"PASS MUST   {case_id}" in result.output or f"PASS SHOULD {case_id}" in \
            result.output, result.output

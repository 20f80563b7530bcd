"""The suite is tested too: a correct server passes it, and each broken server is caught by
the case that names its defect."""

from __future__ import annotations

import pytest

from conformance.outcome import FAILED, PASSED

from .conftest import RunSuite


def failures(results: dict) -> dict[str, str]:
    return {cid: r.message for cid, r in results.items() if r.status == FAILED}


def test_a_correct_server_passes_every_case_it_can_judge(run_oneroster: RunSuite) -> None:
    results = run_oneroster()
    assert failures(results) == {}
    passed = {cid for cid, r in results.items() if r.status == PASSED}
    for family in ("paging", "filter", "sort", "fields", "errors", "auth", "writes",
                   "privacy"):
        assert any(f".{family}." in cid for cid in passed), f"no {family} case passed"


@pytest.mark.parametrize(
    ("defect", "caught_by"),
    [
        ("no-total-count", "oneroster.paging.total-count-matches-walk"),
        ("two-keys", "oneroster.rostering.users.envelope"),
        ("bad-filter-200", "oneroster.errors.bad-filter-field"),
        ("leaking-field", "oneroster.fields.projection"),
        ("wrong-sort", "oneroster.sort.ascending-descending"),
        ("or-escapes-scope", "oneroster.privacy.forbidden-school-or-filter"),
        ("or-escapes-scope", "oneroster.privacy.opted-out-student-in-collections"),
    ],
)
def test_each_broken_server_fails_the_case_for_its_defect(
    run_oneroster: RunSuite, defect: str, caught_by: str
) -> None:
    family = caught_by.split(".")[1]
    results = run_oneroster({defect}, only=f"oneroster.{family}.*")
    assert results[caught_by].status == FAILED, results[caught_by].message


def test_a_failure_message_names_the_request_and_the_rule_broken(run_oneroster: RunSuite) -> None:
    results = run_oneroster({"two-keys"}, only="oneroster.rostering.users.envelope")
    message = results["oneroster.rostering.users.envelope"].message
    assert "GET " in message and "/users" in message
    assert "'totalCount'" in message and "expected exactly ['users']" in message


def test_privacy_cases_are_skipped_with_the_option_they_need(run_oneroster: RunSuite) -> None:
    results = run_oneroster(only="oneroster.privacy.*", opted_out_student=None,
                            forbidden_school=None)
    skipped = results["oneroster.privacy.forbidden-school-or-filter"]
    assert skipped.status == "skipped"
    assert "--forbidden-school" in skipped.message


def test_write_cases_need_the_write_flag(run_oneroster: RunSuite) -> None:
    results = run_oneroster(only="oneroster.writes.*", write=False)
    assert {r.status for r in results.values()} == {"skipped"}
    assert all("--write" in r.message for r in results.values())

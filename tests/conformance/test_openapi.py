"""conformance.openapi: find the operation for a request path and validate bodies against it."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.openapi import OpenApiDocument, OpenApiError

TINY = Path(__file__).parent / "fixtures" / "tiny.openapi.json"
REAL_SPECS = Path(__file__).resolve().parents[2] / "specs"


@pytest.fixture(scope="module")
def tiny() -> OpenApiDocument:
    return OpenApiDocument.load(TINY)


def test_a_literal_path_wins_over_a_template_that_also_matches(tiny: OpenApiDocument) -> None:
    assert tiny.find_operation("GET", "/widgets/special").operation_id == "getSpecialWidgets"
    assert tiny.find_operation("GET", "/widgets/w-1").operation_id == "getWidget"


def test_paths_may_carry_a_host_prefix_base_path_and_query(tiny: OpenApiDocument) -> None:
    url = "https://district.example/proxy/app1/ims/tiny/v1/widgets/w%2F1?fields=name"
    operation = tiny.find_operation("get", url)
    assert operation is not None and operation.template == "/widgets/{sourcedId}"


def test_unknown_paths_and_methods_find_no_operation(tiny: OpenApiDocument) -> None:
    assert tiny.find_operation("GET", "/gadgets") is None
    assert tiny.find_operation("DELETE", "/widgets/w-1") is None


def test_a_valid_body_has_no_problems(tiny: OpenApiDocument) -> None:
    body = {"widgets": [{"sourcedId": "w-1", "name": "Gear", "made": "2024-02-29"}]}
    assert tiny.validate_response("GET", "/widgets", 200, body) == []


def test_problems_point_into_the_body_through_refs(tiny: OpenApiDocument) -> None:
    body = {"widgets": [{"sourcedId": "w-1", "name": "Gear"}, {"sourcedId": "w-2", "x": 1}]}
    problems = tiny.validate_response("GET", "/widgets", 200, body)
    pointers = {p.pointer for p in problems}
    assert pointers == {"/widgets/1"}
    assert any("'name' is a required property" in p.message for p in problems)
    assert any("'x'" in p.message for p in problems)


def test_a_second_top_level_key_breaks_the_envelope(tiny: OpenApiDocument) -> None:
    problems = tiny.validate_response("GET", "/widgets", 200, {"widgets": [], "total": 0})
    assert problems and "'total'" in problems[0].message


def test_the_partial_twin_allows_missing_but_not_extra_fields(tiny: OpenApiDocument) -> None:
    projected = {"widgets": [{"sourcedId": "w-1"}]}
    assert tiny.validate_response("GET", "/widgets", 200, projected) != []
    assert tiny.validate_response("GET", "/widgets", 200, projected, partial=True) == []
    leaking = {"widgets": [{"sourcedId": "w-1", "secret": "x"}]}
    assert tiny.validate_response("GET", "/widgets", 200, leaking, partial=True) != []


def test_formats_are_checked(tiny: OpenApiDocument) -> None:
    body = {"widget": {"sourcedId": "w-1", "name": "Gear", "made": "29/02/2024"}}
    problems = tiny.validate_response("GET", "/widgets/w-1", 200, body)
    assert [p.pointer for p in problems] == ["/widget/made"]


def test_error_statuses_fall_back_to_range_then_default(tiny: OpenApiDocument) -> None:
    failure = {"imsx_codeMajor": "failure"}
    assert tiny.validate_response("GET", "/widgets", 404, failure) == []
    assert tiny.validate_response("GET", "/widgets/w-1", 500, {"imsx_codeMajor": "odd"}) != []
    with pytest.raises(OpenApiError, match="declares no JSON schema for status 500"):
        tiny.validate_response("GET", "/widgets", 500, failure)


def test_an_unknown_operation_is_an_error_not_a_pass(tiny: OpenApiDocument) -> None:
    with pytest.raises(OpenApiError, match="no operation for GET /gadgets"):
        tiny.validate_response("GET", "/gadgets", 200, {})


def test_an_unreadable_document_names_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"openapi": "3.1.0",\n "paths": {,}}')
    with pytest.raises(OpenApiError, match=r"broken.json: line 2: not JSON"):
        OpenApiDocument.load(broken)


@pytest.mark.parametrize(
    ("document", "path", "envelope"),
    [
        ("oneroster/v1p2/rostering.openapi.json", "/ims/oneroster/rostering/v1p2/users", "users"),
        ("oneroster/v1p1/openapi.json", "/ims/oneroster/v1p1/classes/c-1/students", "users"),
        ("oneroster/v1p2/gradebook.openapi.json", "/lineItems", "lineItems"),
        ("oneroster/v1p2/resources.openapi.json", "/users/u-1/resources", "resources"),
    ],
)
def test_the_project_documents_validate_an_empty_page(
    document: str, path: str, envelope: str
) -> None:
    if not (REAL_SPECS / document).is_file():
        pytest.skip(f"specs/{document} not written yet")
    spec = OpenApiDocument.load(REAL_SPECS / document)
    assert spec.validate_response("GET", path, 200, {envelope: []}) == []
    assert spec.validate_response("GET", path, 200, {envelope: [], "extra": 1}) != []

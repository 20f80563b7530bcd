"""The OneRoster filter grammar: field<op>'value' clauses joined by AND / OR."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.oneroster.query import (
    MAX_CLAUSES,
    MAX_FILTER_LENGTH,
    Comparison,
    Logical,
    QueryError,
    parse_filter,
)


def rejects(text: str) -> QueryError:
    with pytest.raises(QueryError) as caught:
        parse_filter(text)
    error = caught.value
    assert error.code_minor == "invalid_filter_field"
    assert error.parameter == "filter"
    assert error.message.startswith("filter: ")
    return error


@pytest.mark.parametrize("op", ["=", "!=", ">", ">=", "<", "<=", "~"])
def test_each_operator_is_recognised(op: str) -> None:
    assert parse_filter(f"familyName{op}'Jones'") == Comparison("familyName", op, "Jones")


def test_dot_paths_name_fields_inside_references() -> None:
    assert parse_filter("school.sourcedId='s-1'") == Comparison("school.sourcedId", "=", "s-1")
    assert parse_filter("roles.org.sourcedId='o'") == Comparison("roles.org.sourcedId", "=", "o")


def test_a_doubled_quote_stands_for_one_quote() -> None:
    assert parse_filter("familyName='O''Brien'").value == "O'Brien"
    assert parse_filter("familyName=''''").value == "'"


def test_a_backslash_escaped_quote_is_tolerated() -> None:
    assert parse_filter("familyName='O\\'Brien'").value == "O'Brien"
    tree = parse_filter("familyName='O\\'Brien' AND givenName='Pat'")
    assert tree == Logical(
        "AND", Comparison("familyName", "=", "O'Brien"), Comparison("givenName", "=", "Pat")
    )


def test_a_trailing_backslash_is_part_of_the_value() -> None:
    assert parse_filter("path='C:\\'").value == "C:\\"


def test_an_empty_value_is_allowed() -> None:
    assert parse_filter("middleName=''") == Comparison("middleName", "=", "")


def test_keywords_and_operators_inside_a_value_are_plain_text() -> None:
    text = "title='Rock AND Roll OR x=''y'' ~ z'"
    assert parse_filter(text) == Comparison("title", "=", "Rock AND Roll OR x='y' ~ z")


def test_and_binds_tighter_than_or() -> None:
    a, b, c, d = (Comparison(name, "=", "1") for name in "abcd")
    tree = parse_filter("a='1' OR b='1' AND c='1' OR d='1'")
    assert tree == Logical("OR", Logical("OR", a, Logical("AND", b, c)), d)


def test_clauses_of_one_operator_fold_left_to_right() -> None:
    a, b, c = (Comparison(name, "=", "1") for name in "abc")
    assert parse_filter("a='1' AND b='1' AND c='1'") == Logical("AND", Logical("AND", a, b), c)


@pytest.mark.parametrize(
    "text",
    [
        "status='active' and role='student'",
        "status='active' And role='student'",
        "status = 'active' AND role = 'student'",
        "status='active'AND role='student'",
        "  status='active'\tAND\n role='student'  ",
    ],
)
def test_case_and_spacing_variants_mean_the_same(text: str) -> None:
    expected = Logical(
        "AND", Comparison("status", "=", "active"), Comparison("role", "=", "student")
    )
    assert parse_filter(text) == expected


def test_or_is_normalised_to_upper_case() -> None:
    tree = parse_filter("a='1' or b='2'")
    assert isinstance(tree, Logical) and tree.op == "OR"


def test_a_bare_value_names_the_position_where_a_quote_was_expected() -> None:
    error = rejects("givenName=Pat")
    assert error.message == "filter: expected a quoted value after '=', found 'Pat' at character 11"


def test_an_unbalanced_quote_is_reported_where_the_value_starts() -> None:
    error = rejects("givenName='Pat")
    assert "unterminated quoted value" in error.message
    assert error.message.endswith("at character 11")


def test_typographic_quotes_get_a_specific_hint() -> None:
    error = rejects("status=\u2019active\u2019")
    assert "straight single quotes" in error.message


def test_double_quotes_get_a_specific_hint() -> None:
    assert "not double quotes" in rejects('status="active"').message


def test_an_unknown_operator_is_named() -> None:
    error = rejects("status=='active'")
    assert "expected a quoted value after '='" in error.message
    error = rejects("status 'active'")
    assert "expected an operator" in error.message and "after 'status'" in error.message


@pytest.mark.parametrize(
    "text, reason, position",
    [
        ("givenName='x' OR 1=1 --", "expected a field name, found '1=1 --'", 18),
        ("givenName='x'; DROP TABLE users", "expected AND or OR after the value", 14),
        ("givenName='x' OR ''='", "expected a field name", 18),
        ("givenName='x' -- comment", "expected AND or OR after the value", 15),
        ("givenName='x' AND", "expected a clause after AND", 18),
        ("givenName='x' XOR b='y'", "expected AND or OR after the value", 15),
        ("(givenName='x')", "parentheses are not supported", 1),
        ("='x'", "expected a field name", 1),
        ("givenName=", "found the end of the filter", 11),
    ],
)
def test_hostile_input_ends_in_a_precise_message(text: str, reason: str, position: int) -> None:
    error = rejects(text)
    assert reason in error.message
    assert error.message.endswith(f"at character {position}")
    assert error.field == text


def test_an_empty_filter_is_refused() -> None:
    assert rejects("   ").message == "filter: the expression is empty"


def test_input_longer_than_the_bound_is_refused_before_parsing() -> None:
    text = "givenName='" + "x" * MAX_FILTER_LENGTH + "'"
    assert rejects(text).message == (
        f"filter: longer than {MAX_FILTER_LENGTH} characters ({len(text)})"
    )


def test_the_clause_bound_is_inclusive() -> None:
    at_bound = " OR ".join(f"f{i}='{i}'" for i in range(MAX_CLAUSES))
    assert parse_filter(at_bound) is not None
    over = at_bound + " OR extra='x'"
    assert f"more than {MAX_CLAUSES} clauses" in rejects(over).message


@given(st.text(max_size=300))
def test_any_value_round_trips_when_its_quotes_are_doubled(value: str) -> None:
    escaped = value.replace("'", "''")
    assert parse_filter(f"givenName='{escaped}'") == Comparison("givenName", "=", value)


@given(st.text(max_size=200))
def test_any_input_parses_or_raises_query_error(text: str) -> None:
    try:
        parse_filter(text)
    except QueryError as error:
        assert error.message.startswith("filter: ")


names = st.from_regex(r"[a-z][A-Za-z0-9]{0,8}(\.[a-z][A-Za-z0-9]{0,5})?", fullmatch=True)
clauses = st.builds(
    Comparison, names, st.sampled_from(["=", "!=", ">", ">=", "<", "<=", "~"]), st.text(max_size=20)
)


def render(clause: Comparison) -> str:
    return f"{clause.field}{clause.op}'{clause.value.replace(chr(39), chr(39) * 2)}'"


@given(st.lists(st.lists(clauses, min_size=1, max_size=3), min_size=1, max_size=4))
def test_or_of_and_runs_parses_to_the_same_tree(runs: list[list[Comparison]]) -> None:
    text = " OR ".join(" AND ".join(render(c) for c in run) for run in runs)
    expected_runs = []
    for run in runs:
        tree = run[0]
        for clause in run[1:]:
            tree = Logical("AND", tree, clause)
        expected_runs.append(tree)
    expected = expected_runs[0]
    for tree in expected_runs[1:]:
        expected = Logical("OR", expected, tree)
    assert parse_filter(text) == expected

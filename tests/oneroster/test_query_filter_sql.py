"""Compiled filters select the right rows of a real (in-memory SQLite) table."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    insert,
    select,
    text,
)

from gateway.oneroster.query import (
    FilterField,
    QueryError,
    compile_filter,
    list_field,
    parse_filter,
)

metadata = MetaData()
users = Table(
    "users",
    metadata,
    Column("sourced_id", String, primary_key=True),
    Column("school_id", String, nullable=False),
    Column("given_name", String),
    Column("middle_name", String),
    Column("family_name", String),
    Column("enabled_user", String),  # 'true' / 'false', as OneRoster writes booleans
    Column("date_last_modified", DateTime(timezone=True)),
    Column("modified_text", String),  # the same instant as text, in the gateway's stored form
    Column("birth_date", String),
    Column("score", String),  # numbers kept as text: must still order numerically
)
user_grades = Table(
    "user_grades",
    metadata,
    Column("user_id", String, primary_key=True),
    Column("grade", String, primary_key=True),
)


def at(text_value: str) -> datetime:
    return datetime.fromisoformat(text_value.replace("Z", "+00:00")).astimezone(UTC)


def stored_text(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


ROWS = [
    # id, school, given, middle, family, enabled, modified, birth, score, grades
    ("u1", "s1", "Ann", "Jo", "O'Brien", "true", "2024-01-10T12:00:00Z", "2010-05-01", "9",
     ["09", "10"]),
    ("u2", "s1", "Bob", None, "Smith_Jones", "false", "2024-03-01T00:00:00Z", "2011-02-28", "10",
     ["10"]),
    ("u3", "s2", "Cara", "Lee", "Smithers", "true", "2024-05-05T08:30:00Z", "2009-12-31", "100",
     []),
    ("u4", "s2", "Dan", None, "100%Real", "true", "2023-12-31T23:30:00Z", "2012-07-04", None,
     ["KG"]),
    ("u5", "s1", "Éva", None, "Ölund", "false", "2024-01-10T12:00:00.5Z", "2010-05-01", "9.5",
     []),
]  # fmt: skip

RESOLVABLE = {
    "givenName": FilterField(users.c.given_name),
    "middleName": FilterField(users.c.middle_name),
    "familyName": FilterField(users.c.family_name),
    "school.sourcedId": FilterField(users.c.school_id),
    "enabledUser": FilterField(users.c.enabled_user, kind="bool"),
    "dateLastModified": FilterField(users.c.date_last_modified, kind="datetime"),
    "modifiedText": FilterField(users.c.modified_text, kind="datetime"),
    "birthDate": FilterField(users.c.birth_date, kind="date"),
    "score": FilterField(users.c.score, kind="number"),
    "grades": list_field(user_grades.c.user_id == users.c.sourced_id, user_grades.c.grade),
}


@pytest.fixture(scope="module")
def conn() -> Iterator[Connection]:
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as connection:
        for row in ROWS:
            sid, school, given, middle, family, enabled, modified, birth, score, grades = row
            connection.execute(
                insert(users).values(
                    sourced_id=sid,
                    school_id=school,
                    given_name=given,
                    middle_name=middle,
                    family_name=family,
                    enabled_user=enabled,
                    date_last_modified=at(modified),
                    modified_text=stored_text(at(modified)),
                    birth_date=birth,
                    score=score,
                )
            )
            for grade in grades:
                connection.execute(insert(user_grades).values(user_id=sid, grade=grade))
        yield connection


def matching(conn: Connection, filter_text: str, *policy: object) -> list[str]:
    condition = compile_filter(parse_filter(filter_text), RESOLVABLE.get)
    query = select(users.c.sourced_id).where(*policy, condition).order_by(users.c.sourced_id)
    return list(conn.scalars(query))


def refused(filter_text: str) -> QueryError:
    with pytest.raises(QueryError) as caught:
        compile_filter(parse_filter(filter_text), RESOLVABLE.get)
    assert caught.value.code_minor == "invalid_filter_field"
    return caught.value


def test_equals_is_exact_and_case_sensitive(conn: Connection) -> None:
    assert matching(conn, "givenName='Ann'") == ["u1"]
    assert matching(conn, "givenName='ann'") == []
    assert matching(conn, "familyName='O''Brien'") == ["u1"]


def test_not_equals_also_matches_rows_without_the_field(conn: Connection) -> None:
    assert matching(conn, "middleName!='Jo'") == ["u2", "u3", "u4", "u5"]


def test_contains_is_a_case_insensitive_substring(conn: Connection) -> None:
    assert matching(conn, "familyName~'smith'") == ["u2", "u3"]
    assert matching(conn, "familyName~'o''b'") == ["u1"]


@pytest.mark.parametrize("wildcard, expected", [("_", ["u2"]), ("%", ["u4"]), ("h_J", ["u2"])])
def test_contains_matches_like_wildcards_literally(
    conn: Connection, wildcard: str, expected: list[str]
) -> None:
    assert matching(conn, f"familyName~'{wildcard}'") == expected


@pytest.mark.parametrize("field", ["dateLastModified", "modifiedText"])
def test_datetime_ranges_compare_instants(conn: Connection, field: str) -> None:
    assert matching(conn, f"{field}>'2024-01-10T12:00:00Z'") == ["u2", "u3", "u5"]
    assert matching(conn, f"{field}>='2024-01-10T12:00:00Z'") == ["u1", "u2", "u3", "u5"]
    assert matching(conn, f"{field}<'2024-01-01'") == ["u4"]
    assert matching(conn, f"{field}<='2024-01-10T12:00:00Z'") == ["u1", "u4"]


@pytest.mark.parametrize("field", ["dateLastModified", "modifiedText"])
def test_datetime_values_with_an_offset_are_read_as_utc(conn: Connection, field: str) -> None:
    assert matching(conn, f"{field}='2024-01-01T00:30:00+01:00'") == ["u4"]
    assert matching(conn, f"{field}='2024-03-01T00:00:00.000Z'") == ["u2"]


def test_date_ranges(conn: Connection) -> None:
    assert matching(conn, "birthDate>='2010-05-01' AND birthDate<'2011-03-01'") == [
        "u1",
        "u2",
        "u5",
    ]


def test_numbers_compare_numerically_not_as_text(conn: Connection) -> None:
    assert matching(conn, "score>'9'") == ["u2", "u3", "u5"]
    assert matching(conn, "score<='10'") == ["u1", "u2", "u5"]
    assert matching(conn, "score='9.50'") == ["u5"]


def test_booleans_compare_against_true_and_false(conn: Connection) -> None:
    assert matching(conn, "enabledUser='false'") == ["u2", "u5"]
    assert matching(conn, "enabledUser='TRUE'") == ["u1", "u3", "u4"]
    assert matching(conn, "enabledUser!='true'") == ["u2", "u5"]


def test_list_fields_match_when_any_element_matches(conn: Connection) -> None:
    assert matching(conn, "grades='10'") == ["u1", "u2"]
    assert matching(conn, "grades~'k'") == ["u4"]
    assert matching(conn, "grades>='10'") == ["u1", "u2", "u4"]


def test_list_not_equals_means_no_element_equals(conn: Connection) -> None:
    assert matching(conn, "grades!='10'") == ["u3", "u4", "u5"]


def test_and_binds_tighter_than_or_in_sql_too(conn: Connection) -> None:
    assert matching(conn, "givenName='Ann' OR givenName='Bob' AND school.sourcedId='s2'") == ["u1"]
    assert matching(conn, "givenName='Cara' AND enabledUser='true' OR givenName='Bob'") == [
        "u2",
        "u3",
    ]


def test_an_or_in_the_filter_cannot_escape_the_policy_predicate(conn: Connection) -> None:
    policy = users.c.school_id == "s1"
    wide_open = "school.sourcedId='s2' OR givenName~''"
    assert matching(conn, wide_open) == ["u1", "u2", "u3", "u4", "u5"]
    assert matching(conn, wide_open, policy) == ["u1", "u2", "u5"]


def test_the_compiled_filter_stays_grouped_even_when_pasted_into_sql_text(
    conn: Connection,
) -> None:
    """The regression behind the Ed-Fi fix: a WHERE assembled as text must not leak rows."""
    compiled = compile_filter(
        parse_filter("givenName='Cara' OR givenName='Dan'"), RESOLVABLE.get
    ).compile()
    assert str(compiled).startswith("(") and str(compiled).endswith(")")
    rows = conn.execute(
        text(f"SELECT sourced_id FROM users WHERE school_id = :policy AND {compiled}"),
        {**compiled.params, "policy": "s1"},
    )
    assert list(rows) == []


def test_values_travel_as_bound_parameters(conn: Connection) -> None:
    hostile = "x' OR '1'='1"
    filter_text = "givenName='" + hostile.replace("'", "''") + "'"
    compiled = compile_filter(parse_filter(filter_text), RESOLVABLE.get).compile()
    assert hostile not in str(compiled)
    assert hostile in compiled.params.values()
    assert matching(conn, filter_text) == []


def test_an_unknown_field_is_named() -> None:
    error = refused("shoeSize='9'")
    assert error.message == "filter: unknown field 'shoeSize'"
    assert error.field == "shoeSize"


@pytest.mark.parametrize(
    "filter_text, reason",
    [
        ("dateLastModified>'yesterday'", "not an ISO 8601 date-time"),
        ("dateLastModified>'2024-02-30T00:00:00Z'", "not a real calendar date"),
        ("birthDate<'2024-13-01'", "not a calendar date"),
        ("birthDate<'01/05/2023'", "not a date in the form YYYY-MM-DD"),
        ("score>'ten'", "not a number"),
        ("score>'nan'", "not a finite number"),
        ("enabledUser='yes'", "expected 'true' or 'false'"),
        ("enabledUser>'true'", "only = and != apply"),
        ("dateLastModified~'2024'", "'~' (contains) applies to text fields"),
    ],
)
def test_a_value_wrong_for_the_fields_kind_says_why(filter_text: str, reason: str) -> None:
    error = refused(filter_text)
    field, _, _ = filter_text.partition("'")
    assert error.message.startswith(f"filter: {filter_text}: ")
    assert reason in error.message
    assert error.field and field.startswith(error.field)


def test_a_list_field_needs_a_predicate() -> None:
    with pytest.raises(ValueError, match="list_predicate"):
        FilterField(None, kind="list")


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    value=st.text(
        st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=40
    ),
    prefix=st.text("ab ", max_size=3),
    suffix=st.text("yz ", max_size=3),
)
def test_any_value_finds_its_own_row(
    conn: Connection, value: str, prefix: str, suffix: str
) -> None:
    escaped = value.replace("'", "''")
    conn.execute(insert(users).values(sourced_id="probe", school_id="s9", given_name=value,
                                      family_name=prefix + value + suffix))  # fmt: skip
    try:
        assert matching(conn, f"givenName='{escaped}'") == ["probe"]
        assert "probe" in matching(conn, f"familyName~'{escaped}'")
    finally:
        conn.execute(delete(users).where(users.c.sourced_id == "probe"))

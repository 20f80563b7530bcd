"""A bad mapping is refused when it loads, every mistake reported at its YAML line and column,
by `check()` as text and by `read()` as fatal Issues (never a traceback, never a partial run)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from adapters.mapped_csv import MappedCsvAdapter
from adapters.mapped_csv.loader import parse_mapping
from adapters.mapping.problems import MappingError, MappingProblem
from adapters.mapping.schema_check import SCHEMA_PATH
from adapters.records import Issue, Record

GOOD = """\
version: 1
files:
  people: {name: people.csv}
  courses: {name: courses.csv}
value_maps:
  sex: {M: male, F: female}
entities:
  - family: users
    from: people
    id: {template: "u-{ID}"}
    fields:
      enabledUser: {const: true}
      username: ID
      givenName: First
      familyName: Last
"""


def problems(text: str) -> list[MappingProblem]:
    with pytest.raises(MappingError) as caught:
        parse_mapping(text, "m.yaml")
    return caught.value.problems


def line_of(text: str, needle: str) -> int:
    """1-based number of the only line of `text` containing `needle`."""
    [number] = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    return number


def with_field(line: str) -> str:
    return GOOD + f"      {line}\n"


def test_the_good_mapping_loads() -> None:
    mapping = parse_mapping(GOOD, "m.yaml")
    assert [e.family for e in mapping.entities] == ["users"]


def test_yaml_syntax_error_names_its_line() -> None:
    text = GOOD.replace("  courses: {name: courses.csv}", "  courses: {name: courses.csv")
    [problem] = problems(text)
    assert problem.message.startswith("not valid YAML")
    assert problem.line is not None and problem.line >= line_of(text, "courses: {name")


def test_duplicate_key_is_reported_where_it_repeats() -> None:
    text = with_field("username: First")
    [problem] = problems(text)
    assert problem.line == line_of(text, "username: First")
    first = line_of(text, "username: ID")
    assert problem.message == f"duplicate key 'username' (first at line {first})"


def test_unknown_key_is_reported_at_the_key_itself() -> None:
    text = with_field("email: {colum: Mail}")
    found = problems(text)
    unknown = [p for p in found if "unknown key" in p.message]
    assert [(p.line, p.column, p.path) for p in unknown] == [
        (line_of(text, "colum:"), text.splitlines()[-1].index("colum") + 1,
         "entities[0].fields.email.colum"),
    ]
    assert "allowed: column, const" in unknown[0].message


def test_a_value_with_two_sources_is_refused_in_plain_words() -> None:
    text = with_field('email: {column: Mail, template: "{First}@x"}')
    [problem] = problems(text)
    assert problem.line == line_of(text, "email:")
    assert problem.message == "give exactly one source: column, template, const, expr or lookup"


def test_a_wrong_type_names_the_value() -> None:
    text = GOOD.replace("    from: people\n", '    from: people\n    distinct: "yes"\n')
    [problem] = problems(text)
    assert (problem.line, problem.path) == (line_of(text, "distinct"), "entities[0].distinct")
    assert "is not of type 'boolean'" in problem.message


def test_a_missing_required_key_is_reported_at_its_parent() -> None:
    text = GOOD.replace('    id: {template: "u-{ID}"}\n', "")
    [problem] = problems(text)
    assert problem.line == line_of(text, "- family: users")
    assert problem.message == "'id' is a required property"


def test_unknown_family_is_reported_at_the_family_line() -> None:
    text = GOOD.replace("family: users", "family: user")
    [problem] = problems(text)
    assert problem.line == line_of(text, "family: user")
    assert problem.message.startswith("unknown family 'user'; known: orgs, academicSessions")


def test_unknown_canonical_field_is_reported_at_its_key() -> None:
    text = with_field("gender: Sex")
    [problem] = problems(text)
    assert (problem.line, problem.column) == (line_of(text, "gender"), 7)
    assert problem.message.startswith("'gender' is not a field of users; known: enabledUser")


def test_entity_from_an_undeclared_file_is_refused() -> None:
    text = GOOD.replace("from: people", "from: staff")
    [problem] = problems(text)
    assert problem.line == line_of(text, "from: staff")
    assert problem.message == "unknown file 'staff'; declared under files: people, courses"


def test_lookup_on_an_undeclared_file_is_refused() -> None:
    text = with_field("email: {lookup: {file: contacts, on: {ID: ID}, column: Mail}}")
    [problem] = problems(text)
    assert (problem.line, problem.path) == (line_of(text, "contacts"),
                                            "entities[0].fields.email.lookup.file")
    assert "unknown file 'contacts'" in problem.message


@pytest.mark.parametrize(
    ("expr", "reason"),
    [
        ("int(Year) +", "is not valid"),
        ("open('x')", "unknown function 'open'"),
        ("First.__class__", "'__class__', not allowed"),
        ("vars['nope']", "unknown variable 'nope'"),
    ],
)
def test_a_bad_expression_is_refused_at_its_line(expr: str, reason: str) -> None:
    text = with_field(f'identifier: {{expr: "{expr}"}}')
    [problem] = problems(text)
    assert (problem.line, problem.path) == (line_of(text, "identifier"),
                                            "entities[0].fields.identifier.expr")
    assert reason in problem.message


def test_a_bad_skip_rule_is_refused_at_its_line() -> None:
    text = GOOD.replace("    from: people\n", "    from: people\n    skip_when: \"Status ==\"\n")
    [problem] = problems(text)
    assert (problem.line, problem.path) == (line_of(text, "skip_when"), "entities[0].skip_when")


def test_unknown_value_map_and_unknown_variable_are_refused() -> None:
    text = with_field("grades: {column: G, map: grade_levels}") + (
        '      primaryOrg: {template: "sch-{$district}"}\n'
    )
    found = problems(text)
    assert [(p.line, p.message.split(";")[0]) for p in found] == [
        (line_of(text, "grade_levels"), "unknown value map 'grade_levels'"),
        (line_of(text, "primaryOrg"), "template 'sch-{$district}' uses unknown variable $district"),
    ]


def test_a_family_without_its_required_fields_is_refused() -> None:
    text = GOOD.replace("      givenName: First\n", "")
    [problem] = problems(text)
    assert problem.line == line_of(text, "fields:")
    assert problem.message == "users needs givenName, which the mapping does not give"


def test_splitting_into_a_single_valued_field_is_refused() -> None:
    text = with_field('email: {column: Mails, split: ";"}')
    [problem] = problems(text)
    assert problem.path == "entities[0].fields.email.split"
    assert "email holds one value" in problem.message


def test_user_ids_need_an_id_type() -> None:
    text = with_field("userIds: StateID")
    [problem] = problems(text)
    assert problem.line == line_of(text, "userIds")
    assert "add id_type" in problem.message


def test_all_problems_come_at_once_in_line_order() -> None:
    text = with_field("gender: Sex") + "      birthday: DOB\n"
    found = problems(text)
    assert [p.line for p in found] == [line_of(text, "gender"), line_of(text, "birthday")]


def test_check_lists_problems_and_read_stops_with_fatal_issues(tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    (export / "people.csv").write_text("ID,First,Last\n1,A,B\n", encoding="utf-8")
    text = with_field("gender: Sex")
    mapping = tmp_path / "bad.yaml"
    mapping.write_text(text, encoding="utf-8")
    adapter = MappedCsvAdapter(path=str(export), mapping=str(mapping))
    line = line_of(text, "gender")
    [message] = adapter.check()
    assert message.startswith(f"{mapping}:{line}:7: entities[0].fields.gender: 'gender' is not")
    events = list(adapter.read())
    assert not any(isinstance(e, Record) for e in events)
    [fatal] = events
    assert isinstance(fatal, Issue)
    assert (fatal.level, fatal.file, fatal.line) == ("fatal", str(mapping), line)


def test_an_unknown_pack_lists_the_shipped_ones(tmp_path: Path) -> None:
    adapter = MappedCsvAdapter(path=str(tmp_path), mapping="pack:skyward")
    [message] = adapter.check()
    assert "no shipped pack 'skyward'; shipped: infinite_campus, powerschool" in message


def test_a_mapping_file_that_does_not_exist_is_reported(tmp_path: Path) -> None:
    adapter = MappedCsvAdapter(path=str(tmp_path), mapping=str(tmp_path / "nope.yaml"))
    assert adapter.check() == [f"{tmp_path / 'nope.yaml'}: mapping file not found"]


def test_the_published_schema_is_itself_valid_draft_2020_12() -> None:
    Draft202012Validator.check_schema(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def test_the_published_schema_accepts_the_documented_examples() -> None:
    readme = Path(__file__).resolve().parents[2] / "adapters" / "mapped_csv" / "README.md"
    blocks = readme.read_text(encoding="utf-8").split("```yaml\n")[1:]
    full = [b.split("```")[0] for b in blocks if b.startswith("version: 1")]
    assert full, "the README shows at least one complete mapping"
    for block in full:
        parse_mapping(textwrap.dedent(block), "README.md")

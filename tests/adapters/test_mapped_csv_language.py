"""The mapping language, one feature at a time: each test writes a tiny export and a mapping
that uses the feature, runs the adapter, and checks the canonical records it produced."""

from __future__ import annotations

import textwrap
from pathlib import Path

from adapters.mapped_csv import MappedCsvAdapter
from adapters.records import Event, FamilyMode, Issue, Record


def run(tmp_path: Path, mapping: str, files: dict[str, str], **vars_: str) -> list[Event]:
    """Write the export (UTF-8, CRLF) and the mapping, then read every event."""
    export = tmp_path / "export"
    export.mkdir(exist_ok=True)
    for name, body in files.items():
        (export / name).write_bytes(textwrap.dedent(body).lstrip().replace("\n", "\r\n").encode())
    mapping_file = tmp_path / "mapping.yaml"
    mapping_file.write_text(textwrap.dedent(mapping), encoding="utf-8")
    adapter = MappedCsvAdapter(path=str(export), mapping=str(mapping_file), vars=vars_ or None)
    return list(adapter.read())


def records(events: list[Event], family: str | None = None) -> dict[str, dict]:
    return {
        e.sourced_id: e.fields
        for e in events
        if isinstance(e, Record) and (family is None or e.family == family)
    }


def errors(events: list[Event]) -> list[Issue]:
    return [e for e in events if isinstance(e, Issue) and e.level != "warning"]


PEOPLE = {
    "people.csv": """
        ID,First,Last,School,Grade,DOB,Codes,Year
        7,Ada,Byron,2,0,03/14/2011,A;W,36
        8,Alan,Turing,2,12,11/02/2010,,35
    """
}


def users_mapping(fields: str, extra: str = "") -> str:
    return f"""
        version: 1
        files:
          people: {{name: people.csv}}
        {extra}
        entities:
          - family: users
            from: people
            id: {{template: "u-{{ID}}"}}
            fields:
              enabledUser: {{const: true}}
              username: ID
              givenName: First
              familyName: Last
{textwrap.indent(textwrap.dedent(fields), " " * 14)}
    """


def test_a_plain_string_names_the_column_and_const_gives_a_constant(tmp_path: Path) -> None:
    events = run(tmp_path, users_mapping(""), PEOPLE)
    assert records(events)["u-7"] == {
        "enabledUser": "true", "username": "7", "givenName": "Ada", "familyName": "Byron",
    }


def test_template_builds_composite_keys_with_a_prefix(tmp_path: Path) -> None:
    events = run(tmp_path, users_mapping('primaryOrg: {template: "sch-{School}-{Grade}"}'), PEOPLE)
    assert records(events)["u-7"]["primaryOrg"] == "sch-2-0"
    assert set(records(events)) == {"u-7", "u-8"}


def test_value_map_translates_codes_and_list_fields_become_lists(tmp_path: Path) -> None:
    mapping = users_mapping(
        "grades: {column: Grade, map: grades}",
        extra='value_maps:\n          grades: {"0": KG, "12": "12"}',
    )
    events = run(tmp_path, mapping, PEOPLE)
    assert records(events)["u-7"]["grades"] == ["KG"]
    assert records(events)["u-8"]["grades"] == ["12"]


def test_an_unmapped_code_rejects_the_row_naming_field_column_and_value(tmp_path: Path) -> None:
    mapping = users_mapping("grades: {column: Grade, map: {'0': KG}}")
    events = run(tmp_path, mapping, PEOPLE)
    assert "u-8" not in records(events)
    [problem] = errors(events)
    assert (problem.level, problem.file, problem.line) == ("error", "people.csv", 3)
    assert problem.field == "grades (Grade)"
    assert problem.value == "12"
    assert "not in value map" in problem.reason
    assert (problem.family, problem.sourced_id) == ("users", "u-8")


def test_the_star_entry_of_a_value_map_catches_every_other_code(tmp_path: Path) -> None:
    mapping = users_mapping("grades: {column: Grade, map: {'0': KG, '*': Other}}")
    assert records(run(tmp_path, mapping, PEOPLE))["u-8"]["grades"] == ["Other"]


def test_split_turns_a_multi_valued_cell_into_a_list_and_blank_into_nothing(tmp_path: Path) -> None:
    events = run(tmp_path, users_mapping('grades: {column: Codes, split: ";"}'), PEOPLE)
    assert records(events)["u-7"]["grades"] == ["A", "W"]
    assert "grades" not in records(events)["u-8"]


def test_format_applies_a_template_to_each_split_value(tmp_path: Path) -> None:
    mapping = users_mapping('agents: {column: Codes, split: ";", format: "g-{value}"}')
    assert records(run(tmp_path, mapping, PEOPLE))["u-7"]["agents"] == ["g-A", "g-W"]


def test_several_values_for_a_list_field_are_joined(tmp_path: Path) -> None:
    mapping = users_mapping(
        """
        userIds:
          - {column: ID, id_type: local}
          - {template: "S{School}-{ID}", id_type: state}
        """
    )
    assert records(run(tmp_path, mapping, PEOPLE))["u-7"]["userIds"] == [
        {"type": "local", "identifier": "7"},
        {"type": "state", "identifier": "S2-7"},
    ]


def test_expression_computes_a_value_safely(tmp_path: Path) -> None:
    mapping = users_mapping('identifier: {expr: "int(Year) + 1991"}')
    events = run(tmp_path, mapping, PEOPLE)
    assert records(events)["u-7"]["identifier"] == "2027"
    assert records(events)["u-8"]["identifier"] == "2026"


def test_a_failing_expression_is_a_row_error_not_a_traceback(tmp_path: Path) -> None:
    mapping = users_mapping('identifier: {expr: "int(Codes) + 1"}')
    events = run(tmp_path, mapping, PEOPLE)
    assert records(events) == {}
    assert [(e.line, e.field) for e in errors(events)] == [
        (2, "identifier (Codes)"), (3, "identifier (Codes)"),
    ]
    assert "failed" in errors(events)[0].reason


def test_date_reformats_vendor_dates_to_iso_and_reports_bad_ones(tmp_path: Path) -> None:
    mapping = """
        version: 1
        files:
          people: {name: people.csv}
        entities:
          - family: demographics
            from: people
            id: {template: "u-{ID}"}
            fields:
              birthDate: {column: DOB, date: "%m/%d/%Y"}
    """
    files = {"people.csv": "ID,DOB\n7,03/14/2011\n8,2011-03-14\n"}
    events = run(tmp_path, mapping, files)
    assert records(events) == {"u-7": {"birthDate": "2011-03-14"}}
    [problem] = errors(events)
    assert (problem.line, problem.field, problem.value) == (3, "birthDate (DOB)", "2011-03-14")
    assert "%m/%d/%Y" in problem.reason


def test_contains_tests_a_split_cell_for_one_code(tmp_path: Path) -> None:
    mapping = """
        version: 1
        files:
          people: {name: people.csv}
        entities:
          - family: demographics
            from: people
            id: {template: "u-{ID}"}
            fields:
              asian: {column: Codes, split: ";", contains: A}
              white: {column: Codes, split: ";", contains: W}
              blackOrAfricanAmerican: {column: Codes, split: ";", contains: B}
    """
    events = run(tmp_path, mapping, PEOPLE)
    assert records(events)["u-7"] == {
        "asian": "true", "white": "true", "blackOrAfricanAmerican": "false",
    }
    assert records(events)["u-8"] == {}  # a blank cell says nothing, rather than "false"


def test_default_fills_a_blank_cell(tmp_path: Path) -> None:
    mapping = users_mapping("grades: {column: Codes, default: UG}")
    assert records(run(tmp_path, mapping, PEOPLE))["u-8"]["grades"] == ["UG"]


def test_lookup_joins_another_file_by_several_columns(tmp_path: Path) -> None:
    mapping = """
        version: 1
        files:
          sections: {name: sections.csv}
          courses: {name: courses.csv}
        entities:
          - family: classes
            from: sections
            id: {template: "sec-{ID}"}
            fields:
              title:
                lookup: {file: courses, on: {School: School, Number: Course}, column: Name}
              classType: {const: scheduled}
              course: {template: "crs-{School}-{Course}"}
              school: {template: "sch-{School}"}
              terms: {template: "t-{Term}"}
    """
    files = {
        "courses.csv": "School,Number,Name\n1,M1,Algebra I\n2,M1,Algebra (School 2)\n",
        "sections.csv": "ID,School,Course,Term\n55,2,M1,T1\n56,1,M1,T1\n57,1,XX,T1\n",
    }
    events = run(tmp_path, mapping, files)
    assert records(events) == {
        "sec-55": {"title": "Algebra (School 2)", "classType": "scheduled", "course": "crs-2-M1",
                   "school": "sch-2", "terms": ["t-T1"]},
        "sec-56": {"title": "Algebra I", "classType": "scheduled", "course": "crs-1-M1",
                   "school": "sch-1", "terms": ["t-T1"]},
    }
    [problem] = errors(events)
    assert (problem.file, problem.line, problem.field) == (
        "sections.csv", 4, "title (Course, School, courses.Name)",
    )
    assert problem.reason == "no row in courses.csv with School=1, Number=XX"


def test_one_file_feeds_several_entities(tmp_path: Path) -> None:
    mapping = """
        version: 1
        files:
          people: {name: people.csv}
        entities:
          - family: users
            from: people
            id: {template: "u-{ID}"}
            fields: {enabledUser: {const: true}, username: ID, givenName: First, familyName: Last}
          - family: roles
            from: people
            id: {template: "r-{ID}"}
            fields:
              user: {template: "u-{ID}"}
              roleType: {const: primary}
              role: {const: student}
              org: {template: "sch-{School}"}
    """
    events = run(tmp_path, mapping, PEOPLE)
    assert set(records(events, "users")) == {"u-7", "u-8"}
    assert records(events, "roles")["r-8"] == {
        "user": "u-8", "roleType": "primary", "role": "student", "org": "sch-2",
    }
    assert [e.family for e in events if isinstance(e, FamilyMode)] == ["users", "roles"]
    assert all(e.mode == "bulk" for e in events if isinstance(e, FamilyMode))


def test_distinct_keeps_the_first_of_entities_repeated_on_many_rows(tmp_path: Path) -> None:
    mapping = """
        version: 1
        files:
          schools: {name: schools.csv}
        entities:
          - family: orgs
            from: schools
            distinct: true
            id: {template: "d-{District}"}
            fields: {name: DistrictName, type: {const: district}}
    """
    files = {"schools.csv": "School,District,DistrictName\n1,9,North\n2,9,North\n3,4,South\n"}
    events = run(tmp_path, mapping, files)
    assert records(events) == {"d-9": {"name": "North", "type": "district"},
                               "d-4": {"name": "South", "type": "district"}}
    assert [e.line for e in events if isinstance(e, Record)] == [2, 4]


def test_without_distinct_every_row_is_a_record(tmp_path: Path) -> None:
    mapping = """
        version: 1
        files:
          schools: {name: schools.csv}
        entities:
          - family: orgs
            from: schools
            id: {template: "d-{District}"}
            fields: {name: DistrictName, type: {const: district}}
    """
    files = {"schools.csv": "School,District,DistrictName\n1,9,North\n2,9,North\n"}
    assert len([e for e in run(tmp_path, mapping, files) if isinstance(e, Record)]) == 2


def test_skip_when_drops_rows_silently(tmp_path: Path) -> None:
    mapping = """
        version: 1
        files:
          cc: {name: cc.csv}
        entities:
          - family: enrollments
            from: cc
            id: {template: "cc-{ID}"}
            skip_when: "int(SectionID) < 0"
            fields:
              class: {template: "sec-{SectionID}"}
              school: {const: sch-1}
              user: {template: "stu-{StudentID}"}
              role: {const: student}
    """
    files = {"cc.csv": "ID,StudentID,SectionID\n1,7,55\n2,7,-56\n3,8,56\n"}
    events = run(tmp_path, mapping, files)
    assert set(records(events)) == {"cc-1", "cc-3"}
    assert errors(events) == []


def test_vars_from_the_mapping_can_be_overridden_by_the_source(tmp_path: Path) -> None:
    mapping = """
        version: 1
        vars: {district: "0000", label: Default}
        files:
          people: {name: people.csv}
        entities:
          - family: orgs
            from: people
            distinct: true
            id: {template: "d-{$district}"}
            fields:
              name: {template: "{$label} district"}
              type: {const: district}
              identifier: {expr: "vars['district'] + '-' + School"}
    """
    assert records(run(tmp_path, mapping, PEOPLE)) == {
        "d-0000": {"name": "Default district", "type": "district", "identifier": "0000-2"},
    }
    overridden = run(tmp_path, mapping, PEOPLE, district="2752")
    assert set(records(overridden)) == {"d-2752"}


def test_a_blank_key_column_is_a_row_error(tmp_path: Path) -> None:
    files = {"people.csv": "ID,First,Last\n7,Ada,Byron\n,Alan,Turing\n"}
    events = run(tmp_path, users_mapping(""), files)
    assert set(records(events)) == {"u-7"}
    [problem] = errors(events)
    assert (problem.line, problem.field) == (3, "sourcedId (ID)")
    assert problem.reason == "no sourcedId: key column(s) ID blank"


def test_a_template_with_a_blank_column_leaves_the_field_out(tmp_path: Path) -> None:
    files = {"people.csv": "ID,First,Last,School\n7,Ada,Byron,\n"}
    mapping = users_mapping('primaryOrg: {template: "sch-{School}"}')
    assert "primaryOrg" not in records(run(tmp_path, mapping, files))["u-7"]


def test_columns_with_spaces_or_dots_are_reached_through_row(tmp_path: Path) -> None:
    mapping = """
        version: 1
        files:
          people: {name: people.csv}
        entities:
          - family: users
            from: people
            id: {template: "u-{student.id}"}
            fields:
              enabledUser: {const: true}
              username: {expr: "row['student.id'] + '@' + row['Home School'].lower()"}
              givenName: Given
              familyName: Family
    """
    files = {"people.csv": "student.id,Home School,Given,Family\n7,North,Ada,Byron\n"}
    assert records(run(tmp_path, mapping, files))["u-7"]["username"] == "7@north"


def test_a_lookup_key_that_repeats_keeps_the_first_row_and_warns(tmp_path: Path) -> None:
    mapping = """
        version: 1
        files:
          people: {name: people.csv}
          schools: {name: schools.csv}
        entities:
          - family: users
            from: people
            id: {template: "u-{ID}"}
            fields:
              enabledUser: {const: true}
              username: ID
              givenName: First
              familyName: Last
              email: {lookup: {file: schools, on: {Number: School}, column: Mail}}
    """
    files = {**PEOPLE, "schools.csv": "Number,Mail\n2,first@x.org\n2,second@x.org\n"}
    events = run(tmp_path, mapping, files)
    assert records(events)["u-7"]["email"] == "first@x.org"
    [warning] = [e for e in events if isinstance(e, Issue) and "repeats" in e.reason]
    assert (warning.level, warning.file, warning.line) == ("warning", "schools.csv", 3)

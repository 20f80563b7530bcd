"""Control characters are refused at the canonical boundary: a NUL stored in a JSON column makes
PostgreSQL answer every later JSON filter with UntranslatableCharacter, so one bad write would take
reads down for every app. Refused the same way on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gateway.model import ROSTER_TABLES

WRITER = ("edfi.readonly", "edfi.write")
STUDENT = {"studentUniqueId": "604822", "firstName": "Ann", "lastSurname": "Woods",
           "birthDate": "2012-05-14"}


def _users(engine) -> int:  # noqa: ANN001
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(ROSTER_TABLES["users"])).scalar_one()


@pytest.mark.parametrize("bad", ["Ann\x00e", "Ann\x07e", "Ann\x1be"])
def test_an_edfi_post_with_a_control_character_is_a_400_naming_the_field_and_changes_nothing(
    edfi, bad: str,
) -> None:
    call = edfi.as_app(scopes=WRITER)
    users = _users(edfi.engine)
    reply = call("POST", "/ed-fi/students", json={**STUDENT, "firstName": bad})
    assert reply.status_code == 400
    problem = reply.get_json()
    assert problem["type"] == "urn:ed-fi:api:bad-request:data-validation-failed"
    assert "$.firstName" in problem["validationErrors"]
    assert _users(edfi.engine) == users
    assert call("POST", "/ed-fi/students", json=STUDENT).status_code == 201
    found = call.get("/ed-fi/students?firstName=Ann")
    assert found.status_code == 200
    assert [s["studentUniqueId"] for s in found.get_json()] == ["604822"]


def test_tab_newline_and_carriage_return_stay_allowed(edfi) -> None:
    call = edfi.as_app(scopes=WRITER)
    reply = call("POST", "/ed-fi/students", json={**STUDENT, "lastSurname": "Wo\tods\r\n"})
    assert reply.status_code == 201

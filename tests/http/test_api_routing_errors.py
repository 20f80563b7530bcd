"""404s and 405s the router raises under an API prefix answer in that API's JSON format."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.app import create_app


@pytest.fixture
def client(database_url: str, tmp_path: Path):  # noqa: ANN201
    return create_app({"database_url": database_url, "var_dir": str(tmp_path)}).test_client()


def test_a_newline_in_a_oneroster_path_segment_gets_the_imsx_404(client) -> None:  # noqa: ANN001
    response = client.get("/ims/oneroster/rostering/v1p2/users/a%0Ab")
    assert response.status_code == 404
    assert response.get_json()["imsx_codeMajor"] == "failure"


def test_an_unrouted_edfi_path_gets_a_problem_details_404(client) -> None:  # noqa: ANN001
    response = client.get("/data/v3/ed-fi/nope/x/y")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["type"] == "urn:ed-fi:api:not-found"


def test_an_edfi_405_is_problem_details_with_allow(client) -> None:  # noqa: ANN001
    response = client.patch("/data/v3/ed-fi/students")
    assert response.status_code == 405
    assert response.get_json()["type"] == "urn:ed-fi:api:method-not-allowed"
    assert "GET" in response.headers["Allow"]


def test_a_oneroster_405_from_the_dispatcher_carries_allow(client) -> None:  # noqa: ANN001
    """The route accepts PUT, so the OneRoster dispatcher (not the router) answers the 405 for
    a path whose operations are read-only; it must still say which methods are allowed."""
    response = client.put("/ims/oneroster/rostering/v1p2/orgs")
    assert response.status_code == 405
    assert response.get_json()["imsx_codeMajor"] == "failure"
    assert response.headers["Allow"] == "GET"

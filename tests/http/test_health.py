"""/healthz and /readyz answer anyone, so they must say nothing about the store's contents."""

from __future__ import annotations

from pathlib import Path

from gateway.app import create_app


def test_healthz_is_a_bare_liveness_answer(database_url: str, tmp_path: Path) -> None:
    client = create_app({"database_url": database_url, "var_dir": str(tmp_path)}).test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_is_200_when_the_store_answers(database_url: str, tmp_path: Path) -> None:
    client = create_app({"database_url": database_url, "var_dir": str(tmp_path)}).test_client()
    response = client.get("/readyz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})


def test_readyz_is_503_with_only_the_error_class_when_the_store_is_gone(tmp_path: Path) -> None:
    url = "postgresql+psycopg://nobody:secret@127.0.0.1:1/none?connect_timeout=1"
    client = create_app({"database_url": url, "var_dir": str(tmp_path)}).test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["reason"] == "OperationalError"
    assert "secret" not in response.get_data(as_text=True)

"""`gateway serve` runs gunicorn by default, with no development-server warning, and neither
server names Werkzeug, gunicorn or Python in its `Server` header."""

from __future__ import annotations

from pathlib import Path

import requests

from tests.served import served_gateway


def test_serve_defaults_to_gunicorn_without_a_development_server_warning(
        database_url: str, tmp_path: Path) -> None:
    # no --workers: the default path, as `make demo` takes it
    with served_gateway(database_url, tmp_path, "--host", "127.0.0.1") as url:
        response = requests.get(f"{url}/healthz", timeout=5)
    log = (tmp_path / "server.log").read_text()
    assert response.status_code == 200
    assert "development server" not in log.lower()
    assert "gunicorn" in log.lower()  # gunicorn's own start-up lines
    assert response.headers["Server"] == "school-data-gateway"


def test_the_dev_server_does_not_name_werkzeug_or_python(database_url: str,
                                                          tmp_path: Path) -> None:
    with served_gateway(database_url, tmp_path, "--dev") as url:
        response = requests.get(f"{url}/healthz", timeout=5)
    assert response.status_code == 200
    assert response.headers["Server"] == "school-data-gateway"

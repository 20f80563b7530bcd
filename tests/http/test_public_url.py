"""Absolute URLs the gateway writes start from its configured public URL, never from the
request's `Host` header (issue 11 section 4, item 2): OneRoster paging `Link`s and hrefs, the
OpenAPI documents (servers, tokenUrl), Ed-Fi discovery, `/metadata` and write `Location`s."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask, request
from flask.testing import FlaskClient

from gateway.app import create_app
from gateway.auth.registry import register_app
from gateway.config import ConfigError, SourceConfig, load_settings
from gateway.policy.agreement import parse_agreement
from gateway.sync.runner import run_sync
from tests.edfi.bodies import school
from tests.edfi.conftest import district
from tests.oneroster.conftest import ALL_READ_SCOPES
from tests.served import served_gateway

EVIL = "evil.example"
ONEROSTER_COLLECTIONS = ["/ims/oneroster/v1p1/enrollments?limit=1&offset=1",
                         "/ims/oneroster/rostering/v1p2/enrollments?limit=1&offset=1"]
OPENAPI_DOCUMENTS = ["/ims/oneroster/v1p1/openapi.json",
                     "/ims/oneroster/rostering/v1p2/openapi.json",
                     "/ims/oneroster/gradebook/v1p2/openapi.json",
                     "/ims/oneroster/resources/v1p2/openapi.json",
                     "/metadata/data/v3/resources/swagger.json"]
EDFI_DOCUMENTS = ["/", "/metadata"]
SCHOOL = school()
GRADE = {"namespace": "uri://district.example/GradeLevelDescriptor", "codeValue": "Thirteen",
         "shortDescription": "13th", "description": "A thirteenth year",
         "effectiveBeginDate": "2026-07-01"}
SPOOFED = {"Host": EVIL, "X-Forwarded-Host": EVIL, "Accept": "application/json"}


def _token(client: FlaskClient, engine: Any, scopes: list[str]) -> str:
    doc = {"name": "app", "purpose": "instruction", "expires": "2099-12-31", "scopes": scopes,
           "descriptor_namespaces": ["uri://district.example"]}
    creds = register_app(engine, doc["name"], parse_agreement(doc))
    basic = base64.b64encode(f"{creds.client_id}:{creds.client_secret}".encode()).decode()
    reply = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                        headers={"Authorization": f"Basic {basic}"})
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()["access_token"]


def _app(engine: Any, database_url: str, tmp_path: Path, **config: Any) -> Flask:
    report = run_sync(engine, SourceConfig(name="sis", adapter="test"), iter(district()),
                      adapter_name="test")
    assert report.state == "applied", report.issues[:5]
    app = create_app({"database_url": database_url, "var_dir": str(tmp_path), **config})
    app.config["TESTING"] = True
    return app


def _replies(app: Flask, engine: Any) -> list[Any]:
    """Every reply that carries a URL the gateway built, asked for with a spoofed Host."""
    client = app.test_client()
    roster = {"Authorization": f"Bearer {_token(client, engine, ALL_READ_SCOPES)}"}
    writer = {"Authorization": "Bearer " + _token(client, engine,
                                                  ["edfi.readonly", "edfi.write"])}
    replies = [client.get(p, headers={**SPOOFED, **roster}) for p in ONEROSTER_COLLECTIONS]
    replies += [client.get(p, headers=SPOOFED) for p in OPENAPI_DOCUMENTS + EDFI_DOCUMENTS]
    replies.append(client.post("/data/v3/ed-fi/schools", json=SCHOOL,
                               headers={**SPOOFED, **writer}))
    replies.append(client.post("/data/v3/ed-fi/gradeLevelDescriptors", json=GRADE,
                               headers={**SPOOFED, **writer}))
    for reply in replies:
        assert reply.status_code in (200, 201), (reply.request.path, reply.get_data(True)[:300])
    return replies


def _urls_in(reply: Any) -> str:
    return reply.get_data(as_text=True) + "\n" + "\n".join(
        f"{k}: {v}" for k, v in reply.headers.items())


def test_a_spoofed_host_header_never_reaches_a_body_or_header(engine, database_url,
                                                              tmp_path: Path) -> None:
    app = _app(engine, database_url, tmp_path)
    replies = _replies(app, engine)
    for reply in replies:
        assert EVIL not in _urls_in(reply), reply.request.path
    paged = replies[0]
    assert paged.headers["Link"].startswith("<http://localhost/ims/oneroster/v1p1/enrollments?")
    assert "http://localhost/ims/oneroster/v1p1/" in paged.get_data(as_text=True)  # hrefs


def test_public_url_is_the_root_of_every_url_built(engine, database_url,
                                                   tmp_path: Path) -> None:
    root = "https://gateway.district.example/sdg"
    app = _app(engine, database_url, tmp_path, public_url=root + "/")
    replies = _replies(app, engine)
    links = replies[1].headers["Link"]
    assert links.startswith(f"<{root}/ims/oneroster/rostering/v1p2/enrollments?")
    token_urls = [scheme["flows"]["clientCredentials"]["tokenUrl"] for r in replies[2:7]
                  for scheme in r.get_json()["components"]["securitySchemes"].values()
                  if "flows" in scheme]
    assert token_urls == [f"{root}/oauth/token"] * 5
    discovery, metadata = replies[7].get_json(), replies[8].get_json()
    assert discovery["urls"]["dataManagementApi"] == f"{root}/data/v3"
    assert metadata[0]["endpointUri"] == f"{root}/metadata/data/v3/resources/swagger.json"
    assert replies[9].headers["Location"].startswith(f"{root}/data/v3/ed-fi/schools/")
    assert replies[10].headers["Location"].startswith(
        f"{root}/data/v3/ed-fi/gradeLevelDescriptors/")


def test_public_url_comes_from_the_environment_or_gateway_toml(tmp_path: Path) -> None:
    toml = tmp_path / "gateway.toml"
    toml.write_text('[gateway]\npublic_url = "https://from.toml.example"\ntrusted_proxies = 2\n')
    from_file = load_settings({"GATEWAY_CONFIG": str(toml)})
    assert (from_file.public_url, from_file.trusted_proxies) == ("https://from.toml.example", 2)
    from_env = load_settings({"GATEWAY_CONFIG": str(toml),
                              "GATEWAY_PUBLIC_URL": "https://from.env.example/",
                              "GATEWAY_TRUSTED_PROXIES": "0"})
    assert (from_env.public_url, from_env.trusted_proxies) == ("https://from.env.example", 0)


@pytest.mark.parametrize(("setting", "message"), [
    ({"public_url": "gateway.example"}, "public_url must be an absolute"),
    ({"public_url": "ftp://gateway.example"}, "public_url must be an absolute"),
    ({"public_url": "https://gateway.example/?x=1"}, "public_url must be an absolute"),
    ({"public_url": "https://user@gw.example"}, "public_url must be an absolute"),
    ({"trusted_proxies": "-1"}, "trusted_proxies must be greater than 0"),
    ({"trusted_proxies": "some"}, "trusted_proxies must be a whole number"),
])
def test_a_bad_public_url_or_proxy_count_is_a_config_error(setting: dict, message: str,
                                                           tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({}, {"config_path": str(tmp_path / "none.toml"), **setting})


def _echo_client(tmp_path: Path, **config: Any) -> FlaskClient:
    """The real app plus one route that shows what the app believes about the client."""
    app = create_app({"database_url": f"sqlite:///{tmp_path / 'g.db'}",
                      "var_dir": str(tmp_path), **config})
    app.add_url_rule("/_seen", "seen", lambda: {"addr": request.remote_addr,
                                                "scheme": request.scheme})
    return app.test_client()


FORWARDED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}


def test_forwarded_headers_count_only_from_the_configured_proxies(tmp_path: Path) -> None:
    untrusted = _echo_client(tmp_path / "a").get("/_seen", headers=FORWARDED).get_json()
    assert untrusted == {"addr": "127.0.0.1", "scheme": "http"}
    trusted = _echo_client(tmp_path / "b", trusted_proxies=1).get("/_seen",
                                                                  headers=FORWARDED).get_json()
    assert trusted == {"addr": "203.0.113.9", "scheme": "https"}


def test_gateway_serve_without_public_url_uses_the_address_it_listens_on(
        database_url: str, tmp_path: Path) -> None:
    with served_gateway(database_url, tmp_path) as url:
        reply = requests.get(f"{url}/metadata", headers=SPOOFED, timeout=5)
    assert reply.status_code == 200
    assert reply.json()[0]["endpointUri"] == f"{url}/metadata/data/v3/resources/swagger.json"

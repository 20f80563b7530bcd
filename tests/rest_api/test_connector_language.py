"""What a connector file can say, each against a real HTTP server (pytest-httpserver): every
paging style reads every record exactly once, every auth kind signs every request, the
client-side rate limit paces the run, TLS is verified unless the source names its CA, a
rejected record is reported by stream, page URL and position, and a full pull keeps the
mass-delete safeguard (issue 13, sections 1 and 2)."""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import ssl
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pytest_httpserver import HTTPServer
from sqlalchemy import Engine, select
from werkzeug import Request, Response

from adapters.rest_api import RestApiAdapter
from gateway.config import SourceConfig
from gateway.model import ROSTER_TABLES
from gateway.sync.report import RunReport
from gateway.sync.runner import run_sync

PEOPLE = [{"id": n, "login": f"u{n}"} for n in range(7)]
PER_PAGE = 2
ENTITIES = """\
    entities:
      - family: users
        id: {template: "p-{id}"}
        fields:
          enabledUser: {const: true}
          username: login
          givenName: {const: Given}
          familyName: {const: Family}
"""


def connector(tmp_path: Path, paging: str, *, records: str = "data", auth: str = "{type: none}",
              http: str = "{retries: 0, timeout: 5}") -> Path:
    path = tmp_path / "connector.yaml"
    path.write_text(f"version: 1\nname: language\nauth: {auth}\nhttp: {http}\nstreams:\n"
                    f"  - name: people\n    path: /people\n    records: {records}\n"
                    f"    paging: {paging}\n{ENTITIES}", encoding="utf-8")
    return path


def pull(engine: Engine, url: str, path: Path, max_error_share: float = 0.01,
         **options: Any) -> RunReport:
    adapter = RestApiAdapter(connector=str(path), base_url=url, **options)
    source = SourceConfig(name="vendor", adapter="rest-api", max_error_share=max_error_share)
    return run_sync(engine, source, adapter.read(), adapter_name="rest-api")


def stored(engine: Engine) -> dict[str, str]:
    users = ROSTER_TABLES["users"]
    with engine.connect() as conn:
        return dict(conn.execute(select(users.c.sourced_id, users.c.status)).all())


def json_response(body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), content_type="application/json", headers=headers or {})


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    httpserver = HTTPServer(threaded=True)
    httpserver.start()
    yield httpserver
    httpserver.clear()
    httpserver.stop()


def serve_pages(server: HTTPServer, page: Callable[[Request, int], Response]) -> list[str]:
    """Answer /people with `page(request, index of the first record)`; the list of the
    request URLs (the test's view of what the connector sent)."""
    seen: list[str] = []

    def handle(request: Request) -> Response:
        seen.append(request.full_path)
        return page(request, len(seen))

    server.expect_request("/people").respond_with_handler(handle)
    return seen


# -- paging -----------------------------------------------------------------------------------

def _slice(start: int) -> list[dict[str, Any]]:
    return PEOPLE[start:start + PER_PAGE]


def page_number(request: Request, _n: int) -> Response:
    number = int(request.args["page"])
    return json_response({"data": _slice((number - 1) * PER_PAGE)})


def token_in_header(request: Request, _n: int) -> Response:
    start = int(request.args.get("pageToken") or 0)
    more = start + PER_PAGE < len(PEOPLE)
    return json_response(_slice(start),
                         {"Next-Page-Token": str(start + PER_PAGE)} if more else {})


def token_in_body(request: Request, _n: int) -> Response:
    start = int(request.args.get("after") or 0)
    more = start + PER_PAGE < len(PEOPLE)
    return json_response({"data": _slice(start),
                          "meta": {"next": str(start + PER_PAGE) if more else None}})


def link_header(request: Request, _n: int) -> Response:
    start = int(request.args.get("from") or 0)
    more = start + PER_PAGE < len(PEOPLE)
    link = {"Link": f'</people?from={start + PER_PAGE}>; rel="next", </people>; rel="first"'}
    return json_response({"data": _slice(start)}, link if more else {})


def link_in_body(request: Request, _n: int) -> Response:
    start = int(request.args.get("from") or 0)
    more = start + PER_PAGE < len(PEOPLE)
    return json_response({"data": _slice(start),
                          "links": {"next": f"/people?from={start + PER_PAGE}" if more else None}})


PAGING = {
    "page_number": ("{type: page_number, size: 2, size_param: per_page, page_param: page, "
                    "first_page: 1}", "data", page_number),
    "cursor_header": ("{type: cursor, size: 2, size_param: limit, token_header: "
                      "Next-Page-Token, token_param: pageToken}", "'@'", token_in_header),
    "cursor_body": ("{type: cursor, size: 2, size_param: limit, token_path: meta.next, "
                    "token_param: after}", "data", token_in_body),
    "link_header": ("{type: next_link, size: 2, size_param: limit}", "data", link_header),
    "link_body": ("{type: next_link, size: 2, size_param: limit, link_path: links.next}",
                  "data", link_in_body),
}


@pytest.mark.parametrize("style", sorted(PAGING))
def test_every_paging_style_reads_every_record_once(engine: Engine, server: HTTPServer,
                                                     tmp_path: Path, style: str) -> None:
    paging, records, page = PAGING[style]
    seen = serve_pages(server, page)

    report = pull(engine, server.url_for("/"), connector(tmp_path, paging, records=records))

    assert report.state == "applied", report.message
    assert report.family("users").inserted == len(PEOPLE)
    assert sorted(stored(engine)) == sorted(f"p-{p['id']}" for p in PEOPLE)
    assert len(seen) == -(-len(PEOPLE) // PER_PAGE) + (style == "page_number")  # + the empty page
    assert len(set(seen)) == len(seen)  # no page asked for twice


# -- auth -------------------------------------------------------------------------------------

def signed_only(expected: str) -> Callable[[Request, int], Response]:
    def page(request: Request, _n: int) -> Response:
        header, value = expected.split(": ", 1)
        if request.headers.get(header) != value:
            return Response('{"error": "unauthorized"}', status=401,
                            content_type="application/json")
        return json_response({"data": PEOPLE})
    return page


AUTH = {
    "api_key": ("{type: api_key, header: X-Api-Key, prefix: 'Key '}", {"api_key": "k-123"},
                "X-Api-Key: Key k-123"),
    "basic": ("{type: basic}", {"username": "district", "password": "pa:ss"},
              "Authorization: Basic " + base64.b64encode(b"district:pa:ss").decode()),
}


@pytest.mark.parametrize("kind", sorted(AUTH))
def test_every_request_carries_the_configured_credentials(engine: Engine, server: HTTPServer,
                                                         tmp_path: Path, kind: str) -> None:
    auth, credentials, header = AUTH[kind]
    serve_pages(server, signed_only(header))

    report = pull(engine, server.url_for("/"), connector(tmp_path, "{type: none}", auth=auth),
                  **credentials)

    assert report.state == "applied", report.message
    assert len(stored(engine)) == len(PEOPLE)


def test_wrong_credentials_end_the_run_naming_the_status_and_url(
        engine: Engine, server: HTTPServer, tmp_path: Path) -> None:
    auth, _credentials, header = AUTH["api_key"]
    serve_pages(server, signed_only(header))

    report = pull(engine, server.url_for("/"), connector(tmp_path, "{type: none}", auth=auth),
                  api_key="stolen")

    assert report.state == "failed"
    reason = next(i.reason for i in report.issues if i.level == "fatal")
    assert "401" in reason and "/people" in reason
    assert stored(engine) == {}


# -- rate limit ------------------------------------------------------------------------------

def test_the_client_side_rate_limit_paces_the_requests(engine: Engine, server: HTTPServer,
                                                        tmp_path: Path) -> None:
    times: list[float] = []

    def page(request: Request, n: int) -> Response:
        times.append(time.monotonic())
        return page_number(request, n)

    serve_pages(server, page)
    path = connector(tmp_path, PAGING["page_number"][0],
                     http="{retries: 0, timeout: 5, requests_per_second: 8}")

    report = pull(engine, server.url_for("/"), path)

    assert report.state == "applied", report.message
    # The pacer spaces the sends; the server sees the arrivals, each late by its own transit
    # time, so one gap may come out shorter than 1/8 s on a busy machine while the five
    # requests still span four intervals. An unpaced client sends them milliseconds apart.
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(times) == 5, times
    assert times[-1] - times[0] >= 4 / 8 * 0.9 and min(gaps) >= 1 / 8 / 2, gaps


# -- TLS --------------------------------------------------------------------------------------

@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[HTTPServer, Path]]:
    """A server with a certificate of its own making: trusted only where the source says so."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "district test CA")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "ca.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    httpserver = HTTPServer(host="localhost", ssl_context=context)
    httpserver.start()
    yield httpserver, cert_file
    httpserver.clear()
    httpserver.stop()


def test_tls_is_verified_and_a_private_ca_is_trusted_only_when_named(
        engine: Engine, tls_server: tuple[HTTPServer, Path], tmp_path: Path) -> None:
    server, ca = tls_server
    serve_pages(server, lambda _r, _n: json_response({"data": PEOPLE}))
    path = connector(tmp_path, "{type: none}")
    assert server.url_for("/").startswith("https://")

    refused = pull(engine, server.url_for("/"), path)
    trusted = pull(engine, server.url_for("/"), path, ca_bundle=str(ca))

    assert refused.state == "failed"
    reason = next(i.reason for i in refused.issues if i.level == "fatal")
    assert "certificate" in reason.lower() and "/people" in reason
    assert trusted.state == "applied", [i.reason for i in trusted.issues]
    assert len(stored(engine)) == len(PEOPLE)


# -- provenance and safeguards ----------------------------------------------------------------

def test_a_rejected_record_is_named_by_stream_page_url_and_position(
        engine: Engine, server: HTTPServer, tmp_path: Path) -> None:
    people = [dict(p) for p in PEOPLE]
    people[3]["login"] = None  # username is required

    def page(request: Request, _n: int) -> Response:
        start = int(request.args.get("offset", 0))
        return json_response({"data": people[start:start + PER_PAGE], "total": len(people)})

    serve_pages(server, page)
    path = connector(tmp_path, "{type: offset, size: 2, size_param: limit, offset_param: "
                               "offset, total_path: total}")

    report = pull(engine, server.url_for("/"), path, max_error_share=0.5)

    assert report.state == "applied", report.message
    [rejected] = [i for i in report.issues if i.level == "error"]
    assert rejected.file.startswith("people: ") and "/people?" in rejected.file
    assert "offset=2" in rejected.file and rejected.line == 2  # second record of the 2nd page
    assert rejected.field == "username"
    assert "p-3" not in stored(engine) and len(stored(engine)) == len(PEOPLE) - 1


def test_a_full_pull_that_lost_most_records_is_refused_by_the_mass_delete_safeguard(
        engine: Engine, server: HTTPServer, tmp_path: Path) -> None:
    many = [{"id": n, "login": f"u{n}"} for n in range(40)]
    shown = {"people": many}
    serve_pages(server, lambda _r, _n: json_response({"data": shown["people"]}))
    path = connector(tmp_path, "{type: none}")
    assert pull(engine, server.url_for("/"), path).state == "applied"
    before = stored(engine)

    shown["people"] = many[:3]  # an upstream outage that answers with almost nobody
    report = pull(engine, server.url_for("/"), path)

    assert report.state == "refused", (report.state, report.message)
    assert "users" in report.message
    assert stored(engine) == before

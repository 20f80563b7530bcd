"""`gateway lti tools|platforms add|list|remove`: registrations district IT makes, each bad
input a precise error and nothing stored."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner, Result
from joserfc.jwk import RSAKey
from sqlalchemy import func, select

from gateway.auth.lti_registry import LTI_SCOPES, list_platforms, list_tools, load_tool
from gateway.auth.lti_state import secret
from gateway.auth.registry import register_app
from gateway.cli import main
from gateway.lti.signing import TOKENS, unsign
from gateway.model import LtiPlatform, LtiTool
from gateway.policy.agreement import parse_agreement

TOOL = ["--login-url", "https://tool.example/login", "--redirect-uri",
        "https://tool.example/launch", "--jwks-url", "https://tool.example/jwks"]
PLATFORM = ["--issuer", "https://canvas.instructure.com", "--client-id", "10000000000001",
            "--deployment-id", "1:abc", "--auth-url",
            "https://sso.canvaslms.com/api/lti/authorize_redirect", "--token-url",
            "https://district.instructure.com/login/oauth2/token", "--jwks-url",
            "https://sso.canvaslms.com/api/lti/security/jwks"]


@pytest.fixture
def gateway(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "none.toml").write_text("")
    env = {"GATEWAY_DATABASE_URL": database_url, "GATEWAY_VAR_DIR": str(tmp_path / "var"),
           "GATEWAY_CONFIG": str(tmp_path / "none.toml")}

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)

    return run


@pytest.fixture
def app_id(engine) -> str:
    agreement = parse_agreement({"name": "Maths Lab", "purpose": "instruction",
                                 "expires": (date.today() + timedelta(days=90)).isoformat(),
                                 "scopes": ["roster-core.readonly"]})
    return register_app(engine, "Maths Lab", agreement).client_id


def count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_a_tool_is_registered_bound_to_its_app_with_an_unguessable_client_id(
        gateway, engine, app_id):
    result = gateway("lti", "tools", "add", "Maths Lab tool", "--app", app_id, *TOOL,
                     "--custom", "level=9", "--share", "name")
    assert result.exit_code == 0, result.output
    client_id = result.output.split("client_id:")[1].split()[0]
    assert len(client_id) == 32
    tool = load_tool(engine, client_id)
    assert tool.app_client_id == app_id
    assert tool.redirect_uris == ("https://tool.example/launch",)
    assert tool.target_link_uri == "https://tool.example/launch"
    assert tool.custom == {"level": "9"} and tool.share == {"name"}
    assert tool.scopes == frozenset(LTI_SCOPES)
    assert result.output.count(tool.deployment_id) == 1
    listed = gateway("lti", "tools", "list")
    assert client_id in listed.output and "Maths Lab tool" in listed.output
    assert gateway("lti", "tools", "remove", client_id).exit_code == 0
    assert list_tools(engine) == []


@pytest.mark.parametrize(("args", "message"), [
    (["--login-url", "ftp://tool.example/login"], "--login-url: 'ftp://tool.example/login' "
                                                  "must be an absolute https:// URL"),
    (["--login-url", "http://tool.example/login"], "must use https"),
    (["--login-url", "https://tool.example/login#frag"], "must not have a fragment"),
    (["--login-url", "https://user:pw@tool.example/login"], "must not carry a user name"),
    (["--login-url", "login"], "must be an absolute https:// URL"),
    (["--redirect-uri", "https://tool.example/launch"], "a redirect URI is given twice"),
    (["NO-KEYS"], "exactly one of --jwks-url or --public-key"),
    (["--client-id", "has space"], "--client-id: 'has space' must be 1 to 255"),
    (["--custom", "bad name=1"], "names are 1 to 64 letters"),
])
def test_bad_tool_input_is_a_precise_error_and_nothing_is_stored(gateway, engine, app_id, args,
                                                                 message):
    base = list(TOOL)
    if args[0] == "--login-url":
        base[1] = args[1]
        args = []
    elif args == ["NO-KEYS"]:
        base, args = base[:4], []
    result = gateway("lti", "tools", "add", "T", "--app", app_id, *base, *args)
    assert result.exit_code != 0
    assert message in result.output
    assert count(engine, LtiTool) == 0


def test_an_unknown_app_is_named(gateway, engine):
    result = gateway("lti", "tools", "add", "T", "--app", "nope", *TOOL)
    assert result.exit_code == 1
    assert "--app: no app with client id 'nope'" in result.output
    assert count(engine, LtiTool) == 0


def test_a_duplicate_client_id_is_refused_and_the_first_tool_kept(gateway, engine, app_id):
    first = gateway("lti", "tools", "add", "One", "--app", app_id, *TOOL, "--client-id", "abc")
    assert first.exit_code == 0, first.output
    second = gateway("lti", "tools", "add", "Two", "--app", app_id, *TOOL, "--client-id", "abc")
    assert second.exit_code == 1
    assert "a tool with client id 'abc' is already registered" in second.output
    assert [t.name for t in list_tools(engine)] == ["One"]


@pytest.mark.filterwarnings("ignore:Key size should be")
def test_a_public_key_is_kept_as_a_public_jwk_and_a_private_key_is_refused(
        gateway, engine, app_id, tmp_path):
    key = RSAKey.generate_key(2048, private=True)
    public = tmp_path / "tool.pem"
    public.write_bytes(key.as_pem(private=False))
    private = tmp_path / "private.pem"
    private.write_bytes(key.as_pem(private=True))
    base = TOOL[:4]
    refused = gateway("lti", "tools", "add", "T", "--app", app_id, *base, "--public-key",
                      str(private))
    assert refused.exit_code == 1 and "this is a private key" in refused.output
    small = tmp_path / "small.json"
    small.write_text(json.dumps(RSAKey.generate_key(1024, private=False).as_dict()))
    too_small = gateway("lti", "tools", "add", "T", "--app", app_id, *base, "--public-key",
                        str(small))
    assert too_small.exit_code == 1 and "at least 2048 bits" in too_small.output
    assert count(engine, LtiTool) == 0
    ok = gateway("lti", "tools", "add", "T", "--app", app_id, *base, "--public-key", str(public))
    assert ok.exit_code == 0, ok.output
    [tool] = list_tools(engine)
    assert tool.public_jwk["kid"] == key.thumbprint() and "d" not in tool.public_jwk


def test_a_platform_is_registered_listed_and_removed(gateway, engine):
    result = gateway("lti", "platforms", "add", *PLATFORM)
    assert result.exit_code == 0, result.output
    [platform] = list_platforms(engine)
    assert platform.issuer == "https://canvas.instructure.com"
    assert platform.deployment_ids == ("1:abc",)
    assert "10000000000001" in gateway("lti", "platforms", "list").output
    again = gateway("lti", "platforms", "add", *PLATFORM)
    assert again.exit_code == 1
    assert "already has a registration with client id '10000000000001'" in again.output
    removed = gateway("lti", "platforms", "remove", "--issuer",
                      "https://canvas.instructure.com", "--client-id", "10000000000001")
    assert removed.exit_code == 0
    assert list_platforms(engine) == []
    missing = gateway("lti", "platforms", "remove", "--issuer", "https://x.example",
                      "--client-id", "1")
    assert missing.exit_code == 1 and "no platform 'https://x.example'" in missing.output


@pytest.mark.parametrize(("index", "value", "message"), [
    (1, "https://canvas.instructure.com?x=1", "--issuer: 'https://canvas.instructure.com?x=1' "
                                              "must not have a query string"),
    (1, "http://canvas.instructure.com", "must use https"),
    (7, "not a url", "--auth-url: 'not a url' must be"),
    (5, "dup", None),
])
def test_bad_platform_input_is_a_precise_error(gateway, engine, index, value, message):
    args = list(PLATFORM)
    if message is None:
        args[5] = "d1"
        args[4:4] = ["--deployment-id", "d1"]
        message = "a deployment id is given twice"
    else:
        args[index] = value
    result = gateway("lti", "platforms", "add", *args)
    assert result.exit_code != 0
    assert message in result.output
    assert count(engine, LtiPlatform) == 0


def test_plain_http_is_accepted_only_on_loopback(gateway, engine, app_id):
    result = gateway("lti", "tools", "add", "Local", "--app", app_id, "--login-url",
                     "http://127.0.0.1:5001/login", "--redirect-uri",
                     "http://127.0.0.1:5001/launch", "--jwks-url", "http://localhost:5001/jwks")
    assert result.exit_code == 0, result.output


def test_launch_url_mints_a_gateway_link_for_a_registered_tool_only(gateway, engine, app_id):
    added = gateway("lti", "tools", "add", "T", "--app", app_id, *TOOL, "--client-id", "t1")
    assert added.exit_code == 0, added.output
    minted = gateway("lti", "launch-url", "--tool", "t1", "--class", "cls-a", "--user", "u1")
    assert minted.exit_code == 0, minted.output
    link = minted.output.strip()
    assert link.split("?")[0].endswith("/lti/launch")
    payload = unsign(secret(engine, TOKENS), "launch-link", parse_qs(urlsplit(link).query)["t"][0])
    assert (payload["t"], payload["c"], payload["u"], payload["l"]) == ("t1", "cls-a", "u1",
                                                                        "default")
    unknown = gateway("lti", "launch-url", "--tool", "nope", "--class", "c", "--user", "u")
    assert unknown.exit_code == 1 and "--tool: no tool with client id 'nope'" in unknown.output

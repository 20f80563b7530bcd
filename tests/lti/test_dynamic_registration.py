"""LTI Dynamic Registration 1.0 with the gateway as the platform: district IT mints a one-time
registration URL for an app; the tool (a small DR client of the test's own, as pylti1p3 2.0.0
has none) reads the OpenID configuration, checks the issuer, registers; the registered tool is
then launched and gets service tokens with the JWK Set it serves on loopback. Both backends."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest
from click.testing import CliRunner
from joserfc.jwk import RSAKey
from sqlalchemy import func, select

from gateway.auth.lti_registry import LTI_SCOPES, load_tool
from gateway.cli import main
from gateway.model import LtiTool
from tests.lti.conftest import NRPS

TOOL_CONFIG = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIG = "https://purl.imsglobal.org/spec/lti-platform-configuration"
INITIATION = "https://tool.example/register"


def registration_url(lti) -> str:
    env = {"GATEWAY_DATABASE_URL": lti.engine.url.render_as_string(hide_password=False)}
    result = CliRunner().invoke(main, ["lti", "tools", "registration-url", "--app",
                                       lti.app_client_id, "--initiation-url", INITIATION],
                                env=env)
    assert result.exit_code == 0, result.output
    return result.output.strip()


def request_body(jwks_uri: str, **changes) -> dict:
    body = {
        "application_type": "web", "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": "https://tool.example/login",
        "redirect_uris": ["https://tool.example/launch"], "client_name": "Fraction Lab",
        "jwks_uri": jwks_uri, "token_endpoint_auth_method": "private_key_jwt",
        "scope": f"{NRPS} https://purl.imsglobal.org/spec/lti-ags/scope/score openid",
        TOOL_CONFIG: {"domain": "tool.example", "target_link_uri":
                      "https://tool.example/launch", "custom_parameters": {"level": "2"},
                      "claims": ["iss", "sub", "name", "given_name"],
                      "messages": [{"type": "LtiDeepLinkingRequest"}]},
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def discover(lti) -> tuple[dict, str]:
    """The tool's first steps: open the initiation URL's parameters, read the configuration,
    check that the issuer lives where the configuration does (DR 3.5.1)."""
    params = dict(parse_qsl(urlsplit(registration_url(lti)).query))
    config_url = params["openid_configuration"]
    config = lti.client.get(urlsplit(config_url).path).get_json()
    assert urlsplit(config["issuer"]).hostname == urlsplit(config_url).hostname
    return config, params["registration_token"]


def register(lti, config: dict, token: str, body: dict):
    return lti.client.post(urlsplit(config["registration_endpoint"]).path, data=json.dumps(body),
                           content_type="application/json",
                           headers={"Authorization": f"Bearer {token}"})


def tools(lti) -> int:
    with lti.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(LtiTool)).scalar_one()


def test_the_openid_configuration_describes_the_platform(lti):
    config = lti.client.get("/.well-known/openid-configuration").get_json()
    assert config["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]
    assert config["subject_types_supported"] == ["pairwise"]
    assert set(LTI_SCOPES) <= set(config["scopes_supported"])
    assert config["registration_endpoint"].endswith("/lti/register")
    types = {m["type"] for m in config[PLATFORM_CONFIG]["messages_supported"]}
    assert types == {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}


def test_a_tool_registers_once_and_is_then_launched_and_served(lti, httpserver, other_key):
    httpserver.expect_request("/jwks").respond_with_json(
        {"keys": [other_key.as_dict(private=False, kid=other_key.thumbprint(), alg="RS256",
                                    use="sig")]})
    config, token = discover(lti)
    answer = register(lti, config, token, request_body(httpserver.url_for("/jwks")))
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    tool = load_tool(lti.engine, body["client_id"])
    assert tool is not None and tool.name == "Fraction Lab"
    assert tool.app_client_id == lti.app_client_id  # under the app's agreement
    assert body[TOOL_CONFIG]["deployment_id"] == tool.deployment_id
    assert body["scope"].split() == sorted([NRPS, "https://purl.imsglobal.org/spec/lti-ags/"
                                                  "scope/score"])
    assert tool.custom == {"level": "2"} and tool.share == frozenset({"name"})

    again = register(lti, config, token, request_body(httpserver.url_for("/jwks")))
    assert again.status_code == 401 and "used already" in again.get_json()["error_description"]
    assert tools(lti) == 2  # the fixture's tool and this one

    # the registered tool is launched, and gets a service token signed with its served key
    lti.tool, lti.key = tool, other_key
    claims = lti.launch("stu-a1")
    assert claims["aud"] == tool.client_id and claims["given_name"] == "Ana"
    assert lti.token_response(lti.assertion()).status_code == 200


@pytest.mark.parametrize("changes, reason", [
    ({"token_endpoint_auth_method": "client_secret_basic"}, "must be private_key_jwt"),
    ({"grant_types": ["implicit"]}, "must include implicit and client_credentials"),
    ({TOOL_CONFIG: None}, "lti-tool-configuration: required"),
    ({"initiate_login_uri": "http://tool.example/login"}, "must use https"),
    ({"redirect_uris": "https://tool.example/launch"}, "redirect_uris: a list of strings"),
])
def test_bad_registrations_are_refused_and_the_token_stays_usable(lti, changes, reason):
    config, token = discover(lti)
    refused = register(lti, config, token, request_body("https://tool.example/jwks",
                                                        **changes))
    assert refused.status_code == 400
    assert refused.get_json()["error"] == "invalid_client_metadata"
    assert reason in refused.get_json()["error_description"]
    assert tools(lti) == 1
    assert register(lti, config, token,
                    request_body("https://tool.example/jwks")).status_code == 200


def test_a_forged_or_missing_registration_token_is_refused(lti, tool_key: RSAKey):
    config, token = discover(lti)
    for bad in ("", token[:-2] + "xx"):
        refused = register(lti, config, bad, request_body("https://tool.example/jwks"))
        assert refused.status_code == 401 and refused.get_json()["error"] == "invalid_token"
    assert tools(lti) == 1

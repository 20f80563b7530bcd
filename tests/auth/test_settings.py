"""The authorization server's settings: GATEWAY_* variables over gateway.toml over defaults."""

from __future__ import annotations

import pytest

from gateway.config import ConfigError, load_settings


def test_defaults(tmp_path):
    settings = load_settings(environ={}, overrides={"config_path": tmp_path / "x.toml"})
    assert settings.issuer == settings.audience == "http://localhost:8000"
    assert settings.token_lifetime == 3600
    assert settings.token_rate_limit == 60
    assert settings.oauth1_key_file is None


def test_environment_sets_issuer_lifetime_and_limit(tmp_path):
    env = {"GATEWAY_ISSUER": "https://gw.example.org/", "GATEWAY_TOKEN_LIFETIME": "600",
           "GATEWAY_TOKEN_RATE_LIMIT": "10", "GATEWAY_AUDIENCE": "https://api.example.org"}
    settings = load_settings(environ=env, overrides={"config_path": tmp_path / "x.toml"})
    assert settings.issuer == "https://gw.example.org"
    assert settings.audience == "https://api.example.org"
    assert (settings.token_lifetime, settings.token_rate_limit) == (600, 10)


def test_the_file_sets_them_and_the_environment_wins(tmp_path):
    path = tmp_path / "gateway.toml"
    path.write_text('[gateway]\nissuer = "https://file.example.org"\ntoken_lifetime = 900\n'
                    'oauth1_key_file = "secrets/oauth1.key"\n', encoding="utf-8")
    settings = load_settings(environ={"GATEWAY_TOKEN_LIFETIME": "300"},
                             overrides={"config_path": path})
    assert settings.issuer == settings.audience == "https://file.example.org"
    assert settings.token_lifetime == 300
    assert settings.oauth1_key_file == tmp_path / "secrets" / "oauth1.key"


@pytest.mark.parametrize("value", ["soon", "0", "-5", "1.5"])
def test_a_bad_lifetime_is_named(tmp_path, value):
    with pytest.raises(ConfigError, match=f"token_lifetime .*{value!r}"):
        load_settings(environ={"GATEWAY_TOKEN_LIFETIME": value},
                      overrides={"config_path": tmp_path / "x.toml"})

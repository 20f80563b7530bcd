"""The app registry and the `gateway apps` / `gateway keys` commands district IT runs."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from gateway.auth.registry import (
    RegistryError,
    disable_app,
    list_apps,
    new_client_id,
    register_app,
    rotate_secret,
)
from gateway.auth.secret_hash import verify_secret
from gateway.cli import main
from gateway.model import App, SigningKey
from gateway.policy.agreement import Agreement, AgreementError, parse_agreement

AGREEMENT = """\
name = "Reading Buddy 2026"
purpose = "{purpose}"
expires = "{expires}"
scopes = ["roster-core.readonly"]
"""


def stored_hash(engine, client_id: str) -> str:
    with engine.connect() as conn:
        return conn.execute(select(App.secret_hash).where(App.client_id == client_id)).scalar()


def an_agreement(**overrides) -> Agreement:
    raw = {"name": "Maths Lab", "purpose": "instruction",
           "expires": (date.today() + timedelta(days=30)).isoformat(),
           "scopes": ["roster.readonly"], **overrides}
    return parse_agreement(raw)


def test_secret_is_high_entropy_and_stored_only_as_a_salted_scrypt_hash(engine):
    client_id, secret = register_app(engine, "Maths Lab", an_agreement())
    stored = stored_hash(engine, client_id)
    assert len(secret) >= 43  # 256 bits, URL-safe base64
    assert secret not in stored
    assert stored.startswith("scrypt$")
    assert verify_secret(secret, stored)
    assert not verify_secret(secret + "x", stored)


def test_two_apps_never_share_ids_or_hashes(engine):
    first = register_app(engine, "One", an_agreement())
    second = register_app(engine, "Two", an_agreement())
    assert first.client_id != second.client_id
    assert stored_hash(engine, first.client_id) != stored_hash(engine, second.client_id)


def test_a_forbidden_purpose_is_refused_even_when_built_by_hand(engine):
    sneaky = Agreement(name="Ads", purpose="advertising", expires=date(2030, 1, 1),
                       scopes=frozenset(), schools=None)
    with pytest.raises(AgreementError, match="advertising"):
        register_app(engine, "Ad Network", sneaky)
    assert list_apps(engine) == []


def test_list_shows_each_app_with_its_agreement(engine):
    client_id, _ = register_app(engine, "Maths Lab", an_agreement())
    [summary] = list_apps(engine)
    assert (summary.client_id, summary.name, summary.agreement, summary.purpose) == (
        client_id, "Maths Lab", "Maths Lab", "instruction")
    assert summary.disabled is False and summary.oauth1 is False


def test_rotation_replaces_the_secret(engine):
    client_id, old = register_app(engine, "Maths Lab", an_agreement())
    new = rotate_secret(engine, client_id)
    assert new != old
    assert verify_secret(new, stored_hash(engine, client_id))
    assert not verify_secret(old, stored_hash(engine, client_id))


def test_rotating_an_oauth1_apps_secret_needs_the_vault(engine, vault):
    client_id, _ = register_app(engine, "Maths Lab", an_agreement(), oauth1=vault)
    with pytest.raises(RegistryError, match="OAuth 1.0a"):
        rotate_secret(engine, client_id)


def test_unknown_client_ids_are_named_in_the_error(engine):
    with pytest.raises(RegistryError, match="no app with client id 'ghost'"):
        disable_app(engine, "ghost")
    with pytest.raises(RegistryError, match="ghost"):
        rotate_secret(engine, "ghost")


# --- the commands -----------------------------------------------------------------------------


@pytest.fixture
def gateway(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    env = {"GATEWAY_DATABASE_URL": database_url, "GATEWAY_VAR_DIR": str(tmp_path / "var")}

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)

    return run


def write_agreement(tmp_path: Path, purpose: str = "instruction") -> Path:
    path = tmp_path / f"{purpose}.toml"
    expires = (date.today() + timedelta(days=30)).isoformat()
    path.write_text(AGREEMENT.format(purpose=purpose, expires=expires), encoding="utf-8")
    return path


def added(result: Result) -> tuple[str, str]:
    client_id = re.search(r"client_id:\s+(\S+)", result.output).group(1)
    secret = re.search(r"client_secret:\s+(\S+)", result.output).group(1)
    return client_id, secret


def test_apps_add_prints_the_credentials_once(gateway, tmp_path, engine):
    result = gateway("apps", "add", "Reading Buddy", "--agreement",
                     str(write_agreement(tmp_path)))
    assert result.exit_code == 0, result.output
    client_id, secret = added(result)
    assert verify_secret(secret, stored_hash(engine, client_id))
    listing = gateway("apps", "list")
    assert client_id in listing.output and "Reading Buddy" in listing.output
    assert secret not in listing.output


def test_apps_add_refuses_a_forbidden_purpose_with_the_agreement_message(gateway, tmp_path,
                                                                          engine):
    path = write_agreement(tmp_path, purpose="marketing")
    result = gateway("apps", "add", "Ad Network", "--agreement", str(path))
    assert result.exit_code == 1
    assert f"{path}: purpose 'marketing' cannot be registered" in result.output
    assert list_apps(engine) == []


def test_apps_add_names_a_missing_agreement_file(gateway, tmp_path):
    result = gateway("apps", "add", "X", "--agreement", str(tmp_path / "nope.toml"))
    assert result.exit_code == 1
    assert "nope.toml: no such file" in result.output


def test_apps_add_with_oauth1_creates_the_key_file(gateway, tmp_path, engine):
    result = gateway("apps", "add", "Legacy SIS Reader", "--agreement",
                     str(write_agreement(tmp_path)), "--oauth1")
    assert result.exit_code == 0, result.output
    key_file = tmp_path / "var" / "oauth1.key"
    assert key_file.exists() and key_file.stat().st_mode & 0o077 == 0
    assert "oauth1" in gateway("apps", "list").output


def test_rotate_secret_and_disable_commands(gateway, tmp_path, engine):
    client_id, old = added(gateway("apps", "add", "Reading Buddy", "--agreement",
                                   str(write_agreement(tmp_path))))
    rotated = gateway("apps", "rotate-secret", client_id)
    assert rotated.exit_code == 0, rotated.output
    new = re.search(r"client_secret:\s+(\S+)", rotated.output).group(1)
    assert new != old and verify_secret(new, stored_hash(engine, client_id))
    assert gateway("apps", "disable", client_id).exit_code == 0
    assert list_apps(engine)[0].disabled is True
    assert "disabled" in gateway("apps", "list").output


def test_commands_name_an_unknown_client_id(gateway):
    result = gateway("apps", "disable", "ghost")
    assert result.exit_code == 1
    assert "no app with client id 'ghost'" in result.output


def test_keys_rotate_retires_the_old_key_for_one_token_lifetime(gateway, engine, client):
    client.get("/.well-known/jwks.json")  # first use makes the first key
    result = gateway("keys", "rotate")
    assert result.exit_code == 0, result.output
    with engine.connect() as conn:
        rows = conn.execute(select(SigningKey.kid, SigningKey.retired_at,
                                   SigningKey.accept_until).order_by(SigningKey.id)).all()
    (old_kid, retired, until), (new_kid, new_retired, _) = rows
    assert new_kid in result.output and new_retired is None
    assert (until - retired).total_seconds() == 3600
    published = {k["kid"] for k in client.get("/.well-known/jwks.json").json["keys"]}
    assert published == {old_kid, new_kid}


def test_a_client_id_can_be_typed_as_a_cli_argument() -> None:
    """Client ids go on district IT's command lines (`gateway apps terminate ID`): one that
    began with '-' was read as an option (seen: `-RjzGErNHWqiO1dS`)."""
    ids = {new_client_id() for _ in range(5000)}
    assert len(ids) == 5000
    assert all(re.fullmatch(r"[a-z2-7]{16}", client_id) for client_id in ids)

"""Staff accounts: created, listed and removed from the command line, passwords kept only as
argon2id hashes, and every change in the audit log with who and when."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from gateway.auth.audit import recent
from gateway.auth.staff import StaffError, add_staff, authenticate, remove_staff
from gateway.cli import main
from gateway.model import StaffAccount


def _gateway(database_url: str, tmp_path, *args: str, stdin: str | None = None):  # noqa: ANN202
    config = tmp_path / "gateway.toml"
    config.write_text(f'[gateway]\nvar_dir = "var"\ndatabase_url = "{database_url}"\n')
    return CliRunner().invoke(main, list(args), input=stdin,
                              env={"GATEWAY_CONFIG": str(config)})


def test_admins_are_added_listed_and_removed_from_the_command_line(engine, database_url,
                                                                   tmp_path):
    added = _gateway(database_url, tmp_path, "admins", "add", "ada", "--password-stdin",
                     stdin="a long enough password\n")
    assert added.exit_code == 0, added.output
    auditor = _gateway(database_url, tmp_path, "admins", "add", "aud", "--role", "auditor",
                       stdin="another long password\nanother long password\n")
    assert auditor.exit_code == 0, auditor.output
    listed = _gateway(database_url, tmp_path, "admins", "list")
    assert "ada" in listed.output and "administrator" in listed.output
    assert "aud" in listed.output and "auditor" in listed.output
    removed = _gateway(database_url, tmp_path, "admins", "remove", "aud")
    assert removed.exit_code == 0, removed.output
    assert "aud " not in _gateway(database_url, tmp_path, "admins", "list").output
    actions = [(c.actor, c.action, c.target) for c in recent(engine)]
    assert ("cli", "staff.remove", "aud") in actions and ("cli", "staff.add", "ada") in actions


def test_a_short_password_or_an_unknown_role_is_refused_with_a_reason(engine, database_url,
                                                                      tmp_path):
    short = _gateway(database_url, tmp_path, "admins", "add", "bob", "--password-stdin",
                     stdin="short\n")
    assert short.exit_code == 1 and "at least 12 characters" in short.output
    with pytest.raises(StaffError, match="role must be one of"):
        add_staff(engine, "bob", "a long enough password", "superuser", actor="test")


def test_passwords_are_stored_only_as_argon2id_hashes(engine):
    add_staff(engine, "ada", "a long enough password", "administrator", actor="test")
    with engine.connect() as conn:
        stored = conn.execute(select(StaffAccount.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and "a long enough password" not in stored
    assert authenticate(engine, "ada", "a long enough password") is not None
    assert authenticate(engine, "ada", "a long enough passwore") is None
    assert authenticate(engine, "nobody", "a long enough password") is None


def test_the_last_administrator_cannot_be_removed(engine):
    add_staff(engine, "ada", "a long enough password", "administrator", actor="test")
    with pytest.raises(StaffError, match="last administrator"):
        remove_staff(engine, "ada", actor="test")

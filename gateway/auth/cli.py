"""`gateway apps ...` and `gateway keys ...`: district IT registers apps, hands over their
credentials, rotates secrets and signing keys, and switches apps off.

Names, agreement titles and purposes are text someone typed into a file; they are printed
through `shown` (gateway.safe_text.terminal) so that none can forge a line or drive the terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy import Engine

from gateway.auth.audit import CLI_ACTOR
from gateway.auth.keys import rotate_keys
from gateway.auth.oauth1_vault import OAuth1Vault, VaultError, vault_path
from gateway.auth.registry import (
    RegistryError,
    disable_app,
    list_apps,
    register_app,
    rotate_secret,
)
from gateway.auth.staff import ROLES, StaffError, add_staff, list_staff, remove_staff
from gateway.config import ConfigError, Settings, load_settings
from gateway.policy.agreement import AgreementError, load_agreement
from gateway.policy.agreement_end import (
    AgreementEndError,
    certifications,
    certify,
    request_for_expired,
    terminate,
)
from gateway.safe_text import terminal as shown
from gateway.store.session import open_store


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        raise click.ClickException(shown(exc)) from None


@contextmanager
def _store(settings: Settings) -> Any:
    engine = open_store(settings)
    try:
        yield engine
    except (RegistryError, AgreementError, VaultError) as exc:
        raise click.ClickException(shown(exc)) from None
    finally:
        engine.dispose()


def _with_store(action: Callable[[Settings, Engine], None]) -> None:
    settings = _settings()
    with _store(settings) as engine:
        action(settings, engine)


@click.group()
def apps() -> None:
    """Apps (OAuth clients) and their data-sharing agreements."""


@apps.command("add")
@click.argument("name")
@click.option("--agreement", "agreement_file", required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="The app's data-sharing agreement (TOML).")
@click.option("--oauth1", is_flag=True,
              help="Also let the app sign OneRoster 1.1 requests with OAuth 1.0a.")
def apps_add(name: str, agreement_file: Path, oauth1: bool) -> None:
    """Register NAME; prints its client id and secret once: hand them over securely."""
    try:
        agreement = load_agreement(agreement_file)
    except AgreementError as exc:
        raise click.ClickException(shown(exc)) from None

    def add(settings: Settings, engine: Engine) -> None:
        vault = OAuth1Vault(vault_path(settings)) if oauth1 else None
        client_id, secret = register_app(engine, name, agreement, oauth1=vault)
        click.echo(f"client_id:     {client_id}")
        click.echo(f"client_secret: {secret}")
        click.echo("The secret is shown only now; the gateway keeps only its hash.", err=True)

    _with_store(add)


@apps.command("list")
def apps_list() -> None:
    """Every registered app, its agreement and whether it is active."""

    def show(settings: Settings, engine: Engine) -> None:
        for app in list_apps(engine):
            state = "disabled" if app.disabled else "active"
            extra = ", oauth1" if app.oauth1 else ""
            click.echo(shown(f"{app.client_id}  {app.name}  [{state}{extra}]  agreement "
                             f"{app.agreement!r} ({app.purpose}) expires "
                             f"{app.expires.isoformat()}"))

    _with_store(show)


@apps.command("rotate-secret")
@click.argument("client_id")
def apps_rotate_secret(client_id: str) -> None:
    """Give CLIENT_ID a new secret; the old one stops working at once."""

    def rotate(settings: Settings, engine: Engine) -> None:
        secret = rotate_secret(engine, client_id, oauth1=OAuth1Vault(vault_path(settings)))
        click.echo(f"client_secret: {secret}")

    _with_store(rotate)


@apps.command("disable")
@click.argument("client_id")
def apps_disable(client_id: str) -> None:
    """Switch CLIENT_ID off: no new tokens, and its tokens stop working within seconds."""

    def disable(settings: Settings, engine: Engine) -> None:
        disable_app(engine, client_id)
        click.echo(f"disabled {shown(client_id)}")

    _with_store(disable)


@click.group()
def keys() -> None:
    """Token signing keys."""


@keys.command("rotate")
def keys_rotate() -> None:
    """A new key signs from now; the old one is still accepted until its last token expires."""

    def rotate(settings: Settings, engine: Engine) -> None:
        kid = rotate_keys(engine, settings.token_lifetime)
        click.echo(f"signing with key {kid}; the previous key stays published for "
                   f"{settings.token_lifetime} s")

    _with_store(rotate)


@click.group()
def admins() -> None:
    """Staff accounts of the district console (administrators change, auditors read)."""


@admins.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), default="administrator", show_default=True)
@click.option("--password-stdin", is_flag=True,
              help="Read the password from standard input (one line) instead of prompting.")
def admins_add(username: str, role: str, password_stdin: bool) -> None:
    """Create USERNAME; the password is asked for twice (never an argument: it would stay in
    the shell's history and the process list)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)

    def add(settings: Settings, engine: Engine) -> None:
        try:
            staff = add_staff(engine, username, password, role, actor=CLI_ACTOR)
        except StaffError as exc:
            raise click.ClickException(shown(exc)) from None
        click.echo(shown(f"added {staff.username} ({staff.role})"))

    _with_store(add)


@admins.command("list")
def admins_list() -> None:
    """Every staff account and its role."""

    def show(settings: Settings, engine: Engine) -> None:
        for staff in list_staff(engine):
            click.echo(shown(f"{staff.username:<32} {staff.role:<14} "
                             f"since {staff.created_at:%Y-%m-%d}"))

    _with_store(show)


@admins.command("remove")
@click.argument("username")
def admins_remove(username: str) -> None:
    """Remove USERNAME; its sessions end at once."""

    def remove(settings: Settings, engine: Engine) -> None:
        try:
            remove_staff(engine, username, actor=CLI_ACTOR)
        except StaffError as exc:
            raise click.ClickException(shown(exc)) from None
        click.echo(shown(f"removed {username}"))

    _with_store(remove)


@apps.command("terminate")
@click.argument("client_id")
@click.option("--reason", help="Why, for the audit log.")
def apps_terminate(client_id: str, reason: str | None) -> None:
    """End CLIENT_ID's agreement now: no token, launch or service call from now on, and its
    deletion certificate is requested."""

    def end(settings: Settings, engine: Engine) -> None:
        try:
            terminate(engine, client_id, settings.deletion_certification_days, reason=reason)
        except AgreementEndError as exc:
            raise click.ClickException(shown(exc)) from None
        click.echo(shown(f"terminated {client_id}; deletion certificate due within "
                         f"{settings.deletion_certification_days} days"))

    _with_store(end)


@apps.command("certify")
@click.argument("client_id")
@click.option("--date", "certified_on", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="The date on the vendor's certificate.")
@click.option("--signer", required=True, help="Who signed it for the vendor.")
@click.option("--method", required=True, help="How the data was deleted.")
def apps_certify(client_id: str, certified_on: datetime, signer: str, method: str) -> None:
    """Record the vendor's certificate that CLIENT_ID's data was deleted."""

    def record_it(settings: Settings, engine: Engine) -> None:
        try:
            certify(engine, client_id, certified_on.date(), signer, method)
        except AgreementEndError as exc:
            raise click.ClickException(shown(exc)) from None
        click.echo(shown(f"deletion certified for {client_id}"))

    _with_store(record_it)


@apps.command("certifications")
def apps_certifications() -> None:
    """Deletion certificates requested at agreements' end; overdue ones are flagged."""

    def show(settings: Settings, engine: Engine) -> None:
        request_for_expired(engine, settings.deletion_certification_days)
        today = datetime.now(UTC).date()
        for cert in certifications(engine):
            state = (f"certified {cert.certified_on} by {cert.signer} ({cert.method})"
                     if cert.certified_on else
                     ("OVERDUE, " if cert.overdue(today) else "") + f"due {cert.due_on}")
            click.echo(shown(f"{cert.client_id}  {cert.app_name}  requested "
                             f"{cert.requested_on}  {state}"))

    _with_store(show)

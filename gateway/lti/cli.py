"""`gateway lti platforms|tools add|list|remove` and `gateway lti launch-url`: district IT
registers LMSs and learning tools, and mints a launch link for a user in a class.

Everything printed that came from input goes through `shown`, like every other command."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy import Engine

from gateway.auth.lti_grade_state import forward_statuses
from gateway.auth.lti_registry import (
    LTI_SCOPES,
    SHAREABLE,
    LtiRegistryError,
    add_platform,
    add_tool,
    list_platforms,
    list_tools,
    load_tool,
    open_registry,
    remove_platform,
    remove_tool,
)
from gateway.auth.lti_relay_state import CONTEXT, USER, list_unmatched, map_by_hand
from gateway.auth.lti_state import secret
from gateway.auth.registry import list_apps
from gateway.config import ConfigError, Settings, load_settings
from gateway.lti.signing import TOKENS
from gateway.safe_text import terminal as shown


@contextmanager
def _registry() -> Iterator[tuple[Settings, Engine]]:
    try:
        settings = load_settings()
    except ConfigError as exc:
        raise click.ClickException(shown(exc)) from None
    engine = open_registry(settings)
    try:
        yield settings, engine
    except LtiRegistryError as exc:
        raise click.ClickException(shown(exc)) from None
    finally:
        engine.dispose()


def _run(action: Callable[[Settings, Engine], None]) -> None:
    with _registry() as (settings, engine):
        action(settings, engine)


@click.group()
def lti() -> None:
    """LTI 1.3: learning tools the gateway launches, LMSs that launch the gateway."""


@lti.group()
def tools() -> None:
    """Learning tools, each bound to an app whose agreement governs what it receives."""


def _custom(pairs: tuple[str, ...]) -> dict[str, str]:
    found: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{shown(pair)!s}: write NAME=VALUE", param_hint="--custom")
        found[name] = value
    return found


@tools.command("add")
@click.argument("name")
@click.option("--app", "app_client_id", required=True,
              help="Client id of the app (and so the agreement) the tool works under.")
@click.option("--login-url", required=True, help="The tool's OIDC login initiation URL.")
@click.option("--redirect-uri", "redirect_uris", multiple=True, required=True,
              help="A launch URL that may receive id_tokens (repeat for several).")
@click.option("--target-link-uri", help="Default launch target (default: first redirect URI).")
@click.option("--jwks-url", help="The tool's JWK Set URL (for its service token requests).")
@click.option("--public-key", "public_key_file", type=click.Path(dir_okay=False,
              path_type=Path), help="Or the tool's RSA public key, a PEM or JWK file.")
@click.option("--deployment-id", help="Default: a new random id.")
@click.option("--client-id", help="Default: a new random, unguessable id.")
@click.option("--custom", "custom", multiple=True, metavar="NAME=VALUE",
              help="A custom parameter sent with every launch (repeatable).")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(LTI_SCOPES),
              help="A service scope the tool may request (default: NRPS and every AGS scope).")
@click.option("--share", multiple=True, type=click.Choice(SHAREABLE),
              help="Identity claims to send where the agreement grants them (default: none).")
def tools_add(name: str, app_client_id: str, login_url: str, redirect_uris: tuple[str, ...],
              target_link_uri: str | None, jwks_url: str | None, public_key_file: Path | None,
              deployment_id: str | None, client_id: str | None, custom: tuple[str, ...],
              scopes: tuple[str, ...], share: tuple[str, ...]) -> None:
    """Register the tool NAME; prints the client id and deployment id to configure it with."""
    public_key = None
    if public_key_file is not None:
        try:
            public_key = public_key_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise click.ClickException(f"--public-key: cannot read {shown(public_key_file)}: "
                                       f"{shown(exc)}") from None
    pairs = _custom(custom)

    def add(settings: Settings, engine: Engine) -> None:
        tool = add_tool(engine, name, app_client_id=app_client_id, login_url=login_url,
                        redirect_uris=list(redirect_uris), target_link_uri=target_link_uri,
                        jwks_url=jwks_url, public_key=public_key, deployment_id=deployment_id,
                        client_id=client_id, custom=pairs,
                        scopes=list(scopes) if scopes else None, share=list(share))
        issuer = settings.issuer
        click.echo(f"client_id:      {shown(tool.client_id)}")
        click.echo(f"deployment_id:  {shown(tool.deployment_id)}")
        click.echo(f"issuer:         {shown(issuer)}")
        click.echo(f"auth_login_url: {shown(issuer)}/lti/authorize")
        click.echo(f"auth_token_url: {shown(issuer)}/lti/token")
        click.echo(f"key_set_url:    {shown(issuer)}/.well-known/jwks.json")

    _run(add)


@tools.command("list")
def tools_list() -> None:
    """Every registered tool, its app and what it may receive."""

    def show(settings: Settings, engine: Engine) -> None:
        for tool in list_tools(engine):
            kid = (tool.public_jwk or {}).get("kid", "?")
            keys = tool.jwks_url or f"public key {kid}"
            click.echo(shown(
                f"{tool.client_id}  {tool.name}  app {tool.app_client_id}  deployment "
                f"{tool.deployment_id}  login {tool.login_url}  redirect "
                f"{' '.join(tool.redirect_uris)}  keys {keys}  share "
                f"{','.join(sorted(tool.share)) or '-'}  scopes {len(tool.scopes)}"))

    _run(show)


@tools.command("remove")
@click.argument("client_id")
def tools_remove(client_id: str) -> None:
    """Remove the tool CLIENT_ID; its pending launches and contexts go with it."""

    def remove(settings: Settings, engine: Engine) -> None:
        remove_tool(engine, client_id)
        click.echo(f"removed tool {shown(client_id)}")

    _run(remove)


@lti.group()
def platforms() -> None:
    """LMSs (Canvas, Schoology, Moodle, Brightspace) the gateway is registered with as a tool."""


@platforms.command("add")
@click.option("--issuer", required=True, help="The LMS issuer, exactly as in its id_tokens.")
@click.option("--client-id", required=True, help="The client id the LMS gave the gateway.")
@click.option("--deployment-id", "deployment_ids", multiple=True, required=True,
              help="A deployment id of the gateway in that LMS (repeatable).")
@click.option("--auth-url", required=True, help="The LMS OIDC authorization endpoint.")
@click.option("--token-url", required=True, help="The LMS OAuth2 token endpoint.")
@click.option("--jwks-url", required=True, help="The LMS JWK Set URL.")
@click.option("--frame-ancestor", "frame_ancestors", multiple=True,
              help="An origin that may frame the gateway's pages of this LMS's launches "
                   "(repeatable; default: the issuer's origin).")
def platforms_add(issuer: str, client_id: str, deployment_ids: tuple[str, ...], auth_url: str,
                  token_url: str, jwks_url: str, frame_ancestors: tuple[str, ...]) -> None:
    """Register an LMS the gateway is a tool for."""

    def add(settings: Settings, engine: Engine) -> None:
        platform = add_platform(engine, issuer=issuer, client_id=client_id,
                                deployment_ids=list(deployment_ids), auth_url=auth_url,
                                token_url=token_url, jwks_url=jwks_url,
                                frame_ancestors=list(frame_ancestors))
        click.echo(shown(f"registered platform {platform.issuer} client {platform.client_id}"))

    _run(add)


@platforms.command("list")
def platforms_list() -> None:
    """Every registered LMS."""

    def show(settings: Settings, engine: Engine) -> None:
        for p in list_platforms(engine):
            click.echo(shown(f"{p.issuer}  client {p.client_id}  deployments "
                             f"{','.join(p.deployment_ids)}  auth {p.auth_url}  token "
                             f"{p.token_url}  jwks {p.jwks_url}"))

    _run(show)


@platforms.command("remove")
@click.option("--issuer", required=True)
@click.option("--client-id", required=True)
def platforms_remove(issuer: str, client_id: str) -> None:
    """Remove an LMS registration."""

    def remove(settings: Settings, engine: Engine) -> None:
        remove_platform(engine, issuer, client_id)
        click.echo(shown(f"removed platform {issuer} client {client_id}"))

    _run(remove)


@platforms.command("registration-url")
@click.option("--minutes", default=60, show_default=True, type=click.IntRange(1, 60 * 24))
def platforms_registration_url(minutes: int) -> None:
    """Print a one-time URL to give an LMS as the gateway's LTI Dynamic Registration URL:
    opened by the LMS, it registers the gateway as its tool and keeps the LMS registration.
    Valid for MINUTES, usable once."""

    def mint(settings: Settings, engine: Engine) -> None:
        from gateway.lti.lms_registration import registration_url  # noqa: PLC0415

        click.echo(registration_url(secret(engine, TOKENS),
                                    settings.public_url or settings.issuer, minutes * 60))

    _run(mint)


@lti.command("launch-url")
@click.option("--tool", "tool_client_id", required=True, help="The tool's client id.")
@click.option("--class", "class_id", required=True, help="The class's sourcedId.")
@click.option("--user", "user_id", required=True, help="The user's sourcedId.")
@click.option("--link", default="default", show_default=True,
              help="Names the resource link within the class (its id is derived from it).")
@click.option("--minutes", default=60, show_default=True, type=click.IntRange(1, 60 * 24 * 7))
@click.option("--deep-linking", is_flag=True,
              help="A teacher's link to pick content from the tool for the class.")
def launch_url(tool_client_id: str, class_id: str, user_id: str, link: str,
               minutes: int, deep_linking: bool) -> None:
    """Print a signed link that launches USER into the tool in CLASS (for a portal or a
    message); the user's membership and opt-outs are checked when it is opened."""

    def mint(settings: Settings, engine: Engine) -> None:
        from gateway.lti.launch import launch_link  # Flask and the web side: only when needed

        if load_tool(engine, tool_client_id) is None:
            raise LtiRegistryError(f"--tool: no tool with client id {tool_client_id!r}")
        base = settings.public_url or settings.issuer
        click.echo(launch_link(secret(engine, TOKENS), base, tool_client_id, class_id,
                               user_id, link, minutes * 60, deep_linking=deep_linking))

    _run(mint)


@lti.command("unmatched")
def unmatched() -> None:
    """LMS launches whose user or course matched nothing in the roster, latest first, with
    what the LMS offered to match on; map each with `gateway lti map`."""

    def show(settings: Settings, engine: Engine) -> None:
        found = list_unmatched(engine)
        if not found:
            click.echo("no unmatched LMS launches")
        for u in found:
            offered = "  ".join(f"{k}={v}" for k, v in sorted(u.hints.items()))
            click.echo(shown(
                f"{u.last_seen:%Y-%m-%d %H:%M}Z  {u.issuer} (client {u.client_id})  {u.kind} "
                f"{u.lms_value}  x{u.count}  reason: {u.reason}  offered: {offered or '-'}"))

    _run(show)


@lti.command("map")
@click.option("--issuer", required=True, help="The LMS issuer.")
@click.option("--client-id", help="Its client id, when the issuer has several registrations.")
@click.option("--lms-user", help="The LMS user id (the launch's sub) to map ...")
@click.option("--user", "user_id", help="... onto this district user (sourcedId).")
@click.option("--lms-context", help="The LMS course (context id) to map ...")
@click.option("--class", "class_id", help="... onto this class (sourcedId).")
def map_command(issuer: str, client_id: str | None, lms_user: str | None, user_id: str | None,
                lms_context: str | None, class_id: str | None) -> None:
    """Map an LMS user onto a district user, or an LMS course onto a class (replacing any
    earlier match); the next launch uses it."""
    pairs = [(USER, lms_user, user_id, "--lms-user/--user"),
             (CONTEXT, lms_context, class_id, "--lms-context/--class")]
    chosen = [(k, a, b, n) for k, a, b, n in pairs if a is not None or b is not None]
    if not chosen or any(a is None or b is None for _, a, b, _ in chosen):
        raise click.UsageError("give --lms-user with --user, and/or --lms-context with --class")

    def apply(settings: Settings, engine: Engine) -> None:
        for kind, lms_value, canonical, _ in chosen:
            map_by_hand(engine, issuer, client_id, kind, lms_value, canonical)
            click.echo(shown(f"mapped LMS {kind} {lms_value} onto {canonical}"))

    _run(apply)


@tools.command("registration-url")
@click.option("--app", "app_client_id", required=True,
              help="Client id of the app (and so the agreement) the tool will work under.")
@click.option("--initiation-url", required=True,
              help="The tool's LTI Dynamic Registration initiation URL.")
@click.option("--minutes", default=60, show_default=True, type=click.IntRange(1, 60 * 24))
def tools_registration_url(app_client_id: str, initiation_url: str, minutes: int) -> None:
    """Print the URL that lets the tool register itself (LTI Dynamic Registration) under the
    app, with a one-time registration token valid for MINUTES."""

    def mint(settings: Settings, engine: Engine) -> None:
        from gateway.lti.registration import registration_query  # Flask: only when needed

        if app_client_id not in {a.client_id for a in list_apps(engine)}:
            raise LtiRegistryError(f"--app: no app with client id {app_client_id!r}")
        root = settings.public_url or settings.issuer
        glue = "&" if "?" in initiation_url else "?"
        click.echo(initiation_url + glue + registration_query(
            secret(engine, TOKENS), root, app_client_id, minutes * 60))

    _run(mint)


@lti.command("forward-scores")
def forward_scores() -> None:
    """Retry the scores queued for LMSs that are due (run it from cron); prints each outcome
    and the queue's state."""
    from gateway.app import close_app, create_app  # noqa: PLC0415 - the app's key store
    from gateway.lti.lms_grades import deliver_due  # noqa: PLC0415

    try:
        app = create_app()
    except ConfigError as exc:
        raise click.ClickException(shown(exc)) from None
    try:
        with app.app_context():
            outcomes = deliver_due()
        for outcome in outcomes:
            click.echo(shown(outcome))
        with _registry() as (_settings, engine):
            waiting = [f for f in forward_statuses(engine) if not f.done]
        click.echo(f"{len(outcomes)} tried, {len(waiting)} still queued")
    finally:
        close_app(app)

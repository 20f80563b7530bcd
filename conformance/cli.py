"""`python -m conformance oneroster|edfi|oauth|lti ...`: point the suite at any server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .cases import CaseFileError, load_suite
from .checks import known_checks
from .config import DEFAULT_SPECS_DIR, RunConfig
from .reports.console import progress_line, summary
from .reports.document import write_html, write_markdown
from .reports.junit import write_junit
from .runner import run, select


def _common(function: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--base-url", required=True, help="Server root, with any deployment prefix."),
        click.option("--token-url", help="OAuth 2 token endpoint (client credentials)."),
        click.option("--client-id"),
        click.option("--client-secret"),
        click.option("--auth-method", type=click.Choice(["basic", "post"]), default="basic",
                     show_default=True, help="client_secret_basic or client_secret_post."),
        click.option("--scope", help="Space-separated scopes to ask for instead of the default."),
        click.option("--only", help="Run only cases whose id matches these globs (comma list)."),
        click.option("--write", is_flag=True, help="Also run cases that create and delete data."),
        click.option("--timeout", type=float, default=10.0, show_default=True,
                     help="Seconds per request."),
        click.option("--max-pages", type=click.IntRange(1), default=50, show_default=True),
        click.option("--page-limit", type=click.IntRange(1), default=100, show_default=True,
                     help="limit used when walking whole collections."),
        click.option("--specs", "specs_dir", type=click.Path(file_okay=False, path_type=Path),
                     default=DEFAULT_SPECS_DIR, show_default=True),
        click.option("--schema-dir", type=click.Path(exists=True, file_okay=False,
                                                     path_type=Path),
                     help="A folder of official OpenAPI documents (Ed-Fi YAML or JSON files; "
                          "the OneRoster 1.2 Rostering JSON): responses are also validated "
                          "against them."),
        click.option("--junit", type=click.Path(dir_okay=False, path_type=Path)),
        click.option("--html", type=click.Path(dir_okay=False, path_type=Path)),
        click.option("--markdown", type=click.Path(dir_okay=False, path_type=Path)),
        click.option("--quiet", is_flag=True, help="Print failures and the summary only."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _privacy(function: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--other-client-id", help="A second app, for isolation probes."),
        click.option("--other-client-secret"),
        click.option("--opted-out-student", help="A student this app must never see."),
        click.option("--forbidden-school", help="A school outside this app's agreement."),
        click.option("--revocation-url", help="RFC 7009 endpoint, for token isolation probes."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _execute(suite: str, options: dict[str, Any]) -> None:
    only = options.pop("only")
    reports = {k: options.pop(k) for k in ("junit", "html", "markdown")}
    quiet = options.pop("quiet")
    config = RunConfig(suite=suite, **options)
    try:
        cases = load_suite(suite, known_checks())
    except CaseFileError as exc:
        raise click.ClickException(str(exc)) from exc
    if not select(cases, config.version, only):
        raise click.ClickException(f"no {suite} case matches --only {only!r}")

    def show(result: Any) -> None:
        if not quiet or result.status == "failed":
            click.echo(progress_line(result))

    results = run(config, cases, only=only, on_result=show)
    target = f"{suite} {config.version or ''} at {config.base_url}".replace("  ", " ")
    click.echo(summary(results, target))
    if reports["junit"]:
        write_junit(results, reports["junit"], f"conformance.{suite}")
    if reports["html"]:
        write_html(results, reports["html"], target)
    if reports["markdown"]:
        write_markdown(results, reports["markdown"], target)
    raise SystemExit(1 if any(r.failed_must for r in results) else 0)


@click.group(help="Conformance suite for OneRoster, Ed-Fi and OAuth 2 servers. "
                  "Exit status 1 when a MUST case fails.")
def main() -> None:
    pass


@main.command(help="OneRoster 1.1 or 1.2 REST (rostering, gradebook, resources).")
@_common
@_privacy
@click.option("--version", type=click.Choice(["1.1", "1.2"]), default="1.2", show_default=True)
def oneroster(**options: Any) -> None:
    _execute("oneroster", options)


@main.command(help="Ed-Fi ODS/API-style REST, found through its discovery document.")
@_common
def edfi(**options: Any) -> None:
    _execute("edfi", options)


@main.command(help="OAuth 2 client credentials: token, introspection, revocation.")
@_common
@click.option("--introspection-url", help="RFC 7662 endpoint.")
@click.option("--revocation-url", help="RFC 7009 endpoint.")
@click.option("--resource-url", help="A protected URL, to show a revoked token is refused.")
def oauth(**options: Any) -> None:
    options["base_url"] = options["base_url"]
    _execute("oauth", options)


@main.command(help="LTI 1.3 platform: OIDC launch, id_token claims, NRPS, AGS (as a tool).")
@click.option("--platform-url", required=True, help="The platform's root URL.")
@click.option("--launch-url", required=True,
              help="A URL that starts a launch into the suite's tool registration.")
@click.option("--client-id", required=True, help="The suite's client id at the platform.")
@click.option("--deployment-id", required=True)
@click.option("--tool-key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              required=True, help="The suite's RSA private key (PEM); the platform has its "
                                  "public key.")
@click.option("--redirect-uri", required=True, help="The suite's registered redirect URI.")
@click.option("--write", is_flag=True, help="Also create a line item and post a score.")
@click.option("--only", help="Run only cases whose id matches these globs (comma list).")
@click.option("--timeout", type=float, default=10.0, show_default=True)
@click.option("--specs", "specs_dir", type=click.Path(file_okay=False, path_type=Path),
              default=DEFAULT_SPECS_DIR, show_default=True)
@click.option("--junit", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--markdown", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--quiet", is_flag=True, help="Print failures and the summary only.")
def lti(**options: Any) -> None:
    from .lti import LtiConfig, run_lti

    only, quiet = options.pop("only"), options.pop("quiet")
    reports = {k: options.pop(k) for k in ("junit", "markdown")}
    config = LtiConfig(**options)

    def show(result: Any) -> None:
        if not quiet or result.status == "failed":
            click.echo(progress_line(result))

    results = run_lti(config, show, only)
    target = f"lti at {config.platform_url}"
    click.echo(summary(results, target))
    if reports["junit"]:
        write_junit(results, reports["junit"], "conformance.lti")
    if reports["markdown"]:
        write_markdown(results, reports["markdown"], target)
    raise SystemExit(1 if any(r.failed_must for r in results) else 0)


@main.command("list", help="List the cases of a suite with their level and spec reference.")
@click.argument("suite", type=click.Choice(["oneroster", "edfi", "oauth"]))
def list_cases(suite: str) -> None:
    try:
        cases = load_suite(suite, known_checks())
    except CaseFileError as exc:
        raise click.ClickException(str(exc)) from exc
    for case in cases:
        versions = ",".join(case.versions) or "all"
        click.echo(f"{case.level:<6} {case.id:<45} [{versions}] {case.spec}")

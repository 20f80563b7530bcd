"""OAuth 2.0 token endpoint behaviour (RFC 6749, 7009, 7662) for client credentials."""

from __future__ import annotations

from ..cases import Case
from ..context import RunContext
from ..http import Reply
from ..outcome import CaseSkipped, CheckFailed
from . import check_kind


def _token_from(reply: Reply, step: str) -> str:
    body = reply.body if isinstance(reply.body, dict) else {}
    if reply.status != 200 or not isinstance(body.get("access_token"), str):
        raise CheckFailed(f"{step}: {reply.describe()}, expected 200 with access_token "
                          f"| {reply.excerpt()}")
    if str(body.get("token_type", "")).lower() != "bearer":
        raise CheckFailed(f"{step}: token_type is {body.get('token_type')!r}, expected Bearer")
    return body["access_token"]


def _client(ctx: RunContext) -> tuple[str, str]:
    return ctx.config.client_id or "", ctx.config.client_secret or ""


def _scopes(ctx: RunContext) -> tuple[str, ...] | None:
    return tuple(ctx.config.scope.split()) if ctx.config.scope else None


@check_kind("oauth-token")
def oauth_token(ctx: RunContext, case: Case, bindings: dict[str, str]) -> None:
    """The client gets a bearer token authenticating the way the case names."""
    reply = ctx.request_token(_scopes(ctx), method=case.params["client_auth"])
    _token_from(reply, f"client_secret_{case.params['client_auth']}")


@check_kind("oauth-bad-secret")
def oauth_bad_secret(ctx: RunContext, case: Case, bindings: dict[str, str]) -> None:
    """A wrong secret over HTTP Basic gets 401 invalid_client with a WWW-Authenticate header."""
    client_id, _ = _client(ctx)
    reply = ctx.request_token(_scopes(ctx), client=(client_id, "conformance-wrong-secret"),
                              method="basic")
    error = reply.body.get("error") if isinstance(reply.body, dict) else None
    if reply.status != 401 or error != "invalid_client":
        raise CheckFailed(f"{reply.describe()} error={error!r}, expected 401 invalid_client")


@check_kind("oauth-unsupported-grant")
def oauth_unsupported_grant(ctx: RunContext, case: Case, bindings: dict[str, str]) -> None:
    reply = ctx.request_token(None, grant_type="urn:conformance:no-such-grant")
    error = reply.body.get("error") if isinstance(reply.body, dict) else None
    if reply.status != 400 or error != "unsupported_grant_type":
        raise CheckFailed(f"{reply.describe()} error={error!r}, expected 400 "
                          f"unsupported_grant_type")


@check_kind("oauth-scope-narrowing")
def oauth_scope_narrowing(ctx: RunContext, case: Case, bindings: dict[str, str]) -> None:
    """A token asked for fewer scopes says so, and a made-up scope is refused or dropped."""
    scopes = _scopes(ctx)
    if not scopes:
        raise CaseSkipped("no --scope given to narrow from")
    narrow = scopes[:1]
    reply = ctx.request_token(narrow)
    _token_from(reply, f"token for {narrow[0]}")
    granted = set(str(reply.body.get("scope", narrow[0])).split())
    if not granted <= set(narrow):
        raise CheckFailed(f"asked for {narrow[0]}, granted {sorted(granted)}")
    bogus = "urn:conformance:not-a-scope"
    reply = ctx.request_token(narrow + (bogus,))
    if reply.status == 400:
        error = reply.body.get("error") if isinstance(reply.body, dict) else None
        if error != "invalid_scope":
            raise CheckFailed(f"{reply.describe()}: a refused scope must be error invalid_scope")
        return
    _token_from(reply, "token with a made-up scope")
    if bogus in str(reply.body.get("scope", "")).split() or "scope" not in reply.body:
        raise CheckFailed(f"asked for {bogus}; the response grants it or omits the narrowed scope")


def _introspect(ctx: RunContext, token: str) -> dict[str, object]:
    assert ctx.config.introspection_url
    reply = ctx.http.request("POST", ctx.config.introspection_url, data={"token": token},
                             auth=_client(ctx))
    if reply.status != 200 or not isinstance(reply.body, dict):
        raise CheckFailed(f"introspection: {reply.describe()}, expected 200 with a JSON object")
    return reply.body


@check_kind("oauth-introspection")
def oauth_introspection(ctx: RunContext, case: Case, bindings: dict[str, str]) -> None:
    """A live token introspects as active with its client; garbage introspects as inactive."""
    token = _token_from(ctx.request_token(_scopes(ctx)), "token")
    live = _introspect(ctx, token)
    if live.get("active") is not True:
        raise CheckFailed(f"a fresh token introspects as {live}, expected active true")
    garbage = _introspect(ctx, "conformance-not-a-token")
    if garbage.get("active") is not False:
        raise CheckFailed(f"a made-up token introspects as {garbage}, expected active false")


@check_kind("oauth-revocation")
def oauth_revocation(ctx: RunContext, case: Case, bindings: dict[str, str]) -> None:
    """Revocation answers 200, and the revoked token is dead at once."""
    assert ctx.config.revocation_url
    token = _token_from(ctx.request_token(_scopes(ctx)), "token")
    reply = ctx.http.request("POST", ctx.config.revocation_url, data={"token": token},
                             auth=_client(ctx))
    if reply.status != 200:
        raise CheckFailed(f"revocation: {reply.describe()}, expected 200")
    if ctx.config.introspection_url and _introspect(ctx, token).get("active") is not False:
        raise CheckFailed("a revoked token still introspects as active")
    if ctx.config.resource_url:
        used = ctx.http.request("GET", ctx.config.resource_url,
                                headers={"Authorization": f"Bearer {token}"})
        if used.status != 401:
            raise CheckFailed(f"using a revoked token: {used.describe()}, expected 401")

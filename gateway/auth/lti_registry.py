"""LTI 1.3 registrations: the tools the gateway launches as their platform, and the LMSs it
answers as a tool. District IT adds them (CLI now, console later); everything is validated
here, once, at registration time, so that launches compare strings exactly (an issuer or a
redirect URI is never "normalised" while a launch is checked).

A tool is bound to an app: the app's data-sharing agreement governs the tool's launch claims,
its roster service and its grade service exactly as it governs the app's OneRoster reads. The
registry lives beside the app registry (it reads and writes the store), so gateway.lti never
touches the store itself.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from joserfc.errors import JoseError
from joserfc.jwk import RSAKey
from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.config import Settings
from gateway.model import (
    App,
    LtiContext,
    LtiDeepLink,
    LtiForwardedItem,
    LtiGradeRoute,
    LtiLaunch,
    LtiLineItem,
    LtiLink,
    LtiLmsContext,
    LtiLmsLogin,
    LtiLmsUser,
    LtiPlatform,
    LtiScoreForward,
    LtiTool,
    LtiUnmatched,
)
from gateway.store.engine import for_writes
from gateway.store.session import open_store

NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
AGS_SCOPES = (
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
)
LTI_SCOPES = (NRPS_SCOPE, *AGS_SCOPES)
SHAREABLE = ("name", "email", "lis")
MAX_ID = 255  # LTI ids (client_id, deployment_id) are at most 255 ASCII characters
_ID = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, no spaces
_LOOPBACK_NAMES = {"localhost"}


class LtiRegistryError(ValueError):
    """A registration request cannot be done; the message names the field and the reason."""


@dataclass(frozen=True)
class ToolRegistration:
    id: int
    client_id: str
    name: str
    app_client_id: str
    deployment_id: str
    login_url: str
    redirect_uris: tuple[str, ...]
    target_link_uri: str
    jwks_url: str | None
    public_jwk: dict[str, Any] | None
    custom: dict[str, str] = field(default_factory=dict)
    scopes: frozenset[str] = frozenset()
    share: frozenset[str] = frozenset()
    created_at: datetime | None = None


@dataclass(frozen=True)
class PlatformRegistration:
    id: int
    issuer: str
    client_id: str
    deployment_ids: tuple[str, ...]
    auth_url: str
    token_url: str
    jwks_url: str
    created_at: datetime | None = None
    frame_ancestors: tuple[str, ...] = ()  # origins that may frame its launch pages


def _now() -> datetime:
    return datetime.now(UTC)


def _loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(value: str, what: str, *, query: bool = True) -> str:
    """An absolute https URL (plain http only on a loopback host, for a tool under test),
    without credentials or a fragment; `query=False` also refuses a query string (issuers)."""
    text = (value or "").strip()
    if text != value or not text:
        raise LtiRegistryError(f"{what}: {value!r} is not a URL (empty or surrounding spaces)")
    if len(text) > 2048 or any(ord(c) < 0x21 or ord(c) > 0x7e for c in text):
        raise LtiRegistryError(f"{what}: {value!r} must be at most 2048 printable ASCII "
                               "characters")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError as exc:
        raise LtiRegistryError(f"{what}: {value!r} is not a valid URL ({exc})") from None
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise LtiRegistryError(f"{what}: {value!r} must be an absolute https:// URL")
    if parts.scheme == "http" and not _loopback(host):
        raise LtiRegistryError(f"{what}: {value!r} must use https (plain http is accepted "
                               "only on a loopback address)")
    if parts.username is not None or parts.password is not None:
        raise LtiRegistryError(f"{what}: {value!r} must not carry a user name or password")
    if parts.fragment or text.endswith("#"):
        raise LtiRegistryError(f"{what}: {value!r} must not have a fragment (#...)")
    if not query and (parts.query or "?" in text):
        raise LtiRegistryError(f"{what}: {value!r} must not have a query string")
    return text


def check_id(value: str, what: str) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise LtiRegistryError(f"{what}: {value!r} must be 1 to {MAX_ID} printable ASCII "
                               "characters without spaces")
    return value


def public_jwk_from(text: str, what: str = "public key") -> dict[str, Any]:
    """A tool's RSA public key given as PEM or as a JWK (JSON), kept as a public JWK."""
    text = text.strip()
    try:
        if text.startswith("{"):
            raw = json.loads(text)
            if not isinstance(raw, dict):
                raise ValueError("not a JSON object")
            if "d" in raw or "p" in raw:
                raise LtiRegistryError(f"{what}: this is a private key; give the tool's "
                                       "public key")
            key = RSAKey.import_key(raw)
        else:
            if "PRIVATE KEY" in text:
                raise LtiRegistryError(f"{what}: this is a private key; give the tool's "
                                       "public key")
            key = RSAKey.import_key(text.encode())
    except LtiRegistryError:
        raise
    except (JoseError, ValueError, TypeError) as exc:
        raise LtiRegistryError(f"{what}: not an RSA public key in PEM or JWK form "
                               f"({exc})") from None
    if key.as_dict(private=False).get("n") is None or len(_n_bytes(key)) < 256:
        raise LtiRegistryError(f"{what}: RSA keys must be at least 2048 bits")
    public = key.as_dict(private=False)
    public.setdefault("kid", key.thumbprint())
    public.setdefault("alg", "RS256")
    public.setdefault("use", "sig")
    return public


def _n_bytes(key: RSAKey) -> bytes:
    n = key.as_dict(private=False)["n"]
    return base64.urlsafe_b64decode(n + "=" * (-len(n) % 4))


def custom_parameters(pairs: dict[str, str]) -> dict[str, str]:
    """Custom parameters as a launch carries them: short names, text values."""
    for name, value in pairs.items():
        if not re.match(r"^[A-Za-z0-9_]{1,64}$", name):
            raise LtiRegistryError(f"custom parameter {name!r}: names are 1 to 64 letters, "
                                   "digits or underscores")
        if not isinstance(value, str) or len(value) > 1024:
            raise LtiRegistryError(f"custom parameter {name!r}: the value must be text of at "
                                   "most 1024 characters")
    return dict(pairs)


def _app_id(conn, client_id: str) -> int:  # noqa: ANN001
    app_id = conn.execute(select(App.id).where(App.client_id == client_id)).scalar()
    if app_id is None:
        raise LtiRegistryError(f"--app: no app with client id {client_id!r} (see `gateway apps "
                               "list`)")
    return app_id


def add_tool(engine: Engine, name: str, *, app_client_id: str, login_url: str,
             redirect_uris: list[str], target_link_uri: str | None = None,
             jwks_url: str | None = None, public_key: str | None = None,
             deployment_id: str | None = None, client_id: str | None = None,
             custom: dict[str, str] | None = None, scopes: list[str] | None = None,
             share: list[str] | None = None) -> ToolRegistration:
    """Register a tool; returns it with the client id (ours, unguessable unless given) and the
    deployment id it must be configured with."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise LtiRegistryError("a tool needs a name of 1 to 200 characters")
    login_url = check_url(login_url, "--login-url")
    if not redirect_uris:
        raise LtiRegistryError("--redirect-uri: give at least one redirect URI")
    uris = [check_url(u, "--redirect-uri") for u in redirect_uris]
    if len(set(uris)) != len(uris):
        raise LtiRegistryError("--redirect-uri: a redirect URI is given twice")
    target = check_url(target_link_uri, "--target-link-uri") if target_link_uri else uris[0]
    if (jwks_url is None) == (public_key is None):
        raise LtiRegistryError("give the tool's keys as exactly one of --jwks-url or "
                               "--public-key (needed to check its service token requests)")
    jwks = check_url(jwks_url, "--jwks-url") if jwks_url else None
    jwk = public_jwk_from(public_key, "--public-key") if public_key else None
    client_id = check_id(client_id, "--client-id") if client_id else secrets.token_hex(16)
    deployment_id = (check_id(deployment_id, "--deployment-id") if deployment_id
                     else "d-" + secrets.token_hex(8))
    wanted = list(LTI_SCOPES) if scopes is None else scopes
    unknown = sorted(set(wanted) - set(LTI_SCOPES))
    if unknown:
        raise LtiRegistryError(f"--scope: unknown LTI scope(s) {', '.join(unknown)}; known: "
                               f"{', '.join(LTI_SCOPES)}")
    bad_share = sorted(set(share or ()) - set(SHAREABLE))
    if bad_share:
        raise LtiRegistryError(f"--share: unknown claim group(s) {', '.join(bad_share)}; "
                               f"choose from {', '.join(SHAREABLE)}")
    values = dict(
        client_id=client_id, name=name, deployment_id=deployment_id, login_url=login_url,
        redirect_uris=uris, target_link_uri=target, jwks_url=jwks, public_jwk=jwk,
        custom=custom_parameters(custom or {}), scopes=sorted(set(wanted)),
        share=sorted(set(share or ())), created_at=_now())
    try:
        with for_writes(engine).begin() as conn:
            values["app_id"] = _app_id(conn, app_client_id)
            if conn.execute(select(LtiTool.id).where(LtiTool.client_id == client_id)).first():
                raise LtiRegistryError(f"--client-id: a tool with client id {client_id!r} is "
                                       "already registered")
            conn.execute(insert(LtiTool).values(**values))
    except IntegrityError:
        raise LtiRegistryError(f"--client-id: a tool with client id {client_id!r} is already "
                               "registered") from None
    found = load_tool(engine, client_id)
    assert found is not None
    return found


def _tool_query():  # noqa: ANN202
    return select(LtiTool, App.client_id.label("app_client_id")).join(
        App, App.id == LtiTool.app_id)


def _tool(row: Any) -> ToolRegistration:
    t = row[0]
    return ToolRegistration(
        id=t.id, client_id=t.client_id, name=t.name, app_client_id=row.app_client_id,
        deployment_id=t.deployment_id, login_url=t.login_url,
        redirect_uris=tuple(t.redirect_uris), target_link_uri=t.target_link_uri,
        jwks_url=t.jwks_url, public_jwk=t.public_jwk, custom=dict(t.custom or {}),
        scopes=frozenset(t.scopes or ()), share=frozenset(t.share or ()),
        created_at=t.created_at)


def load_tool(engine: Engine, client_id: str) -> ToolRegistration | None:
    if not client_id or len(client_id) > MAX_ID:
        return None
    with Session(engine) as session:
        row = session.execute(_tool_query().where(LtiTool.client_id == client_id)).first()
        return None if row is None else _tool(row)


def list_tools(engine: Engine) -> list[ToolRegistration]:
    with Session(engine) as session:
        return [_tool(r) for r in session.execute(_tool_query().order_by(LtiTool.id))]


def remove_tool(engine: Engine, client_id: str) -> None:
    """The tool's launches, contexts, links and AGS bindings go with it (the grades it
    wrote stay in the gradebook, owned by its app's source)."""
    with for_writes(engine).begin() as conn:
        tool_id = conn.execute(select(LtiTool.id).where(LtiTool.client_id == client_id)).scalar()
        if tool_id is None:
            raise LtiRegistryError(f"no tool with client id {client_id!r}")
        conn.execute(delete(LtiLaunch).where(LtiLaunch.tool_id == tool_id))
        conn.execute(delete(LtiContext).where(LtiContext.tool_id == tool_id))
        conn.execute(delete(LtiLink).where(LtiLink.tool_id == tool_id))
        conn.execute(delete(LtiDeepLink).where(LtiDeepLink.tool_id == tool_id))
        for table in (LtiGradeRoute, LtiScoreForward):
            conn.execute(delete(table).where(table.tool_id == tool_id))
        conn.execute(delete(LtiLineItem).where(LtiLineItem.tool_id == tool_id))
        conn.execute(delete(LtiTool).where(LtiTool.id == tool_id))


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def check_origin(value: str, what: str) -> str:
    """An origin (scheme://host[:port]) as a CSP frame-ancestors source, nothing more."""
    url = check_url(value, what, query=False)
    if origin_of(url) != url.rstrip("/") or url.endswith("/"):
        raise LtiRegistryError(f"{what}: {value!r} must be an origin (scheme://host[:port]) "
                               "without a path")
    return url


def add_platform(engine: Engine, *, issuer: str, client_id: str, deployment_ids: list[str],
                 auth_url: str, token_url: str, jwks_url: str,
                 frame_ancestors: list[str] | None = None) -> PlatformRegistration:
    """Register an LMS: its issuer exactly as it will appear in its id_tokens. The gateway's
    pages of its launches may be framed by `frame_ancestors` (default: the issuer's origin)."""
    issuer = check_url(issuer, "--issuer", query=False)
    frames = ([check_origin(o, "--frame-ancestor") for o in frame_ancestors]
              if frame_ancestors else None)
    client_id = check_id(client_id, "--client-id")
    if not deployment_ids:
        raise LtiRegistryError("--deployment-id: give at least one deployment id")
    deployments = [check_id(d, "--deployment-id") for d in deployment_ids]
    if len(set(deployments)) != len(deployments):
        raise LtiRegistryError("--deployment-id: a deployment id is given twice")
    values = dict(issuer=issuer, client_id=client_id, deployment_ids=deployments,
                  auth_url=check_url(auth_url, "--auth-url"),
                  token_url=check_url(token_url, "--token-url"),
                  jwks_url=check_url(jwks_url, "--jwks-url"), created_at=_now(),
                  frame_ancestors=frames)
    duplicate = LtiRegistryError(f"--client-id: platform {issuer!r} already has a registration "
                                 f"with client id {client_id!r}")
    try:
        with for_writes(engine).begin() as conn:
            if conn.execute(select(LtiPlatform.id).where(
                    LtiPlatform.issuer == issuer, LtiPlatform.client_id == client_id)).first():
                raise duplicate
            conn.execute(insert(LtiPlatform).values(**values))
    except IntegrityError:
        raise duplicate from None
    return next(p for p in list_platforms(engine)
                if p.issuer == issuer and p.client_id == client_id)


def list_platforms(engine: Engine) -> list[PlatformRegistration]:
    with engine.connect() as conn:
        return [PlatformRegistration(
            id=r.id, issuer=r.issuer, client_id=r.client_id,
            deployment_ids=tuple(r.deployment_ids), auth_url=r.auth_url,
            token_url=r.token_url, jwks_url=r.jwks_url, created_at=r.created_at,
            frame_ancestors=tuple(r.frame_ancestors or (origin_of(r.issuer),)))
            for r in conn.execute(select(LtiPlatform).order_by(LtiPlatform.id))]


def remove_platform(engine: Engine, issuer: str, client_id: str) -> None:
    """Its pending logins, matches and unmatched list go with it."""
    with for_writes(engine).begin() as conn:
        platform_id = conn.execute(select(LtiPlatform.id).where(
            LtiPlatform.issuer == issuer, LtiPlatform.client_id == client_id)).scalar()
        for table in (LtiLmsLogin, LtiLmsUser, LtiLmsContext, LtiUnmatched, LtiGradeRoute,
                      LtiForwardedItem, LtiScoreForward):
            conn.execute(delete(table).where(table.platform_id == platform_id))
        removed = conn.execute(delete(LtiPlatform).where(LtiPlatform.id == platform_id)).rowcount
    if not removed:
        raise LtiRegistryError(f"no platform {issuer!r} with client id {client_id!r}")


def open_registry(settings: Settings) -> Engine:
    """The store, migrated, for a command that manages registrations."""
    return open_store(settings)

"""Settings: GATEWAY_* environment variables over `gateway.toml` over defaults.

Parsed once, at start-up, into a frozen object; nothing else reads the environment for settings.
Secrets never live in the file: a source option marked secret holds the *name* of an environment
variable (see `adapters.base.resolve_options`).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_MAX_DELETE_SHARE = 0.10
DEFAULT_MAX_UPDATE_SHARE = 0.75
DEFAULT_MAX_ERROR_SHARE = 0.01
DEFAULT_ISSUER = "http://localhost:8000"
DEFAULT_TOKEN_LIFETIME = 3600
DEFAULT_TOKEN_RATE_LIMIT = 60
DEFAULT_API_RATE_LIMIT = 6000
DEFAULT_LTI_LOGIN_RATE_LIMIT = 120
DEFAULT_SECRET_FAILURE_LIMIT = 10
DEFAULT_SECRET_CHECKS_PER_SECOND = 20
DEFAULT_SYNC_LOCK_TIMEOUT = 30.0  # seconds a sync waits for the store's write lock
DEFAULT_WRITE_LOCK_TIMEOUT = 5.0  # seconds an API write waits for it
DEFAULT_DELETION_CERTIFICATION_DAYS = 60  # the NDPA's: disposition within 60 days of the request
PARENT_OPTOUT_MODES = ("apply", "approve")


class ConfigError(ValueError):
    """The configuration file or an environment variable is wrong; the message says where."""


@dataclass(frozen=True)
class SourceConfig:
    name: str
    adapter: str
    options: dict[str, Any] = field(default_factory=dict)
    max_delete_share: float = DEFAULT_MAX_DELETE_SHARE
    max_update_share: float = DEFAULT_MAX_UPDATE_SHARE
    max_error_share: float = DEFAULT_MAX_ERROR_SHARE


@dataclass(frozen=True)
class Settings:
    database_url: str
    var_dir: Path
    sources: dict[str, SourceConfig] = field(default_factory=dict)
    config_path: Path | None = None
    oneroster_max_limit: int = 1000
    disclosure_log: bool = True
    # The authorization server. `issuer` goes into every token's `iss` and must be the same on
    # every node; `audience` (default: the issuer) is the `aud` the resource endpoints accept.
    issuer: str = DEFAULT_ISSUER
    audience: str = DEFAULT_ISSUER
    token_lifetime: int = DEFAULT_TOKEN_LIFETIME  # seconds
    token_rate_limit: int = DEFAULT_TOKEN_RATE_LIMIT  # token requests per client per minute
    api_rate_limit: int = DEFAULT_API_RATE_LIMIT  # data API requests per app per minute
    # LMS login initiations (/lti/login) per source address per minute (429 beyond): each one
    # keeps a pending login in the store
    lti_login_rate_limit: int = DEFAULT_LTI_LOGIN_RATE_LIMIT
    # wrong client secrets per (source address, client) per minute before that pair gets 429
    secret_failure_limit: int = DEFAULT_SECRET_FAILURE_LIMIT
    # client-secret (scrypt) checks per second across every node sharing the store (503 beyond)
    secret_checks_per_second: int = DEFAULT_SECRET_CHECKS_PER_SECOND
    # Encrypts OAuth 1.0a consumer secrets; copy it to every node (default var_dir/oauth1.key).
    oauth1_key_file: Path | None = None
    # The base of every absolute URL the gateway writes (links, discovery, OpenAPI tokenUrl);
    # None: the address `gateway serve` was started on, else http://localhost. Never the
    # request's Host header (see gateway/public_url.py).
    public_url: str | None = None
    # How many reverse proxies in front of the gateway set X-Forwarded-*; 0: trust none.
    trusted_proxies: int = 0
    # Seconds a writer waits for the store's write lock before giving up: an API write then
    # answers 503 with Retry-After, a sync ends failed with a message naming the lock.
    write_lock_timeout: float = DEFAULT_WRITE_LOCK_TIMEOUT
    sync_lock_timeout: float = DEFAULT_SYNC_LOCK_TIMEOUT
    # A parent's opt-out request on the public page: applied at once, or queued for staff.
    parent_optouts: str = "apply"
    # Days a vendor has to certify deletion after its agreement ends; later ones are flagged.
    deletion_certification_days: int = DEFAULT_DELETION_CERTIFICATION_DAYS

    def source(self, name: str) -> SourceConfig:
        try:
            return self.sources[name]
        except KeyError:
            known = ", ".join(self.sources) or "none configured"
            raise ConfigError(f"no source named {name!r} in the configuration ({known})") from None


_SHARES = ("max_delete_share", "max_update_share", "max_error_share")


def _parse_source(name: str, raw: Any, where: str) -> SourceConfig:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: [sources.{name}] must be a table")
    unknown = set(raw) - {"adapter", "options", *_SHARES}
    if unknown:
        raise ConfigError(f"{where}: [sources.{name}] unknown key(s) {', '.join(sorted(unknown))}")
    if not isinstance(raw.get("adapter"), str):
        raise ConfigError(f"{where}: [sources.{name}] needs adapter = \"<name>\"")
    options = raw.get("options", {})
    if not isinstance(options, dict):
        raise ConfigError(f"{where}: [sources.{name}.options] must be a table")
    shares: dict[str, float] = {}
    for key in _SHARES:
        if key in raw:
            value = raw[key]
            if not isinstance(value, int | float) or not 0 <= value <= 1:
                raise ConfigError(f"{where}: sources.{name}.{key} must be a number from 0 to 1")
            shares[key] = float(value)
    return SourceConfig(name=name, adapter=raw["adapter"], options=options, **shares)


def load_settings(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> Settings:
    """Build settings. `overrides` (tests, create_app(config)) win over everything."""
    env = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    path = Path(overrides.pop("config_path", None) or env.get("GATEWAY_CONFIG", "gateway.toml"))
    doc: dict[str, Any] = {}
    if path.is_file():
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    elif "GATEWAY_CONFIG" in env:
        raise ConfigError(f"GATEWAY_CONFIG names {path}, which does not exist")
    base = path.parent if path.is_file() else Path.cwd()
    gateway_table = doc.get("gateway", {})
    var_dir = Path(
        overrides.pop("var_dir", None) or env.get("GATEWAY_VAR_DIR")
        or gateway_table.get("var_dir") or "var"
    )
    if not var_dir.is_absolute():
        var_dir = base / var_dir
    database_url = (
        overrides.pop("database_url", None) or env.get("GATEWAY_DATABASE_URL")
        or gateway_table.get("database_url") or f"sqlite:///{var_dir / 'gateway.db'}"
    )
    sources_raw = overrides.pop("sources", None) or doc.get("sources", {})
    sources = {n: _parse_source(n, raw, str(path)) for n, raw in sources_raw.items()}
    auth = _auth_settings(overrides, env, gateway_table, base)
    disclosure_log = _boolean(
        "disclosure_log", _setting("disclosure_log", overrides, env, gateway_table), True)
    http = _http_settings(overrides, env, gateway_table)
    lock_timeouts = {
        name: _positive_seconds(name, _setting(name, overrides, env, gateway_table), default)
        for name, default in (("write_lock_timeout", DEFAULT_WRITE_LOCK_TIMEOUT),
                              ("sync_lock_timeout", DEFAULT_SYNC_LOCK_TIMEOUT))
    }
    privacy = _privacy_settings(overrides, env, gateway_table)
    if overrides:
        raise ConfigError(f"unknown setting(s): {', '.join(sorted(overrides))}")
    return Settings(
        database_url=database_url, var_dir=var_dir, sources=sources,
        config_path=path if path.is_file() else None, disclosure_log=disclosure_log, **auth,
        **http,
        **lock_timeouts, **privacy,
    )


def _privacy_settings(overrides: dict[str, Any], env: Mapping[str, str],
                      table: dict[str, Any]) -> dict[str, Any]:
    mode = str(_setting("parent_optouts", overrides, env, table) or "apply").strip().lower()
    if mode not in PARENT_OPTOUT_MODES:
        raise ConfigError(f"parent_optouts must be one of {', '.join(PARENT_OPTOUT_MODES)}, "
                          f"not {mode!r}")
    days = _positive_int("deletion_certification_days",
                         _setting("deletion_certification_days", overrides, env, table),
                         DEFAULT_DELETION_CERTIFICATION_DAYS)
    return {"parent_optouts": mode, "deletion_certification_days": days}


def _setting(name: str, overrides: dict[str, Any], env: Mapping[str, str],
             table: dict[str, Any]) -> Any:
    if name in overrides:
        return overrides.pop(name)
    return env.get(f"GATEWAY_{name.upper()}", table.get(name))


def _positive_int(name: str, value: Any, default: int) -> int:
    if value is None:
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from None
    if number <= 0:
        raise ConfigError(f"{name} must be greater than 0, not {value!r}")
    return number


def _positive_seconds(name: str, value: Any, default: float) -> float:
    if value is None:
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number of seconds, not {value!r}") from None
    if not number > 0 or number == float("inf"):
        raise ConfigError(f"{name} must be a number of seconds greater than 0, not {value!r}")
    return number


def _boolean(name: str, value: Any, default: bool) -> bool:
    """TOML gives a real boolean; an environment variable gives text such as `false`."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}")


def _http_settings(overrides: dict[str, Any], env: Mapping[str, str],
                   table: dict[str, Any]) -> dict[str, Any]:
    raw_url = _setting("public_url", overrides, env, table)
    raw_hops = _setting("trusted_proxies", overrides, env, table)
    return {"public_url": None if raw_url in (None, "") else _public_url(raw_url),
            "trusted_proxies": 0 if raw_hops in (None, "", 0, "0")
            else _positive_int("trusted_proxies", raw_hops, 0)}


def _public_url(value: Any) -> str:
    """An absolute http(s) URL with a host and no query or fragment; kept without a trailing
    slash so that paths append to it."""
    parts = urlsplit(str(value).strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
            or parts.fragment or "@" in parts.netloc:
        raise ConfigError(f"public_url must be an absolute http(s) URL such as "
                          f"https://gateway.district.example.org, not {value!r}")
    return parts.geturl().rstrip("/")


def _auth_settings(overrides: dict[str, Any], env: Mapping[str, str],
                   table: dict[str, Any], base: Path) -> dict[str, Any]:
    issuer = str(_setting("issuer", overrides, env, table) or DEFAULT_ISSUER).rstrip("/")
    key_file = _setting("oauth1_key_file", overrides, env, table)
    if key_file is not None and not Path(key_file).is_absolute():
        key_file = base / key_file
    return {
        "issuer": issuer,
        "audience": str(_setting("audience", overrides, env, table) or issuer),
        "token_lifetime": _positive_int(
            "token_lifetime", _setting("token_lifetime", overrides, env, table),
            DEFAULT_TOKEN_LIFETIME),
        "token_rate_limit": _positive_int(
            "token_rate_limit", _setting("token_rate_limit", overrides, env, table),
            DEFAULT_TOKEN_RATE_LIMIT),
        "api_rate_limit": _positive_int(
            "api_rate_limit", _setting("api_rate_limit", overrides, env, table),
            DEFAULT_API_RATE_LIMIT),
        "lti_login_rate_limit": _positive_int(
            "lti_login_rate_limit", _setting("lti_login_rate_limit", overrides, env, table),
            DEFAULT_LTI_LOGIN_RATE_LIMIT),
        "secret_failure_limit": _positive_int(
            "secret_failure_limit", _setting("secret_failure_limit", overrides, env, table),
            DEFAULT_SECRET_FAILURE_LIMIT),
        "secret_checks_per_second": _positive_int(
            "secret_checks_per_second",
            _setting("secret_checks_per_second", overrides, env, table),
            DEFAULT_SECRET_CHECKS_PER_SECOND),
        "oauth1_key_file": None if key_file is None else Path(key_file),
    }


STARTER = '''\
# School Data Gateway configuration.
# Environment variables GATEWAY_* override what is written here (GATEWAY_DATABASE_URL,
# GATEWAY_VAR_DIR); GATEWAY_CONFIG names this file.

[gateway]
# Where the gateway keeps its SQLite store, run reports and keys.
var_dir = "var"
# SQLite by default; for a district or state use PostgreSQL:
# database_url = "postgresql+psycopg://gateway@db.example.org/gateway"
# The OAuth2 issuer: the gateway's public base URL, the same on every node.
# issuer = "https://gateway.district.example.org"
# The base of every absolute URL the gateway writes (paging links, discovery, OpenAPI tokenUrl);
# default: the address `gateway serve` listens on. Never taken from the request's Host header.
# public_url = "https://gateway.district.example.org"
# trusted_proxies = 1                  # reverse proxies in front whose X-Forwarded-* to trust
# token_lifetime = 3600                # seconds an access token lives
# token_rate_limit = 60                # token requests per app per minute
# api_rate_limit = 6000                # OneRoster requests per app per minute (429 beyond)
# lti_login_rate_limit = 120           # LMS logins (/lti/login) per address per minute (429)
# secret_failure_limit = 10            # wrong secrets per address and app per minute (429 beyond)
# secret_checks_per_second = 20        # secret checks per second, all nodes together (503 beyond)

# A source is one district export the gateway imports with `gateway sync NAME`.
# `gateway adapters` lists the adapters and their options.

# The district console and the public privacy pages (/console, /privacy):
# parent_optouts = "apply"             # or "approve": a parent's request waits for staff
# deletion_certification_days = 60     # after an agreement ends; later ones are flagged

# [sources.sis]
# adapter = "oneroster-csv"            # OneRoster 1.1 / 1.2 CSV, zip or folder
# options = { path = "exports/oneroster.zip", strict = false }
# max_delete_share = 0.10              # refuse a full sync that would tombstone more than 10%
# max_update_share = 0.75              # ... or update more than 75% of it (--force overrides)
# max_error_share = 0.01               # apply nothing when more than 1% of rows are rejected

# [sources.powerschool]
# adapter = "mapped-csv"               # a vendor export mapped in YAML, no Python needed
# options = { path = "exports/powerschool", mapping = "pack:powerschool" }

# Secrets are never written here: an option marked secret takes the NAME of an environment
# variable, e.g. options = { client_secret = "VENDOR_API_SECRET" }.
'''

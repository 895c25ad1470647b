"""Typed readers for environment variables.

Every reader fails loudly with ImproperlyConfigured, naming the variable and the bad value, so a
misconfigured deployment stops at start-up instead of running with a surprising default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str, source: Mapping[str, str] | None) -> str | None:
    value = (os.environ if source is None else source).get(name)
    return None if value is None else value.strip()


def env_str(
    name: str, default: str | None = None, *, source: Mapping[str, str] | None = None
) -> str:
    """A string; with no default the variable is required."""
    value = _raw(name, source)
    if value is None or value == "":
        if default is None:
            raise ImproperlyConfigured(f"{name} must be set.")
        return default
    return value


def env_bool(name: str, default: bool, *, source: Mapping[str, str] | None = None) -> bool:
    value = _raw(name, source)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be a boolean (1/0, true/false, yes/no, on/off), got {value!r}."
    )


def env_int(
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    source: Mapping[str, str] | None = None,
) -> int:
    value = _raw(name, source)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {number}.")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum}, got {number}.")
    return number


def env_list(
    name: str, default: list[str], *, source: Mapping[str, str] | None = None
) -> list[str]:
    """A comma-separated list; blank items are dropped."""
    value = _raw(name, source)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_clock(name: str, default: str, *, source: Mapping[str, str] | None = None) -> time:
    """A time of day written HH:MM (24-hour clock)."""
    value = env_str(name, default, source=source)
    try:
        return time.fromisoformat(value) if len(value) == 5 else _bad_clock(name, value)
    except ValueError:
        return _bad_clock(name, value)


def _bad_clock(name: str, value: str) -> time:
    raise ImproperlyConfigured(f"{name} must be a time of day as HH:MM, got {value!r}.")


def env_time_zone(name: str, default: str, *, source: Mapping[str, str] | None = None) -> str:
    value = env_str(name, default, source=source)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(
            f"{name} must be an IANA time zone such as 'America/New_York', got {value!r}."
        ) from None
    return value


def env_database(
    name: str, default: str, *, base_dir: Path, source: Mapping[str, str] | None = None
) -> dict[str, Any]:
    return parse_database_url(env_str(name, default, source=source), name=name, base_dir=base_dir)


def env_email(
    name: str, *, file_path: Path, source: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Email settings: the file backend into file_path when unset, SMTP from a URL otherwise."""
    value = _raw(name, source)
    if not value:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(file_path),
        }
    return parse_email_url(value, name=name)


def parse_database_url(url: str, *, name: str = "DATABASE_URL", base_dir: Path) -> dict[str, Any]:
    """postgres://user:password@host:port/name or sqlite:///relative/or//absolute/path."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        raw_path = unquote(parts.path)
        if not raw_path or raw_path == "/":
            raise ImproperlyConfigured(f"{name} needs a file path, e.g. sqlite:///var/db.sqlite3.")
        # sqlite:///var/db.sqlite3 is relative to the project; sqlite:////abs/path is absolute.
        path = Path(raw_path[1:]) if raw_path.startswith("/") else Path(raw_path)
        if not path.is_absolute():
            path = base_dir / path
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        database = unquote(parts.path.lstrip("/"))
        if not database:
            raise ImproperlyConfigured(
                f"{name} needs a database name, e.g. postgres://user@host:5432/kap."
            )
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(f"{name} has an invalid port.") from None
        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": database,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "OPTIONS": options,
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    raise ImproperlyConfigured(
        f"{name} must start with postgres:// or sqlite:///, got scheme {parts.scheme!r}."
    )


def parse_email_url(url: str, *, name: str = "EMAIL_URL") -> dict[str, Any]:
    """smtp://user:password@host:25, smtp+tls://…:587 (STARTTLS) or smtps://…:465 (implicit TLS)."""
    parts = urlsplit(url)
    schemes = {
        "smtp": (False, False, 25),
        "smtp+tls": (True, False, 587),
        "smtps": (False, True, 465),
    }
    if parts.scheme not in schemes:
        raise ImproperlyConfigured(
            f"{name} must start with smtp://, smtp+tls:// or smtps://, got {parts.scheme!r}."
        )
    if not parts.hostname:
        raise ImproperlyConfigured(f"{name} needs a host name.")
    use_tls, use_ssl, default_port = schemes[parts.scheme]
    try:
        port = parts.port or default_port
    except ValueError:
        raise ImproperlyConfigured(f"{name} has an invalid port.") from None
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port,
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": use_tls,
        "EMAIL_USE_SSL": use_ssl,
        "EMAIL_TIMEOUT": 20,
    }

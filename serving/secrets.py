"""Secrets the service needs but the database must not hold: the review page's session secret, the identifier key
and the evidence signing key. This is the one place that resolves them.

A secret comes from its ``SOI_*`` setting. When it is not set:

- in development mode (``SOI_AUTH_DISABLED=1``) a fixed, public development value is used, with a WARNING;
- on SQLite (one machine by design) one is generated once, written to ``SOI_SECRETS_DIR`` (default: a
  ``secrets/`` folder beside the database file, ``var/secrets`` for ``var/soi.db``; mode 0600, never in the
  database) and reused, with a WARNING that says where it is and to back it up;
- on PostgreSQL (several replicas that must agree) the service refuses to start and says what to set.

The identifier key must stay the same for the life of the database: the identifier index is keyed with it.
"""

from __future__ import annotations

import base64
import logging
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import make_url

from serving.settings import Settings

log = logging.getLogger("soi.serving")


class MissingSecretError(RuntimeError):
    """A secret the service needs is not configured and cannot be generated safely here."""


def new_token() -> str:
    """A random 256-bit secret, URL-safe base64."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


def _read_or_create(path: Path, make: Callable[[], str]) -> tuple[str, bool]:
    """The secret in ``path``, creating it atomically (O_EXCL) if absent; (value, created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another worker is writing it this instant
            value = path.read_text(encoding="utf-8").strip()
            if value:
                return value, False
            time.sleep(0.1)
        raise MissingSecretError(f"{path} exists but is empty: delete it or set the secret") from None
    value = make()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value, True


def resolve_secret(settings: Settings, name: str, *, make: Callable[[], str] = new_token) -> str:
    """The secret ``SOI_<NAME>`` (``name`` is the settings field), following the rules in the module docstring."""
    configured = getattr(settings, name)
    if configured:
        return configured
    variable = f"SOI_{name.upper()}"
    if settings.auth_disabled:
        log.warning("%s is not set: development mode uses a fixed, public value; never store real data so", variable)
        return f"soi-development-{name}"
    if not settings.database_url.startswith("sqlite"):
        raise MissingSecretError(
            f"{variable} is not set: with PostgreSQL every replica must use the same value; generate one with "
            f"`python -m serving secret` and set it in every replica's environment"
        )
    path = secrets_dir(settings) / name
    value, created = _read_or_create(path, make)
    if created:
        log.warning(
            "%s was not set: GENERATED one and saved it to %s (mode 0600, not in the database). Back it up with the "
            "database; set %s to it if you move the service",
            variable,
            path,
            variable,
        )
    return value


def secrets_dir(settings: Settings) -> Path:
    """``SOI_SECRETS_DIR``, else a ``secrets`` folder beside the SQLite database file."""
    if settings.secrets_dir:
        return Path(settings.secrets_dir)
    database = make_url(settings.database_url).database
    return (Path(database).parent if database and database != ":memory:" else Path("var")) / "secrets"

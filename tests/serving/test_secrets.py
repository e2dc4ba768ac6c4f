"""Keys the database must not hold: generated once and kept beside a SQLite database (said loudly), a fixed value
in development mode, a refusal to start on PostgreSQL without them."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from serving.secrets import MissingSecretError, resolve_secret
from serving.settings import get_settings


def test_generated_once_beside_a_sqlite_database(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = get_settings(database_url=f"sqlite:///{tmp_path / 'soi.db'}")
    with caplog.at_level(logging.WARNING):
        first = resolve_secret(settings, "identifier_key")
    assert "GENERATED" in caplog.text and first not in caplog.text
    path = tmp_path / "secrets" / "identifier_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert resolve_secret(settings, "identifier_key") == first  # reused, not generated again
    assert (
        resolve_secret(get_settings(database_url=settings.database_url, identifier_key="set"), "identifier_key")
        == "set"
    )


def test_refused_on_postgresql_and_fixed_in_development() -> None:
    url = "postgresql+psycopg://soi@127.0.0.1:1/soi"
    with pytest.raises(MissingSecretError, match="SOI_IDENTIFIER_KEY is not set"):
        resolve_secret(get_settings(database_url=url), "identifier_key")
    assert (
        resolve_secret(get_settings(database_url=url, auth_disabled=True), "evidence_key")
        == "soi-development-evidence_key"
    )

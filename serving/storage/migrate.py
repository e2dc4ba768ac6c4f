"""Alembic migrations applied from code: ``upgrade_database`` (startup, ``make migrate``) and ``downgrade``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Any constant works: it only has to be the same in every process that migrates one PostgreSQL database.
PG_MIGRATION_LOCK = 5_150_005


def alembic_config() -> Config:
    """An Alembic config pointing at Soi's migrations (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _run(engine: Engine, revision: str, *, up: bool) -> None:
    config = alembic_config()
    with engine.connect() as connection:
        locked = engine.dialect.name == "postgresql"
        if locked:
            # several workers or replicas starting at once: one migrates, the others wait and find it done
            connection.exec_driver_sql(f"SELECT pg_advisory_lock({PG_MIGRATION_LOCK})")
            connection.commit()
        try:
            config.attributes["connection"] = connection
            if up:
                command.upgrade(config, revision)
            else:
                command.downgrade(config, revision)
            connection.commit()
        finally:
            if locked:
                connection.exec_driver_sql(f"SELECT pg_advisory_unlock({PG_MIGRATION_LOCK})")
                connection.commit()


def upgrade_database(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` (a no-op when the database is already there)."""
    _run(engine, revision, up=True)


def downgrade_database(engine: Engine, revision: str = "base") -> None:
    """Undo migrations down to ``revision`` (``base`` drops every Soi table)."""
    _run(engine, revision, up=False)

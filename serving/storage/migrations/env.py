"""Alembic environment: runs on the connection handed over by ``serving.storage.migrate``, or on the
database of the ``SOI_DATABASE_URL`` / ``DATABASE_URL`` settings when the ``alembic`` command is used."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from serving.storage.models import Base

config = context.config
target_metadata = Base.metadata


def _migrate(connection: Connection) -> None:
    # batch mode lets ALTER TABLE work on SQLite as well
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    """Migrate online; Soi never writes SQL scripts offline."""
    if context.is_offline_mode():
        raise SystemExit("offline (--sql) migrations are not supported; run them against a database")
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    from serving.settings import get_settings
    from serving.storage.db import make_engine

    engine = make_engine(get_settings())
    with engine.connect() as own_connection:
        _migrate(own_connection)
        own_connection.commit()
    engine.dispose()


run()

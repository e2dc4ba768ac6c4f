"""The database handle: one engine per process, short read and write sessions, and the outage errors.

SQLite (the default) runs in WAL mode with a busy timeout, and write transactions start with
``BEGIN IMMEDIATE`` so that two writers queue for the lock instead of failing on upgrade. PostgreSQL gets a
pre-pinged pool and a short connect timeout, so an outage answers 503 quickly and the pool heals by itself.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, exc, insert
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from serving.settings import Settings
from serving.storage.models import ModelReloadRow, utc_now
from serving.storage.write_gate import WriteGate

WRITE_OPTION = "soi_write"

# Errors that mean "the database is not reachable or busy right now", answered 503 with Retry-After.
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (exc.OperationalError, exc.InterfaceError, exc.TimeoutError)


def is_unavailable(error: BaseException) -> bool:
    """Whether an exception means the database is down or busy (retry later), not a bug."""
    if isinstance(error, UNAVAILABLE_ERRORS):
        return True
    return isinstance(error, exc.DBAPIError) and bool(error.connection_invalidated)


def normalize_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` / ``postgres://`` URLs (the form most platforms hand out)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _sqlite_engine(url: str, settings: Settings) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": settings.sqlite_busy_timeout_ms / 1000},
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_s,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # take transaction control from the sqlite3 module so that BEGIN is ours (IMMEDIATE for writes)
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={int(settings.sqlite_busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA cache_size=-{int(settings.sqlite_cache_mb) * 1024}")
        cursor.execute(f"PRAGMA mmap_size={int(settings.sqlite_mmap_mb) * 1024 * 1024}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(WRITE_OPTION)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def make_engine(settings: Settings) -> Engine:
    """An engine for ``settings.database_url`` (SQLite file or PostgreSQL)."""
    url = normalize_url(settings.database_url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url, settings)
    return create_engine(
        url,
        pool_pre_ping=True,  # a connection killed by a database restart is replaced, not handed to a request
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_s,
        connect_args={
            "connect_timeout": settings.db_connect_timeout_s,
            # psycopg prepares a statement run five times; a prepared statement may then switch to a generic plan
            # made when the tables were small (a sequential scan), and keep it as they grow: plan every run.
            # No JIT: every statement here is a short look-up or write, and a plan whose estimate passes
            # jit_above_cost (LSH buckets, misestimated at 23,000 rows for 150) spent 70 ms compiling to run in 1 ms
            "options": "-c plan_cache_mode=force_custom_plan -c jit=off",
        },
    )


# How long the readiness write probe waits for a lock another writer holds (a held lock means "writable").
PROBE_LOCK_WAIT_MS = 100


class Database:
    """One process's engine and session factories."""

    def __init__(self, settings: Settings) -> None:
        self.engine = make_engine(settings)
        self.dialect = self.engine.dialect.name
        self.busy_timeout_ms = settings.sqlite_busy_timeout_ms
        database = make_url(normalize_url(settings.database_url)).database if self.dialect == "sqlite" else None
        self.sqlite_path = Path(database) if database and database != ":memory:" else None
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self.engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False)
        self._gate = (
            WriteGate(self.sqlite_path, timeout_s=self.busy_timeout_ms / 1000) if self.sqlite_path is not None else None
        )

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; nothing is committed."""
        with self._read() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose work is committed at the end of the block, or rolled back on any error (SQLite's
        writers queue at ``serving.storage.write_gate`` first)."""
        with self._gate.held() if self._gate is not None else nullcontext(), self._write() as session, session.begin():
            yield session

    def write_problem(self, *, min_free_bytes: int) -> str | None:
        """Why the database could not store a write now (None: it could): a probe row is inserted and rolled
        back, and a SQLite file's disk must have ``min_free_bytes`` free (a rolled-back write never reaches the
        disk, so a full disk shows only there). Another writer holding the lock means the database is writable.
        Outage errors (the database does not answer) propagate."""
        if self.sqlite_path is not None:
            free = shutil.disk_usage(self.sqlite_path.parent).free
            if free < min_free_bytes:
                return f"only {free // 2**20} MiB free on the database's disk"
        probe = insert(ModelReloadRow).values(
            model_version="readyz-probe", requested_by="readyz", requested_at=utc_now()
        )
        sqlite = self.dialect == "sqlite"
        with self.engine.connect() as connection:
            try:
                with connection.begin() as transaction:
                    wait = f"PRAGMA busy_timeout={PROBE_LOCK_WAIT_MS}"
                    connection.exec_driver_sql(wait if sqlite else f"SET LOCAL lock_timeout = '{PROBE_LOCK_WAIT_MS}ms'")
                    connection.execute(probe)
                    transaction.rollback()
            except exc.DBAPIError as error:
                message = str(error.orig).lower()
                if "locked" in message or "lock timeout" in message or "busy" in message:
                    return None
                if is_unavailable(error) and "readonly" not in message and "read-only" not in message:
                    raise
                return str(error.orig).splitlines()[0][:200]
            finally:
                if sqlite:  # the pooled connection goes back with the usual wait for the lock
                    connection.exec_driver_sql(f"PRAGMA busy_timeout={int(self.busy_timeout_ms)}")
                    connection.rollback()
        return None

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

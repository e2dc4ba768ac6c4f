"""The database handle: one engine per process, short read and write sessions, and the outage errors.

SQLite (the default) runs in WAL mode with a busy timeout, and write transactions start with
``BEGIN IMMEDIATE`` so that two writers queue for the lock instead of failing on upgrade. PostgreSQL gets a
pre-pinged pool and a short connect timeout, so an outage answers 503 quickly and the pool heals by itself.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import JSON, ColumnElement, Table, any_, bindparam, create_engine, event, exc, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from serving.settings import Settings
from serving.storage.models import ModelReloadRow, utc_now
from serving.storage.write_gate import WriteGate

T = TypeVar("T")

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
            # made when the tables were small (a sequential scan), and keep it as they grow: plan every run
            "options": "-c plan_cache_mode=force_custom_plan",
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


CHUNK = 500  # values per IN (...) list


def chunks(values: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """``values`` in slices of at most ``size``, for IN (...) lists."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _to_json_text(value: Any) -> str:
    return json.dumps(value)  # as SQLAlchemy's JSON type writes it (the engine sets no serializer of its own)


def any_of(session: Session, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """``column IN (values)``; on PostgreSQL ``column = ANY(one array)``, whose text stays the same whatever the
    number of values (see ``_column_arrays``)."""
    values = list(values)
    if session.get_bind().dialect.name != "postgresql":
        return column.in_(values)
    return column == any_(bindparam(None, values, type_=postgresql.ARRAY(column.type)))


def insert_ignore(session: Session, row_class: type, rows: list[dict[str, Any]], conflict: list[str]) -> None:
    """INSERT … ON CONFLICT DO NOTHING, so that concurrent workers storing the same listing never collide."""
    if not rows:
        return
    table = row_class.__table__
    # the table, not the mapped class: a Core executemany, without the ORM's per-row bulk bookkeeping
    if session.get_bind().dialect.name != "postgresql":
        session.execute(sqlite.insert(table).on_conflict_do_nothing(index_elements=conflict), rows)
        return
    session.connection().exec_driver_sql(*_unnest_insert(session, table, rows, conflict))


def update_rows(session: Session, row_class: type, rows: list[dict[str, Any]], key: str = "id") -> None:
    """Update rows by ``key``, each row giving the same columns: one executemany (SQLite), or one
    ``UPDATE … FROM unnest(one array per column)`` (PostgreSQL, see ``_column_arrays``)."""
    if not rows:
        return
    table = row_class.__table__
    if session.get_bind().dialect.name != "postgresql":
        renamed = [{f"new_{name}": value for name, value in row.items()} for row in rows]
        values = {name: bindparam(f"new_{name}") for name in rows[0] if name != key}
        session.execute(table.update().where(table.c[key] == bindparam(f"new_{key}")).values(values), renamed)
        return
    names = list(rows[0])
    params, arrays = _column_arrays(session, table, names, rows)
    quote = session.get_bind().dialect.identifier_preparer.quote
    assignments = ", ".join(f"{quote(name)} = new.{quote(name)}" for name in names if name != key)
    statement = (
        f"UPDATE {quote(table.name)} SET {assignments} "
        f"FROM unnest({', '.join(arrays)}) AS new({', '.join(quote(name) for name in names)}) "
        f"WHERE {quote(table.name)}.{quote(key)} = new.{quote(key)}"
    )
    session.connection().exec_driver_sql(statement, params)


def _column_arrays(
    session: Session, table: Table, names: list[str], rows: list[dict[str, Any]]
) -> tuple[dict[str, list[Any]], list[str]]:
    """PostgreSQL: the rows' values as one array parameter per column, and each one's cast to its column's type.

    Multi-row VALUES lists and executemany bind rows × columns parameters, so a statement's text differs with
    the batch size and every parameter is processed one by one; arrays keep the text fixed (psycopg parses it
    once) and bind one parameter per column. The arrays go to psycopg as binary parameters (``%(name)b``, the
    statement run as the driver's own SQL): in text form psycopg quotes and escapes every element with regular
    expressions, a sixth of the storing CPU with listings' raw JSON among the elements.
    """
    dialect = session.get_bind().dialect
    params: dict[str, list[Any]] = {}
    casts = []
    for n, name in enumerate(names):
        column = table.c[name]
        # JSON goes as text (cast to json by the statement), anything else through its type's bind processing
        process = _to_json_text if isinstance(column.type, JSON) else column.type.bind_processor(dialect)
        values = [row[name] for row in rows]
        params[f"c{n}"] = [process(v) for v in values] if process else values
        casts.append(f"CAST(%(c{n})b AS {column.type.compile(dialect)}[])")
    return params, casts


def _unnest_insert(
    session: Session, table: Table, rows: list[dict[str, Any]], conflict: list[str]
) -> tuple[str, dict[str, list[Any]]]:
    """PostgreSQL: one INSERT … SELECT FROM unnest(one array per column), whatever the number of rows. Python-side
    column defaults are not applied here, so every row must give every column that has one."""
    names = list(rows[0])
    missing = [c.name for c in table.columns if c.default is not None and c.name not in names]
    if missing:
        raise ValueError(f"insert_ignore into {table.name}: give {missing} (their defaults are not applied)")
    params, arrays = _column_arrays(session, table, names, rows)
    quote = session.get_bind().dialect.identifier_preparer.quote
    statement = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(name) for name in names)}) "
        f"SELECT * FROM unnest({', '.join(arrays)}) "
        f"ON CONFLICT ({', '.join(quote(name) for name in conflict)}) DO NOTHING"
    )
    return statement, params

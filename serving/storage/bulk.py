"""Set-based statements for many rows at once, on both databases: insert-if-absent, upsert with the rows' ids,
update by key, and ``column IN (values)``.

On PostgreSQL each binds one array per column (``unnest``) or one array of values (``= ANY``), so a statement's
text stays the same whatever the number of rows: psycopg parses it once, and PostgreSQL plans one text. SQLite,
which is in-process and cheap per statement, gets the driver's executemany and ``IN`` over one JSON array: both skip
SQLAlchemy's work per row and per value. Neither database applies Python-side column defaults here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    ColumnElement,
    Select,
    String,
    Table,
    all_,
    any_,
    bindparam,
    func,
    literal_column,
    select,
    tuple_,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

T = TypeVar("T")

CHUNK = 500  # values per IN (...) list


def chunks(values: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """``values`` in slices of at most ``size``, for IN (...) lists."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _to_json_text(value: Any) -> str:
    return json.dumps(value)  # as SQLAlchemy's JSON type writes it (the engine sets no serializer of its own)


def any_of(session: Session, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """``column IN (values)`` as one parameter, whose statement text stays the same whatever the number of values:
    on PostgreSQL ``column = ANY(one array)`` (see ``_column_arrays``), on SQLite ``column IN (SELECT value FROM
    json_each(one JSON array))`` (see ``_json_values``)."""
    values = list(values)
    if session.get_bind().dialect.name != "postgresql":
        listed = _json_values(values)
        return column.in_(values) if listed is None else column.in_(listed)
    return column == any_(bindparam(None, values, type_=postgresql.ARRAY(column.type)))


def none_of(session: Session, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """``column NOT IN (values)``, as one parameter like ``any_of``; on PostgreSQL ``column <> ALL(one array)``."""
    values = list(values)
    if session.get_bind().dialect.name != "postgresql":
        listed = _json_values(values)
        return column.not_in(values) if listed is None else column.not_in(listed)
    return column != all_(bindparam(None, values, type_=postgresql.ARRAY(column.type)))


def _json_values(values: list[Any]) -> Select | None:
    """SQLite: ``SELECT value FROM json_each(:values)``, the values sent as one JSON array (integers and strings
    only; None for anything else). SQLAlchemy renders and binds an ``IN`` list's values one by one on every
    execution, about 5 µs a value (5 ms for a batch's LSH buckets); SQLite parses the array in C, and still
    looks each value up in the column's index."""
    if not all(type(value) in (int, str) for value in values):
        return None
    return select(literal_column("value")).select_from(func.json_each(bindparam(None, json.dumps(values), String)))


def insert_ignore(
    session: Session, row_class: type, rows: list[dict[str, Any]], conflict: list[str], *, report: bool = False
) -> set[Any]:
    """INSERT … ON CONFLICT DO NOTHING, so that concurrent workers storing the same listing never collide.

    With ``report`` (and one conflict column), the conflict column's values of the rows this statement inserted:
    PostgreSQL says which with ``RETURNING``; SQLite, where the caller holds the one write lock, looks up which
    were there first. Without it, an empty set.
    """
    if not rows:
        return set()
    table = row_class.__table__
    # the table, not the mapped class: a Core executemany, without the ORM's per-row bulk bookkeeping
    if session.get_bind().dialect.name != "postgresql":
        before: set[Any] = set()
        if report:
            column = table.c[conflict[0]]
            values = [row[conflict[0]] for row in rows]
            for chunk in chunks(values):
                before.update(session.execute(select(column).where(any_of(session, column, chunk))).scalars())
        names = _given_columns(table, rows)
        statement = _insert_sql(session, table, names, f"VALUES ({', '.join(['?'] * len(names))})", conflict)
        _execute_many(session, table, statement, names, rows)
        return {row[conflict[0]] for row in rows} - before if report else set()
    statement, params = _unnest_insert(session, table, rows, conflict, returning=conflict[:1] if report else ())
    inserted = session.connection().exec_driver_sql(statement, params)
    return set(inserted.scalars()) if report else set()


def upsert_returning(
    session: Session,
    row_class: type,
    rows: list[dict[str, Any]],
    conflict: list[str],
    *,
    update: list[str],
    returning: list[str],
) -> list[tuple[Any, ...]]:
    """INSERT … ON CONFLICT DO UPDATE SET the ``update`` columns to the values sent, RETURNING ``returning`` of
    every row given, inserted or already there (in no particular order): one statement where an insert, a look-up
    and an update would take three.

    SQLite takes those three (executemany-sized statements): its own ``RETURNING`` goes through SQLAlchemy's
    row-by-row path, slower there than all three.
    """
    if not rows:
        return []
    table = row_class.__table__
    if session.get_bind().dialect.name != "postgresql":
        insert_ignore(session, row_class, rows, conflict)
        update_rows(session, row_class, [{n: row[n] for n in (*conflict, *update)} for row in rows], conflict)
        keys = [tuple(row[name] for name in conflict) for row in rows]
        columns = [table.c[name] for name in returning]
        found: list[tuple[Any, ...]] = []
        for chunk in chunks(keys):
            found += session.execute(select(*columns).where(tuple_(*(table.c[n] for n in conflict)).in_(chunk))).all()
        return [tuple(row) for row in found]
    quote = session.get_bind().dialect.identifier_preparer.quote
    assignments = ", ".join(f"{quote(name)} = EXCLUDED.{quote(name)}" for name in update)
    statement, params = _unnest_insert(
        session, table, rows, conflict, action=f"DO UPDATE SET {assignments}", returning=returning
    )
    return [tuple(row) for row in session.connection().exec_driver_sql(statement, params)]


def update_rows(session: Session, row_class: type, rows: list[dict[str, Any]], key: str | Sequence[str] = "id") -> None:
    """Update rows by ``key`` (a column, or several that together name a row), each row giving the same columns:
    one executemany (SQLite), or one ``UPDATE … FROM unnest(one array per column)`` (PostgreSQL, see
    ``_column_arrays``)."""
    if not rows:
        return
    table = row_class.__table__
    keys = [key] if isinstance(key, str) else list(key)
    names = list(rows[0])
    quote = session.get_bind().dialect.identifier_preparer.quote
    if session.get_bind().dialect.name != "postgresql":
        updated = [name for name in names if name not in keys]
        statement = (
            f"UPDATE {quote(table.name)} SET {', '.join(f'{quote(name)} = ?' for name in updated)} "
            f"WHERE {' AND '.join(f'{quote(name)} = ?' for name in keys)}"
        )
        _execute_many(session, table, statement, [*updated, *keys], rows)
        return
    params, arrays = _column_arrays(session, table, names, rows)
    assignments = ", ".join(f"{quote(name)} = new.{quote(name)}" for name in names if name not in keys)
    match = " AND ".join(f"{quote(table.name)}.{quote(name)} = new.{quote(name)}" for name in keys)
    statement = (
        f"UPDATE {quote(table.name)} SET {assignments} "
        f"FROM unnest({', '.join(arrays)}) AS new({', '.join(quote(name) for name in names)}) WHERE {match}"
    )
    session.connection().exec_driver_sql(statement, params)


def _execute_many(session: Session, table: Table, statement: str, names: list[str], rows: list[dict[str, Any]]) -> None:
    """SQLite: one executemany of the driver's own SQL, each row's ``names`` values in order, through their
    columns' bind processing, as SQLAlchemy would store them: its own executemany builds each row's parameters
    one by one, several Python calls a value."""
    dialect = session.get_bind().dialect
    columns = []
    for name in names:
        process = table.c[name].type.bind_processor(dialect)
        values = [row[name] for row in rows]
        columns.append(list(map(process, values)) if process else values)
    session.connection().exec_driver_sql(statement, list(zip(*columns, strict=True)))


def _insert_sql(
    session: Session, table: Table, names: list[str], rows_from: str, conflict: list[str], action: str = "DO NOTHING"
) -> str:
    """``INSERT INTO table (names) <rows_from> ON CONFLICT (conflict) <action>``, quoted for the session's database
    (``rows_from``: SQLite's ``VALUES (?, …)`` for an executemany, PostgreSQL's ``SELECT * FROM unnest(…)``)."""
    quote = session.get_bind().dialect.identifier_preparer.quote
    return (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(name) for name in names)}) {rows_from} "
        f"ON CONFLICT ({', '.join(quote(name) for name in conflict)}) {action}"
    )


def _given_columns(table: Table, rows: list[dict[str, Any]]) -> list[str]:
    """The columns the rows give (those of the first); every column with a Python-side default must be among them,
    as statements of the driver's own SQL do not apply defaults."""
    names = list(rows[0])
    missing = [c.name for c in table.columns if c.default is not None and c.name not in names]
    if missing:
        raise ValueError(f"insert_ignore into {table.name}: give {missing} (their defaults are not applied)")
    return names


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
    session: Session,
    table: Table,
    rows: list[dict[str, Any]],
    conflict: list[str],
    *,
    action: str = "DO NOTHING",
    returning: Sequence[str] = (),
) -> tuple[str, dict[str, list[Any]]]:
    """PostgreSQL: one INSERT … SELECT FROM unnest(one array per column), whatever the number of rows. Python-side
    column defaults are not applied here, so every row must give every column that has one."""
    names = _given_columns(table, rows)
    params, arrays = _column_arrays(session, table, names, rows)
    statement = _insert_sql(session, table, names, f"SELECT * FROM unnest({', '.join(arrays)})", conflict, action)
    if returning:
        quote = session.get_bind().dialect.identifier_preparer.quote
        statement += f" RETURNING {', '.join(quote(name) for name in returning)}"
    return statement, params

"""The bulk statements of ``serving.storage.bulk`` (``insert_ignore``, ``upsert_returning``, ``update_rows``,
``any_of``, ``none_of``) on both databases: PostgreSQL binds one array per column, SQLite runs the driver's
executemany, and both must store the same values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from serving.storage.bulk import any_of, insert_ignore, none_of, update_rows, upsert_returning
from serving.storage.case_tables import LshBucketRow, OperatorRow
from serving.storage.components import new_operator_row
from serving.storage.db import Database

NOW = datetime(2026, 12, 6, 21, 0, tzinfo=UTC)


def _stored(database: Database) -> dict[int, tuple]:
    with database.read() as session:
        rows = session.execute(
            select(OperatorRow.id, OperatorRow.flagged_counts, OperatorRow.platforms, OperatorRow.max_risk,
                   OperatorRow.is_case, OperatorRow.merged_into, OperatorRow.updated_at)
        ).all()  # fmt: skip
    return {row[0]: (row[1], row[2], row[3], row[4], row[5], row[6].astimezone(UTC)) for row in rows}


def test_insert_ignore_keeps_the_first_row_and_stores_every_type(database: Database) -> None:
    first = [new_operator_row(i, NOW) | {"flagged_counts": {"hàng giả": i}} for i in (3, 1, 2)]
    with database.write() as session:
        insert_ignore(session, OperatorRow, first, ["id"])
    again = [new_operator_row(2, NOW) | {"platforms": "|shopee|"}, new_operator_row(4, NOW)]
    with database.write() as session:
        insert_ignore(session, OperatorRow, again, ["id"])  # 2 is there already: ignored, 4 is new
    stored = _stored(database)
    assert sorted(stored) == [1, 2, 3, 4]
    assert stored[2] == ({"hàng giả": 2}, "|", 0.0, False, None, NOW)
    assert stored[4][0] == {}


def test_insert_ignore_refuses_rows_without_a_defaulted_column(database: Database) -> None:
    row = new_operator_row(1, NOW)
    del row["flagged_counts"]  # has a Python-side default, which neither database's statement would apply
    with pytest.raises(ValueError, match="flagged_counts"), database.write() as session:
        insert_ignore(session, OperatorRow, [row], ["id"])


def test_update_rows_changes_only_the_rows_and_columns_given(database: Database) -> None:
    with database.write() as session:
        insert_ignore(session, OperatorRow, [new_operator_row(i, NOW) for i in range(1, 5)], ["id"])
    later = NOW + timedelta(hours=1)
    updates = [
        {"id": 3, "flagged_counts": {"smuggled": 2}, "max_risk": 0.75, "is_case": True, "merged_into": 1,
         "updated_at": later},
        {"id": 1, "flagged_counts": {}, "max_risk": 0.5, "is_case": False, "merged_into": None, "updated_at": later},
    ]  # fmt: skip
    with database.write() as session:
        update_rows(session, OperatorRow, updates)
        update_rows(session, OperatorRow, [])
    stored = _stored(database)
    assert stored[3] == ({"smuggled": 2}, "|", 0.75, True, 1, later)
    assert stored[1] == ({}, "|", 0.5, False, None, later)
    assert stored[2] == stored[4] == ({}, "|", 0.0, False, None, NOW)


def test_update_rows_by_several_columns_needs_all_of_them_to_match(database: Database) -> None:
    with database.write() as session:
        insert_ignore(session, OperatorRow, [new_operator_row(i, NOW) for i in (1, 2)], ["id"])
    updates = [{"id": 1, "platforms": "|", "max_risk": 0.9}, {"id": 2, "platforms": "|tiki|", "max_risk": 0.8}]
    with database.write() as session:
        update_rows(session, OperatorRow, updates, ["id", "platforms"])  # operator 2's platforms are "|"
    stored = _stored(database)
    assert (stored[1][1], stored[1][2]) == ("|", 0.9)
    assert (stored[2][1], stored[2][2]) == ("|", 0.0)


@pytest.mark.parametrize("values", [[], [2], [4, 1, 99], list(range(0, 2000, 2))])
def test_any_of_and_none_of_match_in_and_not_in_lists(database: Database, values: list[int]) -> None:
    with database.write() as session:
        insert_ignore(session, OperatorRow, [new_operator_row(i, NOW) for i in range(1, 6)], ["id"])
    with database.read() as session:
        found = set(session.scalars(select(OperatorRow.id).where(any_of(session, OperatorRow.id, values))))
        left = set(session.scalars(select(OperatorRow.id).where(none_of(session, OperatorRow.id, values))))
        texts = set(session.scalars(select(OperatorRow.id).where(any_of(session, OperatorRow.platforms, ["|"]))))
        both = any_of(session, OperatorRow.id, [1, 2, 3]) & none_of(session, OperatorRow.id, [2])
        picked = set(session.scalars(select(OperatorRow.id).where(both)))
    assert found == {1, 2, 3, 4, 5} & set(values)
    assert left == {1, 2, 3, 4, 5} - set(values)
    assert texts == {1, 2, 3, 4, 5}
    assert picked == {1, 3}


def test_any_of_takes_any_text_the_widest_integers_and_values_of_other_types(database: Database) -> None:
    platforms = {1: '|sho"pee|', 2: "|tiki\\|", 3: "|zalo|", 4: "|hàng giả|", 5: "|'|"}
    buckets = [2**63 - 1, -(2**63), 12, -7]  # LSH band keys are signed 64-bit
    with database.write() as session:
        rows = [new_operator_row(i, NOW) | {"platforms": p} for i, p in platforms.items()]
        insert_ignore(session, OperatorRow, rows, ["id"])
        insert_ignore(
            session, LshBucketRow, [{"bucket": b, "listing_id": 1} for b in buckets], ["bucket", "listing_id"]
        )
    wanted = [platforms[1], platforms[2], platforms[4], platforms[5], "12"]
    with database.read() as session:
        texts = set(session.scalars(select(OperatorRow.id).where(any_of(session, OperatorRow.platforms, wanted))))
        keys = any_of(session, LshBucketRow.bucket, [2**63 - 1, -(2**63), 13])
        found = set(session.scalars(select(LshBucketRow.bucket).where(keys)))
        # values other than integers and text (here floats) go as an ordinary IN list
        risks = set(session.scalars(select(OperatorRow.id).where(any_of(session, OperatorRow.max_risk, [0.0, 0.5]))))
    assert texts == {1, 2, 4, 5}
    assert found == {2**63 - 1, -(2**63)}
    assert risks == {1, 2, 3, 4, 5}


def test_upsert_returning_inserts_updates_and_returns_every_row(database: Database) -> None:
    with database.write() as session:
        insert_ignore(session, OperatorRow, [new_operator_row(i, NOW) for i in (1, 2)], ["id"])
    later = NOW + timedelta(hours=2)
    rows = [new_operator_row(i, later) | {"platforms": f"|p{i}|"} for i in (2, 3)]  # 2 is there, 3 is new
    with database.write() as session:
        returned = upsert_returning(
            session, OperatorRow, rows, ["id"], update=["updated_at"], returning=["id", "platforms"]
        )
        assert upsert_returning(session, OperatorRow, [], ["id"], update=["updated_at"], returning=["id"]) == []
    # every row given comes back: the one already there with its own platforms (only updated_at was updated)
    assert sorted(returned) == [(2, "|"), (3, "|p3|")]
    stored = _stored(database)
    assert {i: stored[i][5] for i in stored} == {1: NOW, 2: later, 3: later}


def test_insert_ignore_reports_the_rows_it_inserted(database: Database) -> None:
    with database.write() as session:
        first = [new_operator_row(i, NOW) for i in (1, 2)]
        assert insert_ignore(session, OperatorRow, first, ["id"], report=True) == {1, 2}
    with database.write() as session:
        rows = [new_operator_row(i, NOW) for i in (2, 3, 4)]
        assert insert_ignore(session, OperatorRow, rows, ["id"], report=True) == {3, 4}  # 2 was there
        assert insert_ignore(session, OperatorRow, [new_operator_row(5, NOW)], ["id"]) == set()  # not asked
    assert sorted(_stored(database)) == [1, 2, 3, 4, 5]

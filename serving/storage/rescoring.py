"""Storage side of rescoring the stored listings with a new model: what is left, reading it, writing it back.

What is done is read from the listings themselves: a listing is *pending* until its latest score is of the
new model version. Reading walks pending listings by id (keyset pages inside id ranges the engine spreads
over its workers), each page in its own short read; writing is one small transaction per batch, so the API
keeps storing and reviewing meanwhile. A crash loses only the batches not yet committed, and a re-run reads
only what is still pending: nothing committed is scored twice, and scores stay unique per (snapshot, model
version) whatever happens, because rows are inserted with ON CONFLICT DO NOTHING.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from serving.storage.bulk import insert_ignore
from serving.storage.db import Database
from serving.storage.listings import replace_flags
from serving.storage.models import ListingRow, RescoreRunRow, ScoreRow, SnapshotRow


@dataclass(frozen=True)
class IdRange:
    """Listings with ``first <= id <= last``: one engine read task's share."""

    first: int
    last: int


@dataclass(frozen=True)
class PendingSnapshot:
    """A listing whose latest score is not of the new model yet, with its latest snapshot as received."""

    listing_id: int
    snapshot_id: int
    raw_json: str


@dataclass(frozen=True)
class RescoredSnapshot:
    """A pending snapshot scored by the new model, in stored form.

    ``score`` is what a ``scores`` row keeps (``listings.score_values``), ``queue`` what the listing row's
    latest fields take (``listings.queue_values``).
    """

    listing_id: int
    snapshot_id: int
    score: dict[str, Any]
    queue: dict[str, Any]


def is_pending(model_version: str) -> ColumnElement[bool]:
    """Listings with a stored snapshot whose latest score is not of ``model_version``."""
    return ListingRow.latest_snapshot_id.is_not(None) & or_(
        ListingRow.latest_model_version.is_(None), ListingRow.latest_model_version != model_version
    )


def count_pending(session: Session, model_version: str) -> tuple[int, int]:
    """(pending, done): listings still to rescore, and listings whose latest score is already of the version."""
    pending = session.scalar(select(func.count()).select_from(ListingRow).where(is_pending(model_version))) or 0
    done = (
        session.scalar(
            select(func.count()).select_from(ListingRow).where(ListingRow.latest_model_version == model_version)
        )
        or 0
    )
    return pending, done


def plan_ranges(session: Session, model_version: str, *, ids_per_range: int) -> list[IdRange]:
    """Split the ids of the pending listings into ranges of ``ids_per_range`` ids (the engine's read tasks)."""
    low, high = session.execute(
        select(func.min(ListingRow.id), func.max(ListingRow.id)).where(is_pending(model_version))
    ).one()
    if low is None:
        return []
    return [IdRange(first, min(first + ids_per_range - 1, high)) for first in range(low, high + 1, ids_per_range)]


def read_pending(
    session: Session, id_range: IdRange, model_version: str, *, after: int, limit: int
) -> list[PendingSnapshot]:
    """The next ``limit`` pending listings of the range with ids above ``after``, by id (keyset pagination)."""
    statement = (
        select(ListingRow.id, SnapshotRow.id, SnapshotRow.raw_json)
        .join(SnapshotRow, SnapshotRow.id == ListingRow.latest_snapshot_id)
        .where(ListingRow.id > max(after, id_range.first - 1), ListingRow.id <= id_range.last)
        .where(is_pending(model_version))
        .order_by(ListingRow.id)
        .limit(limit)
    )
    return [PendingSnapshot(*row) for row in session.execute(statement)]


def iter_pending(db: Database, id_range: IdRange, model_version: str, *, page: int) -> Iterator[list[PendingSnapshot]]:
    """Pages of the range's pending listings, each read in its own short session (no transaction held open)."""
    after = id_range.first - 1
    while True:
        with db.read() as session:
            rows = read_pending(session, id_range, model_version, after=after, limit=page)
        if rows:
            yield rows
        if len(rows) < page:
            return
        after = rows[-1].listing_id


def write_rescored(session: Session, rescored: Sequence[RescoredSnapshot], *, now: datetime) -> list[int]:
    """Store the new scores and point each listing's latest fields at them; returns the listings updated.

    A listing whose latest snapshot changed since it was read (the crawler sent a new version meanwhile, and
    the API scored it) keeps its newer snapshot: its row is left alone and the old snapshot's new score is
    only added to its history. Reviews are not touched: a reviewed listing stays reviewed.
    """
    if not rescored:
        return []
    ordered = sorted(rescored, key=lambda item: item.snapshot_id)
    rows = [{"listing_id": r.listing_id, "snapshot_id": r.snapshot_id, **r.score, "created_at": now} for r in ordered]
    insert_ignore(session, ScoreRow, rows, ["snapshot_id", "model_version"])
    versions = {row["model_version"] for row in rows}
    score_ids = dict(
        session.execute(
            select(ScoreRow.snapshot_id, ScoreRow.id).where(
                ScoreRow.snapshot_id.in_([r.snapshot_id for r in ordered]), ScoreRow.model_version.in_(versions)
            )
        ).all()
    )
    listings = ListingRow.__table__
    fields = list(ordered[0].queue)
    # the same row order as store_scored (by listing id), so the API and a rescore never deadlock on rows
    by_listing = sorted(ordered, key=lambda item: item.listing_id)
    statement = (
        update(listings)
        .where(listings.c.id == bindparam("b_id"), listings.c.latest_snapshot_id == bindparam("b_snapshot"))
        .values(
            latest_score_id=bindparam("b_score"),
            latest_scored_at=bindparam("b_now"),
            **{field: bindparam(f"b_{field}") for field in fields},
        )
    )
    session.execute(
        statement,
        [
            {
                "b_id": r.listing_id,
                "b_snapshot": r.snapshot_id,
                "b_score": score_ids[r.snapshot_id],
                "b_now": now,
                **{f"b_{field}": r.queue[field] for field in fields},
            }
            for r in by_listing
        ],
    )
    # updated = now pointing at the score just written (not: re-sent and scored by the API meanwhile)
    written = {r.listing_id: score_ids[r.snapshot_id] for r in by_listing}
    current = session.execute(
        select(ListingRow.id, ListingRow.latest_score_id).where(ListingRow.id.in_(list(written)))
    ).all()
    updated = sorted(listing_id for listing_id, score_id in current if written[listing_id] == score_id)
    flagged = {r.listing_id: r.score["flagged"] for r in by_listing}
    replace_flags(session, {listing_id: flagged[listing_id] for listing_id in updated})
    return updated


def start_run(session: Session, model_version: str, *, now: datetime) -> RescoreRunRow:
    """The version's progress row, created or (a resumed run) with one more attempt and its failures reset."""
    run = session.get(RescoreRunRow, model_version, with_for_update=True)
    if run is None:
        run = RescoreRunRow(model_version=model_version, started_at=now, updated_at=now, attempts=0, scored=0, failed=0)
        session.add(run)
    run.attempts += 1
    run.failed = 0
    run.last_error = None
    run.finished_at = None
    run.updated_at = now
    session.flush()
    return run


def update_run(
    session: Session,
    model_version: str,
    *,
    scored: int,
    failed: int,
    first_error: str | None,
    finished: bool,
    now: datetime,
) -> RescoreRunRow | None:
    """Record progress. ``scored`` is the listings done when the attempt started plus those it committed since,
    so it is exact again at the start of any resumed attempt (counted from the listings then)."""
    run = session.get(RescoreRunRow, model_version, with_for_update=True)
    if run is None:
        return None
    run.scored = scored
    run.failed = failed
    run.last_error = first_error
    run.updated_at = now
    if finished:
        run.finished_at = now
    return run


def get_run(session: Session, model_version: str) -> RescoreRunRow | None:
    """The version's progress row, or None if it was never rescored."""
    return session.get(RescoreRunRow, model_version)

"""Stored listings read back in the listing contract: reviewed ones as training data (the export's format), and
recent versions for drift checks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from model.schema import Listing
from serving.storage.models import ListingRow, ReviewRow, SnapshotRow
from serving.storage.review_quality import Trust, label_trust


def iter_reviewed(
    session: Session, *, trust: Trust, since: datetime | None = None, page: int = 500
) -> Iterator[dict[str, Any]]:
    """Reviewed listings as training data: the reviewed snapshot in the listing contract plus its labels.

    Lines match ``data/seed/listings.jsonl``: every contract field (null when absent), ``labels`` from the
    latest review paired with the version of the listing that review saw, and extra fields: who reviewed
    when, the label's ``provenance`` (single review, agreed double review, lead decision, or disputed) and its
    training ``weight`` (``serving.storage.review_quality``).
    """
    after = 0
    while True:
        statement = (
            select(ListingRow, SnapshotRow, ReviewRow)
            .join(ReviewRow, ReviewRow.id == ListingRow.latest_review_id)
            .join(SnapshotRow, SnapshotRow.id == ReviewRow.snapshot_id)
            .where(ListingRow.id > after)
            .order_by(ListingRow.id)
            .limit(page)
        )
        if since is not None:
            statement = statement.where(ReviewRow.created_at >= since)
        rows = session.execute(statement).all()
        trusted = label_trust(session, trust, [(listing_row, review) for listing_row, _snapshot, review in rows])
        for listing_row, snapshot, review in rows:
            listing = Listing.model_validate(json.loads(snapshot.raw_json))
            line = listing.model_dump(mode="json", exclude={"labels"})
            line["id"] = listing.id or f"soi-{listing_row.id}"
            line["labels"] = list(review.labels)
            line["soi_listing_id"] = listing_row.id
            line["reviewer"] = review.reviewer
            line["reviewed_at"] = review.created_at.isoformat()
            line["provenance"], weight = trusted[listing_row.id]
            line["weight"] = round(weight, 4)
            yield line
        if len(rows) < page:
            return
        after = rows[-1][0].id


def iter_recent_snapshots(session: Session, *, since: datetime, page: int = 1000) -> Iterator[dict[str, Any]]:
    """Listing versions seen since ``since``, as listing-contract objects (for drift checks), oldest first."""
    after = 0
    while True:
        statement = (
            select(SnapshotRow)
            .where(SnapshotRow.last_seen >= since, SnapshotRow.id > after)
            .order_by(SnapshotRow.id)
            .limit(page)
        )
        rows = list(session.scalars(statement))
        for snapshot in rows:
            yield Listing.model_validate(json.loads(snapshot.raw_json)).model_dump(mode="json", exclude={"labels"})
        if len(rows) < page:
            return
        after = rows[-1].id

"""Listings, their snapshots and scores as stored: a listing's identity and content hash, and storing a scored
batch (``store_scored``).

Scoring a batch is one transaction of a few set-based statements (insert-if-absent by unique key, then
look-ups by ``IN``), whatever the batch size, so storage stays cheap next to the model.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from model.listing_key import listing_key
from model.schema import Listing, Score
from serving.storage.bulk import any_of, chunks, insert_ignore, update_rows, upsert_returning
from serving.storage.content import canonical_and_sha256, sha256_hex
from serving.storage.models import ListingFlagRow, ListingRow, ScoreRow, SnapshotRow


def find_listing_ids(session: Session, listings: Sequence[Listing]) -> list[int | None]:
    """The stored ids of listings given by their identity (platform + id, else url), None for unknown ones."""
    hashes = [sha256_hex(listing_key(listing, "")) for listing in listings]
    found = dict(
        session.execute(
            select(ListingRow.key_hash, ListingRow.id).where(any_of(session, ListingRow.key_hash, hashes))
        ).all()
    )
    return [found.get(key_hash) for key_hash in hashes]


def uncertainty(score: Score, thresholds: dict[str, float]) -> float:
    """How close the model is to changing its mind: the smallest distance of a label to its threshold."""
    return min(abs(p - thresholds.get(label, 0.5)) for label, p in score.probabilities.items())


def score_values(score: Score) -> dict[str, Any]:
    """A score as a ``scores`` row keeps it (besides the listing, the snapshot and the time)."""
    return {
        "model_version": score.model_version,
        "risk": score.risk,
        "priority": score.priority,
        "probabilities": score.probabilities,
        "flagged": score.flagged,
        "reasons": [reason.model_dump(mode="json", exclude_none=True) for reason in score.reasons],
    }


def replace_flags(session: Session, flagged: dict[int, Sequence[str]]) -> None:
    """The labels each listing's latest score flagged (listing id -> labels, in the score's order) replace the
    ones it had."""
    if not flagged:
        return
    table = ListingFlagRow.__table__
    for chunk in chunks(sorted(flagged)):
        session.execute(table.delete().where(any_of(session, table.c.listing_id, chunk)))
    rows = [
        {"listing_id": listing_id, "label": label, "position": position}
        for listing_id in sorted(flagged)
        for position, label in enumerate(dict.fromkeys(flagged[listing_id]))
    ]
    if rows:
        session.execute(table.insert(), rows)


def queue_values(score: Score, thresholds: dict[str, float]) -> dict[str, Any]:
    """What the queue reads of a listing's latest score (besides the score row's id and time)."""
    return {
        "latest_model_version": score.model_version,
        "latest_risk": score.risk,
        "latest_priority": score.priority,
        "latest_uncertainty": uncertainty(score, thresholds),
    }


@dataclass(frozen=True)
class ScoredListing:
    """A listing as received (``raw``), as validated (``listing``) and as scored."""

    raw: dict[str, Any]
    listing: Listing
    score: Score


@dataclass(frozen=True)
class _Batch:
    """A batch's items with each one's canonical JSON, content hash, identity and identity hash, in the order
    received."""

    items: Sequence[ScoredListing]
    texts: list[str]
    shas: list[str]
    keys: list[str]
    key_hashes: list[str]

    @classmethod
    def of(cls, items: Sequence[ScoredListing]) -> _Batch:
        texts, shas = zip(*(canonical_and_sha256(item.raw) for item in items), strict=True)
        keys = [listing_key(item.listing, sha) for item, sha in zip(items, shas, strict=True)]
        return cls(items=items, texts=list(texts), shas=list(shas), keys=keys, key_hashes=[sha256_hex(k) for k in keys])

    def rows(self) -> Iterator[tuple[ScoredListing, str, str, str]]:
        """Each item with its content hash, identity and identity hash."""
        yield from zip(self.items, self.shas, self.keys, self.key_hashes, strict=True)


@dataclass(frozen=True)
class NewListing:
    """A listing first stored by a batch, as its latest item there left it: what its own operator's aggregates
    are made of until it is linked to another (``serving.storage.linking``)."""

    platform: str | None
    risk: float
    flagged: tuple[str, ...]


@dataclass(frozen=True)
class StoredBatch:
    """What storing a batch did: each item's listing id (in the order received), each listing's latest snapshot,
    the listings it stored for the first time, and the time it stored them at."""

    ids: list[int]
    snapshots: dict[int, int]  # listing id -> its latest snapshot id
    created: dict[int, NewListing]
    now: datetime


def store_scored(
    session: Session, items: Sequence[ScoredListing], *, thresholds: dict[str, float], now: datetime
) -> StoredBatch:
    """Store listings, their snapshots and scores; ``.ids`` is each item's stored listing id, in order.

    A listing seen before keeps its id; an unchanged snapshot only has its ``last_seen`` moved; a snapshot
    already scored by this model version is not scored into a new row.
    """
    if not items:
        return StoredBatch([], {}, {}, now)
    batch = _Batch.of(items)
    listing_ids, created = _store_listings(session, batch, now=now)
    snapshot_ids = _store_snapshots(session, batch, listing_ids, now=now)
    latest, score_ids = _store_scores(session, batch, listing_ids, snapshot_ids, now=now)
    _update_latest(session, latest, score_ids, thresholds=thresholds, now=now)
    return StoredBatch(
        ids=[listing_ids[key_hash] for key_hash in batch.key_hashes],
        snapshots={listing_id: snapshot_id for listing_id, (_item, snapshot_id) in latest.items()},
        created={
            listing_ids[key_hash]: NewListing(item.listing.platform, item.score.risk, tuple(item.score.flagged))
            for key_hash in created
            for item, _snapshot_id in [latest[listing_ids[key_hash]]]
        },
        now=now,
    )


def _store_listings(session: Session, batch: _Batch, *, now: datetime) -> tuple[dict[str, int], set[str]]:
    """Insert the listings not stored yet (sorted, so concurrent batches lock rows in one order); the stored id
    of each identity hash, and the identity hashes of the listings inserted."""
    new_listings: dict[str, dict[str, Any]] = {}
    for item, _sha, key, key_hash in batch.rows():
        seller = item.listing.seller
        new_listings.setdefault(
            key_hash,
            {
                "key": key,
                "key_hash": key_hash,
                "platform": item.listing.platform,
                "external_id": item.listing.id,
                "url": item.listing.url,
                "seller_id": seller.id if seller else None,
                "title": item.listing.title,
                "first_seen": now,
                "last_seen": now,
            },
        )
    rows = [new_listings[k] for k in sorted(new_listings)]
    created = insert_ignore(session, ListingRow, rows, ["key_hash"], report=True)
    ids = session.execute(
        select(ListingRow.key_hash, ListingRow.id).where(any_of(session, ListingRow.key_hash, new_listings))
    )
    return dict(ids.tuples().all()), created


def _store_snapshots(
    session: Session, batch: _Batch, listing_ids: dict[str, int], *, now: datetime
) -> dict[tuple[int, str], int]:
    """One snapshot per distinct (listing, content), its ``last_seen`` moved to now; the id of each."""
    snapshot_rows: dict[tuple[int, str], dict[str, Any]] = {}
    for (_item, sha, _key, key_hash), text in zip(batch.rows(), batch.texts, strict=True):
        listing_id = listing_ids[key_hash]
        snapshot_rows.setdefault(
            (listing_id, sha),
            {"listing_id": listing_id, "sha256": sha, "raw_json": text, "first_seen": now, "last_seen": now},
        )
    found = upsert_returning(
        session,
        SnapshotRow,
        [snapshot_rows[k] for k in sorted(snapshot_rows)],  # sorted: concurrent batches lock rows in one order
        ["listing_id", "sha256"],
        update=["last_seen"],
        returning=["listing_id", "sha256", "id"],
    )
    return {(listing_id, sha): snapshot_id for listing_id, sha, snapshot_id in found}


def _store_scores(
    session: Session,
    batch: _Batch,
    listing_ids: dict[str, int],
    snapshot_ids: dict[tuple[int, str], int],
    *,
    now: datetime,
) -> tuple[dict[int, tuple[ScoredListing, int]], dict[int, int]]:
    """One score per (snapshot, model version); each listing's last item in the batch with its snapshot id, and
    the score id of each snapshot."""
    score_rows: dict[int, dict[str, Any]] = {}
    latest: dict[int, tuple[ScoredListing, int]] = {}  # listing id -> its last item in this batch
    for item, sha, _key, key_hash in batch.rows():
        listing_id = listing_ids[key_hash]
        snapshot_id = snapshot_ids[(listing_id, sha)]
        latest[listing_id] = (item, snapshot_id)
        score_rows.setdefault(
            snapshot_id,
            {"listing_id": listing_id, "snapshot_id": snapshot_id, **score_values(item.score), "created_at": now},
        )
    insert_ignore(session, ScoreRow, [score_rows[k] for k in sorted(score_rows)], ["snapshot_id", "model_version"])
    versions = {row["model_version"] for row in score_rows.values()}
    score_ids = dict(
        session.execute(
            select(ScoreRow.snapshot_id, ScoreRow.id).where(
                any_of(session, ScoreRow.snapshot_id, score_rows), any_of(session, ScoreRow.model_version, versions)
            )
        ).all()
    )
    return latest, score_ids


def _update_latest(
    session: Session,
    latest: dict[int, tuple[ScoredListing, int]],
    score_ids: dict[int, int],
    *,
    thresholds: dict[str, float],
    now: datetime,
) -> None:
    """The listing rows' latest state, which the queue reads. A listing edited after its review goes back into
    the queue: the reviewed version keeps its review, the new one has none yet."""
    before = {
        row.id: (row.latest_snapshot_id, row.latest_score_id, row.reviewed_at, row.review_stage)
        for row in session.execute(
            select(
                ListingRow.id,
                ListingRow.latest_snapshot_id,
                ListingRow.latest_score_id,
                ListingRow.reviewed_at,
                ListingRow.review_stage,
            )
            .where(any_of(session, ListingRow.id, sorted(latest)))
            .order_by(ListingRow.id)
            .with_for_update()
        )
    }
    updates = []
    flagged: dict[int, list[str]] = {}  # the listings whose latest score is another row now
    for listing_id in sorted(latest):
        item, snapshot_id = latest[listing_id]
        seller = item.listing.seller
        previous_snapshot, previous_score, reviewed_at, review_stage = before[listing_id]
        if previous_score != score_ids[snapshot_id]:
            flagged[listing_id] = item.score.flagged
        unchanged = previous_snapshot in (None, snapshot_id)
        updates.append(
            {
                "id": listing_id,
                "reviewed_at": reviewed_at if unchanged else None,
                "review_stage": review_stage if unchanged else None,  # a check follows one version
                "last_seen": now,
                "title": item.listing.title,
                "url": item.listing.url,
                "seller_id": seller.id if seller else None,
                "latest_snapshot_id": snapshot_id,
                "latest_score_id": score_ids[snapshot_id],
                **queue_values(item.score, thresholds),
                "latest_scored_at": now,
            }
        )
    update_rows(session, ListingRow, updates)
    replace_flags(session, flagged)

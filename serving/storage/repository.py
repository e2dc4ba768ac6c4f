"""Repository functions: every read and write of the tables goes through here, in the caller's session.

Scoring a batch is one transaction of a few set-based statements (insert-if-absent by unique key, then
look-ups by ``IN``), whatever the batch size, so storage stays cheap next to the model.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import secrets
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from model.listing_key import listing_key
from model.schema import Listing, Score
from serving.roles import ROLES
from serving.storage.models import ApiKeyRow, ListingRow, ModelReloadRow, ReviewRow, ScoreRow, SnapshotRow
from serving.storage.review_checks import Viewer, open_to
from serving.storage.review_quality import Trust, label_trust

KEY_PREFIX = "soi_"


# ---------------------------------------------------------------- listings, snapshots and scores


def _nfc_deep(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {_nfc_deep(k): _nfc_deep(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nfc_deep(v) for v in value]
    return value


def canonical_json(value: Any) -> str:
    """Compact JSON with sorted keys: the same object always gives the same text."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def content_sha256(raw: dict[str, Any]) -> str:
    """SHA-256 of a listing's canonical, NFC-normalised JSON: key order, spacing and Unicode form don't count."""
    return hashlib.sha256(canonical_json(_nfc_deep(raw)).encode("utf-8")).hexdigest()


def find_listing_ids(session: Session, listings: Sequence[Listing]) -> list[int | None]:
    """The stored ids of listings given by their identity (platform + id, else url), None for unknown ones."""
    hashes = [_sha256(listing_key(listing, "")) for listing in listings]
    found = dict(
        session.execute(select(ListingRow.key_hash, ListingRow.id).where(ListingRow.key_hash.in_(hashes))).all()
    )
    return [found.get(key_hash) for key_hash in hashes]


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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


def queue_values(score: Score, thresholds: dict[str, float]) -> dict[str, Any]:
    """What the queue reads of a listing's latest score (besides the score row's id and time)."""
    return {
        "latest_model_version": score.model_version,
        "latest_risk": score.risk,
        "latest_priority": score.priority,
        # '|counterfeit|prohibited|': a portable LIKE filter on SQLite and PostgreSQL alike
        "latest_flagged": "|" + "|".join(score.flagged) + "|",
        "latest_uncertainty": uncertainty(score, thresholds),
    }


@dataclass(frozen=True)
class ScoredListing:
    """A listing as received (``raw``), as validated (``listing``) and as scored."""

    raw: dict[str, Any]
    listing: Listing
    score: Score


def insert_ignore(session: Session, row_class: type, rows: list[dict[str, Any]], conflict: list[str]) -> None:
    """INSERT … ON CONFLICT DO NOTHING, so that concurrent workers storing the same listing never collide."""
    if not rows:
        return
    table = row_class.__table__
    # the table, not the mapped class: a Core executemany, without the ORM's per-row bulk bookkeeping
    if session.get_bind().dialect.name != "postgresql":
        session.execute(sqlite.insert(table).on_conflict_do_nothing(index_elements=conflict), rows)
        return
    # PostgreSQL: RETURNING makes SQLAlchemy send multi-row VALUES pages ("insertmanyvalues"), where psycopg's
    # executemany would send one statement per row; what it returns (the rows inserted) is not needed
    statement = postgresql.insert(table).on_conflict_do_nothing(index_elements=conflict)
    session.execute(statement.returning(*table.primary_key.columns), rows).close()


def store_scored(
    session: Session, items: Sequence[ScoredListing], *, thresholds: dict[str, float], now: datetime
) -> list[int]:
    """Store listings, their snapshots and scores; returns each item's stored listing id, in order.

    A listing seen before keeps its id; an unchanged snapshot only has its ``last_seen`` moved; a snapshot
    already scored by this model version is not scored into a new row.
    """
    if not items:
        return []
    shas = [content_sha256(item.raw) for item in items]
    keys = [listing_key(item.listing, sha) for item, sha in zip(items, shas, strict=True)]
    key_hashes = [_sha256(key) for key in keys]

    # 1. listings: insert the new ones (sorted, so concurrent batches lock rows in one order)
    new_listings: dict[str, dict[str, Any]] = {}
    for item, key, key_hash in zip(items, keys, key_hashes, strict=True):
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
    insert_ignore(session, ListingRow, [new_listings[k] for k in sorted(new_listings)], ["key_hash"])
    listing_ids: dict[str, int] = dict(
        session.execute(select(ListingRow.key_hash, ListingRow.id).where(ListingRow.key_hash.in_(new_listings))).all()
    )

    # 2. snapshots: one per distinct (listing, content)
    snapshot_rows: dict[tuple[int, str], dict[str, Any]] = {}
    for item, sha, key_hash in zip(items, shas, key_hashes, strict=True):
        listing_id = listing_ids[key_hash]
        snapshot_rows.setdefault(
            (listing_id, sha),
            {
                "listing_id": listing_id,
                "sha256": sha,
                "raw_json": canonical_json(item.raw),
                "first_seen": now,
                "last_seen": now,
            },
        )
    insert_ignore(session, SnapshotRow, [snapshot_rows[k] for k in sorted(snapshot_rows)], ["listing_id", "sha256"])
    found = session.execute(
        select(SnapshotRow.listing_id, SnapshotRow.sha256, SnapshotRow.id).where(
            SnapshotRow.listing_id.in_(set(listing_ids.values())), SnapshotRow.sha256.in_(set(shas))
        )
    ).all()
    snapshot_ids = {(listing_id, sha): snapshot_id for listing_id, sha, snapshot_id in found}
    session.execute(
        update(SnapshotRow).where(SnapshotRow.id.in_(sorted(snapshot_ids.values()))).values(last_seen=now),
        execution_options={"synchronize_session": False},
    )

    # 3. scores: one per (snapshot, model version)
    score_rows: dict[int, dict[str, Any]] = {}
    latest: dict[int, tuple[ScoredListing, int]] = {}  # listing id -> its last item in this batch
    for item, sha, key_hash in zip(items, shas, key_hashes, strict=True):
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
                ScoreRow.snapshot_id.in_(score_rows), ScoreRow.model_version.in_(versions)
            )
        ).all()
    )

    # 4. the listing rows' latest state, which the queue reads. A listing edited after its review goes back
    # into the queue: the reviewed version keeps its review, the new one has none yet.
    before = {
        row.id: (row.latest_snapshot_id, row.reviewed_at, row.review_stage)
        for row in session.execute(
            select(ListingRow.id, ListingRow.latest_snapshot_id, ListingRow.reviewed_at, ListingRow.review_stage)
            .where(ListingRow.id.in_(sorted(latest)))
            .order_by(ListingRow.id)
            .with_for_update()
        )
    }
    updates = []
    for listing_id in sorted(latest):
        item, snapshot_id = latest[listing_id]
        seller = item.listing.seller
        previous_snapshot, reviewed_at, review_stage = before[listing_id]
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
    session.execute(update(ListingRow), updates)
    return [listing_ids[key_hash] for key_hash in key_hashes]


# ---------------------------------------------------------------- the review queue


@dataclass(frozen=True)
class QueueFilter:
    """Which unreviewed listings the queue shows."""

    label: str | None = None
    platform: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    priority: str | None = None
    # who asks: skips others' claims and what is not theirs to check (None: first reviews only, claims ignored)
    viewer: Viewer | None = None


@dataclass(frozen=True)
class QueueCursor:
    """Where the last page ended, in both orders (risk descending; uncertainty ascending)."""

    risk: float
    listing_id: int
    uncertainty: float | None = None
    uncertain_id: int | None = None

    def encode(self) -> str:
        """An opaque, URL-safe token."""
        payload = {"r": self.risk, "i": self.listing_id, "u": self.uncertainty, "ui": self.uncertain_id}
        return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> QueueCursor:
        """Read a token made by ``encode``; ``ValueError`` for anything else (a tampered id or risk included)."""
        try:
            payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            cursor = cls(
                risk=_fraction(payload["r"]),
                listing_id=_row_id(payload["i"]),
                uncertainty=None if payload.get("u") is None else _fraction(payload["u"]),
                uncertain_id=None if payload.get("ui") is None else _row_id(payload["ui"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            raise ValueError("not a cursor returned by this API") from exc
        return cursor


MAX_ROW_ID = 2**63 - 1  # ids are 64-bit integers on every backend


def _row_id(value: Any) -> int:
    """A row id read from a cursor: an integer from 1 to 2⁶³−1, or ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ROW_ID:
        raise ValueError("expected a row id")
    return value


def _fraction(value: Any) -> float:
    """A risk or uncertainty read from a cursor: a number from 0 to 1, or ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError("expected a number from 0 to 1")
    return float(value)


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue: listings (with whether each came from the uncertain share) and the next cursor."""

    items: list[tuple[ListingRow, bool]]
    next_cursor: str | None


def queue_selection(where: QueueFilter) -> Select[tuple[ListingRow]]:
    """The listings the queue shows for ``where`` (unordered): what claiming takes from, too."""
    statement = select(ListingRow).where(ListingRow.reviewed_at.is_(None), ListingRow.latest_risk.is_not(None))
    if where.viewer is not None:
        statement = statement.where(open_to(where.viewer))
    else:
        statement = statement.where(ListingRow.review_stage.is_(None))
    if where.platform:
        statement = statement.where(ListingRow.platform == where.platform)
    if where.label:
        statement = statement.where(ListingRow.latest_flagged.like(f"%|{where.label}|%"))
    if where.since:
        statement = statement.where(ListingRow.latest_scored_at >= where.since)
    if where.until:
        statement = statement.where(ListingRow.latest_scored_at < where.until)
    if where.priority:
        statement = statement.where(ListingRow.latest_priority == where.priority)
    return statement


def uncertain_slots(limit: int, share: float) -> int:
    """How many of a page's ``limit`` places go to uncertain listings (rounded; the page keeps one risk place)."""
    return min(limit - 1, math.floor(limit * share + 0.5)) if limit > 1 else 0


def read_queue(
    session: Session, where: QueueFilter, *, limit: int, uncertain_share: float, cursor: QueueCursor | None
) -> QueuePage:
    """Unreviewed listings by latest risk (highest first), with the uncertain share mixed in.

    The uncertain listings are those nearest a label threshold among the ones *below* this page (so they
    would not otherwise be seen yet); they are spread evenly through the page. Deterministic: ties are
    broken by id.
    """
    n_uncertain = uncertain_slots(limit, uncertain_share)
    n_risk = limit - n_uncertain
    by_risk = queue_selection(where)
    if cursor is not None:
        by_risk = by_risk.where(
            or_(
                ListingRow.latest_risk < cursor.risk,
                and_(ListingRow.latest_risk == cursor.risk, ListingRow.id < cursor.listing_id),
            )
        )
    rows = list(
        session.scalars(by_risk.order_by(ListingRow.latest_risk.desc(), ListingRow.id.desc()).limit(n_risk + 1))
    )
    has_more = len(rows) > n_risk
    rows = rows[:n_risk]
    uncertain: list[ListingRow] = []
    if n_uncertain and has_more:
        fold = rows[-1]
        below = queue_selection(where).where(
            or_(
                ListingRow.latest_risk < fold.latest_risk,
                and_(ListingRow.latest_risk == fold.latest_risk, ListingRow.id < fold.id),
            )
        )
        if cursor is not None and cursor.uncertainty is not None and cursor.uncertain_id is not None:
            below = below.where(
                or_(
                    ListingRow.latest_uncertainty > cursor.uncertainty,
                    and_(ListingRow.latest_uncertainty == cursor.uncertainty, ListingRow.id > cursor.uncertain_id),
                )
            )
        uncertain = list(
            session.scalars(below.order_by(ListingRow.latest_uncertainty.asc(), ListingRow.id.asc()).limit(n_uncertain))
        )
    items: list[tuple[ListingRow, bool]] = [(row, False) for row in rows]
    for index, row in enumerate(uncertain):
        items.insert((index + 1) * len(rows) // (len(uncertain) + 1) + index, (row, True))
    next_cursor = None
    if has_more:
        last_uncertain = uncertain[-1] if uncertain else None
        previous_u = (cursor.uncertainty, cursor.uncertain_id) if cursor else (None, None)
        next_cursor = QueueCursor(
            risk=rows[-1].latest_risk or 0.0,
            listing_id=rows[-1].id,
            uncertainty=last_uncertain.latest_uncertainty if last_uncertain else previous_u[0],
            uncertain_id=last_uncertain.id if last_uncertain else previous_u[1],
        ).encode()
    return QueuePage(items=items, next_cursor=next_cursor)


def queue_neighbours(session: Session, where: QueueFilter, listing_id: int) -> tuple[int | None, int | None]:
    """The ids of the unreviewed listings just above and just below ``listing_id`` in the queue's risk order.

    The listing itself need not be in the queue any more (it may just have been reviewed): its latest risk
    still places it, so "next" after a review is the listing that followed it.
    """
    row = session.get(ListingRow, listing_id)
    if row is None or row.latest_risk is None:
        return None, None
    base = queue_selection(where).where(ListingRow.id != listing_id)
    above = or_(
        ListingRow.latest_risk > row.latest_risk,
        and_(ListingRow.latest_risk == row.latest_risk, ListingRow.id > listing_id),
    )
    below = or_(
        ListingRow.latest_risk < row.latest_risk,
        and_(ListingRow.latest_risk == row.latest_risk, ListingRow.id < listing_id),
    )
    previous_row = session.scalars(
        base.where(above).order_by(ListingRow.latest_risk.asc(), ListingRow.id.asc()).limit(1)
    ).first()
    next_row = session.scalars(
        base.where(below).order_by(ListingRow.latest_risk.desc(), ListingRow.id.desc()).limit(1)
    ).first()
    return (previous_row.id if previous_row else None), (next_row.id if next_row else None)


# ---------------------------------------------------------------- one listing, reviews, export


@dataclass(frozen=True)
class ListingHistory:
    """Everything stored about one listing, oldest first."""

    listing: ListingRow
    snapshots: list[SnapshotRow]
    scores: list[ScoreRow]
    reviews: list[ReviewRow]


def get_listing_history(session: Session, listing_id: int) -> ListingHistory | None:
    """The listing with its snapshots, scores and reviews, or None."""
    listing = session.get(ListingRow, listing_id)
    if listing is None:
        return None

    def of_listing(row_class: Any) -> list[Any]:
        return list(session.scalars(select(row_class).where(row_class.listing_id == listing_id).order_by(row_class.id)))

    return ListingHistory(listing, of_listing(SnapshotRow), of_listing(ScoreRow), of_listing(ReviewRow))


def add_review(
    session: Session,
    listing_id: int,
    *,
    reviewer: str,
    api_key_id: int | None,
    labels: list[str],
    note: str | None,
    now: datetime,
) -> ReviewRow | None:
    """Append a review of the listing's latest snapshot (None if there is no such listing)."""
    listing = session.get(ListingRow, listing_id, with_for_update=True)
    if listing is None or listing.latest_snapshot_id is None:
        return None
    review = ReviewRow(
        listing_id=listing_id,
        snapshot_id=listing.latest_snapshot_id,
        reviewer=reviewer,
        api_key_id=api_key_id,
        labels=labels,
        note=note,
        created_at=now,
    )
    session.add(review)
    session.flush()
    listing.latest_review_id = review.id
    listing.reviewed_at = now
    return review


def count_reviews(session: Session) -> int:
    """How many reviews are stored (all versions)."""
    return session.scalar(select(func.count()).select_from(ReviewRow)) or 0


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


# ---------------------------------------------------------------- API keys


def hash_key(key: str) -> str:
    """SHA-256 of an API key. Keys are 256-bit random tokens, so a fast hash is as safe as a slow one."""
    return _sha256(key)


def create_api_key(session: Session, *, role: str, name: str, now: datetime) -> tuple[ApiKeyRow, str]:
    """A new key for ``role``; returns the row and the key itself, which is not stored anywhere."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}: expected one of {list(ROLES)}")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKeyRow(name=name, role=role, key_hash=hash_key(key), prefix=key[:10], created_at=now)
    session.add(row)
    session.flush()
    return row, key


def find_api_key(session: Session, key: str) -> ApiKeyRow | None:
    """The active (not revoked) key row for a presented key, or None."""
    return session.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == hash_key(key), ApiKeyRow.revoked_at.is_(None)))


def get_api_key(session: Session, key_id: int) -> ApiKeyRow | None:
    """A key's row by id (revoked or not), or None."""
    return session.get(ApiKeyRow, key_id)


def list_api_keys(session: Session) -> list[ApiKeyRow]:
    """Every key, revoked ones included, oldest first."""
    return list(session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id)))


def revoke_api_key(session: Session, key_id: int, *, now: datetime) -> ApiKeyRow | None:
    """Mark a key revoked (kept for the audit trail); None if there is no such key."""
    row = session.get(ApiKeyRow, key_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
    return row


# ---------------------------------------------------------------- model reloads


def record_reload(session: Session, *, model_version: str, requested_by: str, now: datetime) -> int:
    """Log a reload so that the other workers follow; returns its id."""
    row = ModelReloadRow(model_version=model_version, requested_by=requested_by, requested_at=now)
    session.add(row)
    session.flush()
    return row.id


def latest_reload_id(session: Session) -> int:
    """The id of the last logged reload (0 when there is none)."""
    return session.scalar(select(func.max(ModelReloadRow.id))) or 0

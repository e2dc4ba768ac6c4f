"""The tables: listings, their snapshots, scores, reviews (append-only), API keys (hashed), review-page sessions
(hashed, revocable) and the service's own secrets.

A *listing* is one thing a crawler saw (identified by platform + id, else url, else content hash); every
distinct version of its JSON is a *snapshot*, kept as evidence because sellers edit and delete listings within
hours. The listing row also carries its latest score and review, so the review queue is one indexed query.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets 64-bit ids.
Id = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always read back timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: Soi stores only timezone-aware times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return as_utc(value)


def as_utc(value: datetime) -> datetime:
    """A time in UTC; a time without a zone is read as UTC (the zone of every stored time)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base of every Soi table."""


class ListingRow(Base):
    """One listing, across all its versions, with its latest score and review."""

    __tablename__ = "listings"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    key: Mapped[str] = mapped_column(
        Text, doc='Identity, a JSON array: ["id", platform, id], ["url", url] or ["sha256", content hash].'
    )
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, doc="SHA-256 of key (keys can be long URLs).")
    platform: Mapped[str | None] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    seller_id: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    latest_snapshot_id: Mapped[int | None] = mapped_column(Id)
    latest_score_id: Mapped[int | None] = mapped_column(Id)
    latest_model_version: Mapped[str | None] = mapped_column(String(128))
    latest_risk: Mapped[float | None] = mapped_column(Float)
    latest_priority: Mapped[str | None] = mapped_column(String(8))
    flags: Mapped[list[ListingFlagRow]] = relationship(
        lazy="selectin", viewonly=True, order_by="ListingFlagRow.position", doc="What the latest score flagged."
    )
    latest_uncertainty: Mapped[float | None] = mapped_column(Float, doc="Distance to the nearest label threshold.")
    latest_scored_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    latest_review_id: Mapped[int | None] = mapped_column(Id)
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # team review (serving/storage/claims.py, review_checks.py): who holds the listing until when, and whether
    # it waits for a second reviewer ('second') or a lead's decision ('dispute'); reviewed_at stays null meanwhile
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claim_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    review_stage: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (
        Index("ix_listings_queue", "reviewed_at", "latest_risk", "id"),
        Index("ix_listings_uncertain", "reviewed_at", "latest_uncertainty", "id"),
        Index("ix_listings_platform", "platform"),
    )

    @property
    def latest_flagged(self) -> list[str]:
        """The labels the latest score flagged, in the score's order."""
        return [flag.label for flag in self.flags]


class ListingFlagRow(Base):
    """A label a listing's latest score flagged: one row per (listing, label), so the queue's "flagged X" filter is
    an indexed lookup and the labels are data, not text to match. Replaced whenever the latest score changes."""

    __tablename__ = "listing_flags"

    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), primary_key=True, autoincrement=False)
    label: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, doc="Its place in the score's flagged list.")

    __table_args__ = (Index("ix_listing_flags_label", "label", "listing_id"),)


class SnapshotRow(Base):
    """One distinct version of a listing's JSON, exactly as the crawler sent it."""

    __tablename__ = "listing_snapshots"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), doc="SHA-256 of the canonical, NFC-normalised JSON.")
    raw_json: Mapped[str] = mapped_column(Text, doc="The listing JSON as received (keys sorted).")
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (UniqueConstraint("listing_id", "sha256", name="uq_snapshot_listing_sha256"),)


class ScoreRow(Base):
    """One model's score of one snapshot (a re-sent unchanged listing is not scored into a new row)."""

    __tablename__ = "scores"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("listing_snapshots.id"))
    model_version: Mapped[str] = mapped_column(String(128))
    risk: Mapped[float] = mapped_column(Float)
    priority: Mapped[str] = mapped_column(String(8))
    probabilities: Mapped[dict[str, float]] = mapped_column(JSON)
    flagged: Mapped[list[str]] = mapped_column(JSON)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (UniqueConstraint("snapshot_id", "model_version", name="uq_score_snapshot_model"),)


class ReviewRow(Base):
    """A reviewer's labels for a listing. Append-only: database triggers refuse UPDATE and DELETE, an INSERT that
    would replace a row (SQLite's REPLACE) and TRUNCATE (PostgreSQL)."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("listing_snapshots.id"), doc="The version reviewed.")
    reviewer: Mapped[str] = mapped_column(String(200))
    api_key_id: Mapped[int | None] = mapped_column(Id)
    labels: Mapped[list[str]] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ApiKeyRow(Base):
    """An API key: only its SHA-256 is stored; the key itself is shown once, when created."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16), doc="The key's first characters, to tell keys apart.")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ModelReloadRow(Base):
    """A reload asked for by an admin: every worker and replica polls this log and reloads in turn."""

    __tablename__ = "model_reloads"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    model_version: Mapped[str] = mapped_column(String(128), doc="The version the answering worker loaded.")
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ReviewSessionRow(Base):
    """A review-page sign-in: the cookie holds a random token, this row its keyed hash; signing out revokes it."""

    __tablename__ = "review_sessions"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, doc="HMAC-SHA256 of the cookie's token.")
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class RescoreRunRow(Base):
    """Progress of rescoring every stored listing with one model version (``python -m serving rescore``).

    What is done is read from the listings themselves (their latest score's model version), so a crash loses
    nothing committed; this row is what an operator reads: when the run started and finished, how often it
    was started, and the counts as of its last update.
    """

    __tablename__ = "rescore_runs"

    model_version: Mapped[str] = mapped_column(String(128), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, doc="When the first attempt started.")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, doc="When an attempt left nothing to do.")
    attempts: Mapped[int] = mapped_column(Integer, doc="How many times the run was started (a resume adds one).")
    scored: Mapped[int] = mapped_column(BigInteger, doc="Listings whose latest score is of this model version.")
    failed: Mapped[int] = mapped_column(BigInteger, doc="Listings the latest attempt could not score.")
    last_error: Mapped[str | None] = mapped_column(Text, doc="The latest attempt's first failure, for operators.")

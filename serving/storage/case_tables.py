"""The tables of cases: operators, each listing's link to its operator, the identifier index, LSH buckets, and
listings the crawler found deleted.

An *operator* is a connected component of listings linked by a shared identifier or near-duplicate text; its
id is the id of one of its listings (the first one, until merges and splits move it), so a new listing founds
its own operator without a sequence. Identifiers are stored only as keyed hashes: the values as written are in
the snapshots. Maintained incrementally at ingest by ``serving.storage.linking``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ColumnElement, Float, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from serving.storage.models import Base, Id, UtcDateTime


class OperatorRow(Base):
    """One operator (a case when it has two or more listings), with what the case list sorts and filters on."""

    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=False)
    listing_count: Mapped[int] = mapped_column(Integer, default=0)
    seller_count: Mapped[int] = mapped_column(Integer, default=0)
    platforms: Mapped[str] = mapped_column(String(400), default="|", doc="'|facebook|zalo|': a portable LIKE filter.")
    max_risk: Mapped[float] = mapped_column(Float, default=0.0)
    flagged: Mapped[str] = mapped_column(String(400), default="|", doc="Labels flagged on any of its listings.")
    flagged_counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    gone_count: Mapped[int] = mapped_column(Integer, default=0)
    gone_within_48h: Mapped[int] = mapped_column(Integer, default=0)
    is_case: Mapped[bool] = mapped_column(Boolean, default=False, doc="Two or more listings and not merged away.")
    merged_into: Mapped[int | None] = mapped_column(Id, nullable=True, doc="The operator this one became part of.")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_operators_cases", "is_case", "max_risk", "id"),)


class ListingLinkRow(Base):
    """A listing's operator and the fingerprint of its latest linked snapshot's text."""

    __tablename__ = "listing_links"

    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), primary_key=True, autoincrement=False)
    operator_id: Mapped[int] = mapped_column(Id, index=True)
    snapshot_id: Mapped[int] = mapped_column(Id)
    signature: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, doc="MinHash values, or none.")
    full_signature: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, doc="Of all its shingles.")
    seller_key: Mapped[str] = mapped_column(String(32), doc="Hash of platform + seller id or name (else listing).")
    linked_at: Mapped[datetime] = mapped_column(UtcDateTime)


class IdentifierRow(Base):
    """One identifier (by keyed hash): the operator all its listings belong to, unless it is common."""

    __tablename__ = "identifiers"

    value_hash: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    operator_id: Mapped[int] = mapped_column(Id, index=True)
    listing_count: Mapped[int] = mapped_column(Integer, default=0)
    seller_count: Mapped[int] = mapped_column(Integer, default=0)
    common: Mapped[bool] = mapped_column(Boolean, default=False, doc="Shared by too many sellers to link them.")
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime)


class IdentifierListingRow(Base):
    """An identifier seen on a listing: in which snapshot first, and the listing's seller key."""

    __tablename__ = "identifier_listings"

    value_hash: Mapped[str] = mapped_column(String(32), primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), primary_key=True, autoincrement=False)
    snapshot_id: Mapped[int] = mapped_column(Id)
    seller_key: Mapped[str] = mapped_column(String(32))
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index("ix_identifier_listings_listing", "listing_id"),
        Index("ix_identifier_listings_seller", "value_hash", "seller_key"),
    )


class LshBucketRow(Base):
    """One LSH band key of a listing's text: listings sharing a key are near-duplicate candidates.

    A derived index, kept as lean as a lookup by bucket allows: one B-tree ordered by (bucket, listing) (SQLite:
    ``WITHOUT ROWID``), no foreign key and no index by listing; a listing's own bands are computed again from its
    stored signature when they must be found (an edit, a split), so each new listing writes one entry per band.
    """

    __tablename__ = "lsh_buckets"

    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    listing_id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=False)

    __table_args__ = ({"sqlite_with_rowid": False},)


class ListingGoneRow(Base):
    """The crawler found the listing deleted: when, and how long after Soi first saw it. Snapshots are kept."""

    __tablename__ = "listings_gone"

    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), primary_key=True, autoincrement=False)
    gone_at: Mapped[datetime] = mapped_column(UtcDateTime, doc="When the crawler saw it gone (or was told).")
    reported_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reported_by: Mapped[str] = mapped_column(String(200))
    seconds_online: Mapped[float] = mapped_column(Float, doc="From Soi's first sight to gone_at.")


def bar_list(values: Sequence[str]) -> str:
    """An operator's labels or platforms as text, ``|counterfeit|prohibited|`` (``|`` when none): a portable LIKE
    ``%|label|%`` finds one item on SQLite and PostgreSQL alike, which the case list filters on."""
    return "|" + "".join(f"{value}|" for value in values)


def read_bar_list(stored: str | None) -> list[str]:
    """The items of a list stored by ``bar_list`` (none for None)."""
    return [item for item in (stored or "").split("|") if item]


def bar_list_has(column: Any, item: str) -> ColumnElement[bool]:
    """Whether a column written by ``bar_list`` holds ``item``."""
    return column.like(f"%|{item}|%")

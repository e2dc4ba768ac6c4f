"""The case linker: one app's linking configuration (the identifier key, the common-identifier threshold, the
labels, the stop-list), which fingerprints listings before they are stored and links them in the storing
transaction (``serving.storage.linking``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from model.identifiers import identifier_hash
from model.near_duplicates import load_stop_shingles
from model.schema import Listing
from serving.fingerprints import ListingFingerprint, fingerprint_listings
from serving.storage.db import Database
from serving.storage.linking import link_listings
from serving.storage.listings import ScoredListing, StoredBatch, store_scored
from serving.storage.models import utc_now


@dataclass(frozen=True)
class CaseLinker:
    """The linking configuration of one app: the identifier key, the common threshold, labels, the stop-list."""

    identifier_key: bytes
    max_sellers: int
    labels: tuple[str, ...]
    stop: frozenset[str] = field(default_factory=load_stop_shingles)

    def fingerprint(self, listings: Sequence[Listing]) -> list[ListingFingerprint]:
        """Fingerprints of listings about to be stored (CPU only: call it before the write transaction)."""
        return fingerprint_listings(listings, key=self.identifier_key, stop=self.stop)

    def link(
        self,
        session,
        listing_ids: Sequence[int],
        fingerprints: Sequence[ListingFingerprint],
        stored: StoredBatch | None = None,
    ) -> set[int]:
        """Link just-stored listings, in the storing transaction (``stored``: the batch that stored them, at
        whose time they are linked); returns the operators touched."""
        by_id = dict(zip(listing_ids, fingerprints, strict=True))
        now = stored.now if stored is not None else utc_now()
        return link_listings(session, by_id, now=now, max_sellers=self.max_sellers, labels=self.labels, stored=stored)

    def hash(self, kind: str, value: str) -> str:
        """The keyed hash of a canonical identifier."""
        return identifier_hash(self.identifier_key, kind, value)


def store_and_link(
    db: Database, items: Sequence[ScoredListing], *, thresholds: dict[str, float], linker: CaseLinker | None
) -> list[int]:
    """Store scored listings in one transaction and, with a ``linker``, link them into operators in it (their
    fingerprints are computed first, outside the transaction); the stored listing ids, in order."""
    fingerprints = linker.fingerprint([item.listing for item in items]) if linker else []
    with db.write() as session:
        stored = store_scored(session, items, thresholds=thresholds, now=utc_now())
        if linker:
            linker.link(session, stored.ids, fingerprints, stored)
    return stored.ids

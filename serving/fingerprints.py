"""A listing's linking fingerprint, computed before its storing transaction (CPU only): its identifiers' keyed
hashes, who posted it (hashed), and its text's MinHash signatures and LSH band keys."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from model.contacts import Identifier
from model.identifiers import extract_identifiers, identifier_hash
from model.near_duplicates import TextFingerprint, fingerprint_texts
from model.schema import Listing


@dataclass(frozen=True)
class ListingFingerprint:
    """What linking needs of a listing: its identifiers' keyed hashes, its seller key, its text fingerprint."""

    identifiers: tuple[tuple[str, str], ...]  # (kind, keyed hash)
    seller_key: str
    text: TextFingerprint


def seller_key(listing: Listing) -> str | None:
    """Who posted it, hashed: platform + seller id, else seller name; None when the listing says nothing."""
    seller = listing.seller
    who = (seller.id or seller.name) if seller else None
    if not who:
        return None
    return hashlib.sha256(f"{listing.platform or ''}\x00{who.strip().lower()}".encode()).hexdigest()[:32]


def fingerprint_listing(listing: Listing, *, key: bytes, stop: frozenset[str] | None = None) -> ListingFingerprint:
    """``fingerprint_listings`` of one listing."""
    return fingerprint_listings([listing], key=key, stop=stop)[0]


def fingerprint_listings(
    listings: Sequence[Listing], *, key: bytes, stop: frozenset[str] | None = None
) -> list[ListingFingerprint]:
    """Identifiers (hashed with ``key``) and text fingerprint of each listing, the texts' MinHash signatures
    computed for the batch at once; pure CPU, done before storing."""
    found = [extract_identifiers(listing) for listing in listings]
    texts = fingerprint_texts(listings, found, stop)
    return [
        ListingFingerprint(_identifier_hashes(identifiers, key), seller_key(listing) or "", text)
        for listing, identifiers, text in zip(listings, found, texts, strict=True)
    ]


def _identifier_hashes(found: Sequence[Identifier], key: bytes) -> tuple[tuple[str, str], ...]:
    """(kind, keyed hash) of each identifier, once each, sorted."""
    return tuple(sorted({(i.kind, identifier_hash(key, i.kind, i.value)) for i in found}))

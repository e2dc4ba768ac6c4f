"""A listing's linking fingerprint, computed before its storing transaction (CPU only): its identifiers' keyed
hashes, who posted it (hashed), and its text's MinHash signatures and LSH band keys."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from model.identifiers import extract_identifiers, identifier_hash
from model.near_duplicates import TextFingerprint, fingerprint_text
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
    """Identifiers (hashed with ``key``) and text fingerprint of a listing; pure CPU, done before storing."""
    found = extract_identifiers(listing)
    hashes = tuple(sorted({(i.kind, identifier_hash(key, i.kind, i.value)) for i in found}))
    return ListingFingerprint(hashes, seller_key(listing) or "", fingerprint_text(listing, found, stop))

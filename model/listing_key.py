"""A listing's identity, one definition for serving (which stores listings under it) and training (which matches
reviews to the seed data by it).

Platform + the crawler's id, else its url, else its content, as a compact JSON array (``["id", platform, id]``,
``["url", url]``, ``["sha256", hash]``): its parts can never run into each other, as a joined ``<platform>:<id>``
could (serving's migration 0003 rewrote the keys stored before).
"""

from __future__ import annotations

import hashlib
import json

from model.schema import Listing


def _compact_json(parts: list[str]) -> str:
    return json.dumps(parts, ensure_ascii=False, separators=(",", ":"))


def listing_key(listing: Listing, sha256: str | None = None) -> str:
    """The listing's identity; ``sha256`` is its content hash (serving: of the raw JSON it was sent as), needed
    only when it has neither id nor url; without it the hash of its contract fields (labels aside) is used."""
    if listing.id:
        return _compact_json(["id", listing.platform or "", listing.id])
    if listing.url:
        return _compact_json(["url", listing.url])
    if sha256 is None:
        content = listing.model_dump_json(exclude={"labels"})
        sha256 = hashlib.sha256(content.encode("utf-8")).hexdigest()
    return _compact_json(["sha256", sha256])

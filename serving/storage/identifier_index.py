"""The identifier index of linking: which listings (and sellers) each identifier's keyed hash was seen on, how
many, and whether it is *common* (seen on more than ``max_sellers`` sellers: a marketplace hotline, a courier's
number), in which case it links nobody. Called by ``serving.storage.linking`` in the storing transaction."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from serving.fingerprints import ListingFingerprint
from serving.storage.bulk import any_of, chunks, insert_ignore
from serving.storage.case_tables import IdentifierListingRow, IdentifierRow


def _known(session: Session, hashes: list[str], keys: set[str]) -> tuple[set[tuple[str, int]], set[tuple[str, str]]]:
    """Which (identifier, listing) and (identifier, seller) pairs among these are already indexed."""
    known_pairs: set[tuple[str, int]] = set()
    known_sellers: set[tuple[str, str]] = set()
    for chunk in chunks(hashes):
        found = session.execute(
            select(IdentifierListingRow.value_hash, IdentifierListingRow.listing_id, IdentifierListingRow.seller_key)
            .where(any_of(session, IdentifierListingRow.value_hash, chunk))
            .where(any_of(session, IdentifierListingRow.seller_key, keys))
        ).all()
        known_sellers |= {(h, key) for h, _i, key in found}
        known_pairs |= {(h, i) for h, i, _key in found}
    return known_pairs, known_sellers


@dataclass(frozen=True)
class IndexedIdentifier:
    """What linking needs of an indexed identifier after this batch's counts: its operator, whether it is common."""

    operator_id: int
    common: bool


def index_identifiers(
    session: Session,
    fingerprints: dict[int, ListingFingerprint],
    operators: dict[int, int],
    snapshots: dict[int, int],
    *,
    now: datetime,
    max_sellers: int,
) -> tuple[dict[str, IndexedIdentifier], set[str]]:
    """Index the identifiers; returns each one's row (after counting) and those that just became common."""
    pairs = {(h, i): kind for i in operators for kind, h in fingerprints[i].identifiers}
    if not pairs:
        return {}, set()
    hashes = sorted({h for h, _ in pairs})
    keys = {i: fingerprints[i].seller_key or f"listing:{i}" for i in operators}
    known_pairs, known_sellers = _known(session, hashes, set(keys.values()))
    empty = {"listing_count": 0, "seller_count": 0, "common": False, "first_seen": now}
    identifier_rows = [
        {"value_hash": h, "kind": pairs[(h, i)], "operator_id": operators[i], **empty} for h, i in sorted(pairs)
    ]
    insert_ignore(session, IdentifierRow, identifier_rows, ["value_hash"])
    new_pairs = sorted(p for p in pairs if p not in known_pairs)
    insert_ignore(
        session,
        IdentifierListingRow,
        [
            {"value_hash": h, "listing_id": i, "snapshot_id": snapshots[i], "seller_key": keys[i], "first_seen": now}
            for h, i in new_pairs
        ],
        ["value_hash", "listing_id"],
    )
    listings_added: dict[str, int] = defaultdict(int)
    sellers_added: dict[str, set[str]] = defaultdict(set)
    for h, i in new_pairs:
        listings_added[h] += 1
        if (h, keys[i]) not in known_sellers:
            sellers_added[h].add(keys[i])
    return _count(session, hashes, listings_added, sellers_added, max_sellers=max_sellers)


def _count(
    session: Session,
    hashes: list[str],
    listings_added: dict[str, int],
    sellers_added: dict[str, set[str]],
    *,
    max_sellers: int,
) -> tuple[dict[str, IndexedIdentifier], set[str]]:
    """Add this batch's new listings and sellers to the identifiers' counts; an identifier whose sellers now
    exceed ``max_sellers`` becomes common. Returns each identifier's state and those that just became common."""
    rows: dict[str, IndexedIdentifier] = {}
    became_common: set[str] = set()
    columns = (IdentifierRow.value_hash, IdentifierRow.operator_id, IdentifierRow.seller_count, IdentifierRow.common)
    for chunk in chunks(hashes):
        for h, operator_id, seller_count, common in session.execute(
            select(*columns).where(any_of(session, IdentifierRow.value_hash, chunk))
        ):
            now_common = common or seller_count + len(sellers_added.get(h, ())) > max_sellers
            if now_common and not common:
                became_common.add(h)
            rows[h] = IndexedIdentifier(operator_id, now_common)
    counts = [
        {"h": h, "listings": listings_added.get(h, 0), "sellers": len(sellers_added.get(h, ())), "common": row.common}
        for h, row in sorted(rows.items())
        if listings_added.get(h) or h in became_common
    ]
    if counts:  # one executemany, without the ORM's per-object bookkeeping
        table = IdentifierRow.__table__
        session.execute(
            table.update()
            .where(table.c.value_hash == bindparam("h"))
            .values(
                listing_count=table.c.listing_count + bindparam("listings"),
                seller_count=table.c.seller_count + bindparam("sellers"),
                common=bindparam("common"),
            ),
            counts,
        )
    return rows, became_common

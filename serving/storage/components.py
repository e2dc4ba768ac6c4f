"""Operators as connected components: their aggregates (what the case list sorts and filters on), and splitting
one again when an identifier that linked it turns out to be common.

A split rebuilds the links among the operator's own listings from the stored evidence alone (identifiers that
are still not common, and near-duplicate text through the LSH buckets and signatures), so it costs in
proportion to that one operator; it happens once per identifier, when it crosses the common threshold.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import combinations

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from model.near_duplicates import TextSummary, is_near_duplicate, signature_bands
from serving.storage.bulk import any_of, chunks, update_rows
from serving.storage.case_tables import (
    IdentifierListingRow,
    IdentifierRow,
    ListingGoneRow,
    ListingLinkRow,
    OperatorRow,
    bar_list,
)
from serving.storage.listings import NewListing
from serving.storage.models import ListingFlagRow, ListingRow

FAST_DELETION_S = 48 * 3600  # "deleted within 48 h of first seen"


class DisjointSets:
    """Disjoint sets (union-find with path halving) of ids."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, item: int) -> int:
        """The representative of ``item``'s set (adding it as a set of its own if new)."""
        root = self.parent.setdefault(item, item)
        while root != self.parent[root]:
            root = self.parent[root]
        while item != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: int, b: int) -> None:
        """Join the sets of ``a`` and ``b``."""
        self.parent[self.find(a)] = self.find(b)

    def groups(self) -> list[set[int]]:
        """The sets of two or more items."""
        found: dict[int, set[int]] = defaultdict(set)
        for item in self.parent:
            found[self.find(item)].add(item)
        return [group for group in found.values() if len(group) > 1]


def new_operator_row(operator_id: int, now: datetime) -> dict:
    """The row of an operator with no listings counted yet (its aggregates are refreshed in the same step)."""
    return {"id": operator_id, "listing_count": 0, "seller_count": 0, "platforms": "|", "max_risk": 0.0, "flagged": "|",
            "flagged_counts": {}, "first_seen": now, "last_seen": now, "gone_count": 0, "gone_within_48h": 0,
            "is_case": False, "merged_into": None, "updated_at": now}  # fmt: skip


def own_operator_row(listing_id: int, listing: NewListing, now: datetime, labels: Sequence[str]) -> dict:
    """The row of the operator of one listing stored for the first time at ``now``, alone in it: the aggregates
    ``refresh_operators`` would read from the tables (one listing and seller, its risk, labels and platform)."""
    counts = {label: 1 for label in labels if label in listing.flagged}
    return new_operator_row(listing_id, now) | {
        "listing_count": 1,
        "seller_count": 1,
        "max_risk": float(listing.risk),
        "flagged_counts": counts,
        "flagged": bar_list(list(counts)),
        "platforms": bar_list([listing.platform or "unknown"]),
    }


def text_summaries(session: Session, listing_ids: Sequence[int]) -> dict[int, TextSummary]:
    """The stored text signatures of these listings."""
    found: dict[int, TextSummary] = {}
    columns = (ListingLinkRow.listing_id, ListingLinkRow.signature, ListingLinkRow.full_signature)
    for chunk in chunks(sorted(set(listing_ids))):
        for listing_id, signature, full in session.execute(
            select(*columns).where(any_of(session, ListingLinkRow.listing_id, chunk))
        ):
            found[listing_id] = TextSummary(signature, full)
    return found


def _platforms(session: Session, chunk: list[int]) -> dict[int, set[str]]:
    """The platforms each of these operators' listings are on."""
    platforms: dict[int, set[str]] = defaultdict(set)
    for operator_id, platform in session.execute(
        select(ListingLinkRow.operator_id, ListingRow.platform)
        .join(ListingRow, ListingRow.id == ListingLinkRow.listing_id)
        .where(any_of(session, ListingLinkRow.operator_id, chunk))
        .distinct()
    ):
        platforms[operator_id].add(platform or "unknown")
    return platforms


def _flag_counts(session: Session, chunk: list[int], labels: Sequence[str]) -> dict[int, dict[str, int]]:
    """How many of each operator's listings the latest scores flag for each label (labels in ``labels`` order)."""
    found: dict[int, dict[str, int]] = defaultdict(dict)
    for operator_id, label, count in session.execute(
        select(ListingLinkRow.operator_id, ListingFlagRow.label, func.count())
        .join(ListingFlagRow, ListingFlagRow.listing_id == ListingLinkRow.listing_id)
        .where(any_of(session, ListingLinkRow.operator_id, chunk), any_of(session, ListingFlagRow.label, labels))
        .group_by(ListingLinkRow.operator_id, ListingFlagRow.label)
    ):
        found[operator_id][label] = int(count)
    return {o: {label: counts[label] for label in labels if label in counts} for o, counts in found.items()}


def refresh_operators(session: Session, operator_ids: Iterable[int], *, now: datetime, labels: Sequence[str]) -> None:
    """Recompute the aggregates of these operators from their listings (a few grouped queries per chunk)."""
    ids = sorted(set(operator_ids))
    gone = (ListingGoneRow.gone_at >= ListingRow.last_seen) & ListingGoneRow.listing_id.is_not(None)
    columns = [
        ListingLinkRow.operator_id,
        func.count(),
        func.count(func.distinct(ListingLinkRow.seller_key)),
        func.max(func.coalesce(ListingRow.latest_risk, 0.0)),
        func.min(ListingRow.first_seen),
        func.max(ListingRow.last_seen),
        func.sum(case((gone, 1), else_=0)),
        func.sum(case((gone & (ListingGoneRow.seconds_online <= FAST_DELETION_S), 1), else_=0)),
    ]
    updates = []
    for chunk in chunks(ids):
        platforms = _platforms(session, chunk)
        flagged = _flag_counts(session, chunk, labels)
        statement = (
            select(*columns)
            .join(ListingRow, ListingRow.id == ListingLinkRow.listing_id)
            .outerjoin(ListingGoneRow, ListingGoneRow.listing_id == ListingLinkRow.listing_id)
            .where(any_of(session, ListingLinkRow.operator_id, chunk))
            .group_by(ListingLinkRow.operator_id)
        )
        for operator_id, count, sellers, risk, first, last, gone_count, fast in session.execute(statement):
            counts = flagged.get(operator_id, {})
            updates.append(
                {
                    "id": operator_id,
                    "listing_count": count,
                    "seller_count": sellers,
                    "max_risk": float(risk or 0.0),
                    "first_seen": first,
                    "last_seen": last,
                    "gone_count": int(gone_count or 0),
                    "gone_within_48h": int(fast or 0),
                    "flagged_counts": counts,
                    "flagged": bar_list(list(counts)),
                    "platforms": bar_list(sorted(platforms[operator_id])),
                    "is_case": count >= 2,
                    "merged_into": None,
                    "updated_at": now,
                }
            )
    update_rows(session, OperatorRow, updates)


def _components(session: Session, members: list[int]) -> list[list[int]]:
    """Connected components of ``members`` by their uncommon shared identifiers and verified near-duplicates."""
    sets = DisjointSets()
    for member in members:
        sets.find(member)

    def join(group: Iterable[int]) -> None:
        group = list(group)
        for other in group[1:]:
            sets.union(other, group[0])

    by_identifier: dict[str, list[int]] = defaultdict(list)
    by_bucket: dict[int, list[int]] = defaultdict(list)
    summaries = text_summaries(session, members)
    for chunk in chunks(members):
        for value_hash, listing_id in session.execute(
            select(IdentifierListingRow.value_hash, IdentifierListingRow.listing_id)
            .join(IdentifierRow, IdentifierRow.value_hash == IdentifierListingRow.value_hash)
            .where(any_of(session, IdentifierListingRow.listing_id, chunk), IdentifierRow.common.is_(False))
        ):
            by_identifier[value_hash].append(listing_id)
    for listing_id, summary in summaries.items():  # a listing's bands, from its stored signature
        for bucket in signature_bands(summary.signature):
            by_bucket[bucket].append(listing_id)
    for group in by_identifier.values():
        join(group)
    checked: set[tuple[int, int]] = set()
    for group in by_bucket.values():
        for a, b in combinations(sorted(group), 2):
            if (a, b) in checked or sets.find(a) == sets.find(b):
                continue
            checked.add((a, b))
            if a in summaries and b in summaries and is_near_duplicate(summaries[a], summaries[b]):
                join((a, b))
    components: dict[int, list[int]] = defaultdict(list)
    for member in members:
        components[sets.find(member)].append(member)
    return sorted(components.values(), key=lambda c: (-len(c), min(c)))


def split_operator(session: Session, operator_id: int, *, now: datetime) -> set[int]:
    """Rebuild one operator's components: the one with its founding listing keeps its id, each other one takes
    its smallest listing id.

    Returns the ids of the operators it now consists of.
    """
    members = sorted(
        session.scalars(select(ListingLinkRow.listing_id).where(ListingLinkRow.operator_id == operator_id))
    )
    components = _components(session, members)
    # the component holding the listing the operator is named after keeps the name (every live operator holds
    # the listing whose id it has), so a new name, a listing's own id, can never be a live operator's
    keeper = next((c for c in components if operator_id in c), components[0] if components else [])
    result = {operator_id}
    for component in components:
        if component is keeper:
            continue
        new_id = min(component)
        result.add(new_id)
        existing = session.get(OperatorRow, new_id)
        if existing is None:
            session.add(OperatorRow(**new_operator_row(new_id, now)))
        else:
            existing.merged_into = None
        session.flush()
        for chunk in chunks(component):
            session.execute(
                update(ListingLinkRow)
                .where(any_of(session, ListingLinkRow.listing_id, chunk))
                .values(operator_id=new_id),
                execution_options={"synchronize_session": False},
            )
            hashes = select(IdentifierListingRow.value_hash).where(
                any_of(session, IdentifierListingRow.listing_id, chunk)
            )
            session.execute(
                update(IdentifierRow)
                .where(IdentifierRow.value_hash.in_(hashes), IdentifierRow.common.is_(False))
                .values(operator_id=new_id),
                execution_options={"synchronize_session": False},
            )
    return result

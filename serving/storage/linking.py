"""Linking stored listings into operators, incrementally, in the transaction that stores a scored batch.

Each listing's identifiers (keyed hashes) and text fingerprint are computed before the transaction
(``fingerprint_listings``, CPU only); ``link_listings`` then, in a few set-based statements per batch:

1. founds an operator for each new listing (its id is the listing's id) and records its link row;
2. indexes its identifiers; an identifier found on listings of more than ``max_sellers`` different sellers
   becomes *common* (a marketplace hotline, a courier's number): it links nobody, and the operator it had
   linked is split again along the evidence that remains (``serving.storage.components``);
3. finds its near-duplicate candidates by LSH bucket (an indexed lookup) and verifies each candidate operator's
   best few by MinHash similarity;
4. unites the operators found, the smaller relabelled into the larger (so a listing is relabelled O(log n)
   times over its life), and refreshes the aggregates (risk, labels, platforms, deletions) of those it touched.

On PostgreSQL the step holds a transaction-scoped advisory lock, so two workers never link at once (two
near-duplicates arriving together in two transactions would otherwise miss each other); SQLite has one writer.
What no other transaction can see or wait on (a new listing's own operator, link row and bands) is written
before the lock, so that the lock is held only for the look-ups and merges.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.orm import Session

from model.near_duplicates import is_near_duplicate, signature_bands
from serving.fingerprints import ListingFingerprint
from serving.storage.bulk import any_of, chunks, insert_ignore, none_of
from serving.storage.case_tables import IdentifierRow, ListingLinkRow, LshBucketRow, OperatorRow
from serving.storage.components import (
    DisjointSets,
    new_operator_row,
    own_operator_row,
    refresh_operators,
    split_operator,
    text_summaries,
)
from serving.storage.identifier_index import index_identifiers
from serving.storage.listings import StoredBatch
from serving.storage.models import ListingRow

LINK_LOCK_KEY = 0x50_1C_A5E5  # the advisory lock of the linking step (PostgreSQL)
CANDIDATES_PER_OPERATOR = 3  # near-duplicate candidates verified per candidate operator, most shared bands first
MEMBERS_PER_OPERATOR = CANDIDATES_PER_OPERATOR  # listings of one operator read per LSH bucket (``_bucket_members``)


def _link_new_listings(
    session: Session,
    fingerprints: dict[int, ListingFingerprint],
    *,
    now: datetime,
    stored: StoredBatch | None,
    labels: Sequence[str],
) -> tuple[dict[int, int], list[int]]:
    """Before linking's lock: each listing never linked gets its own operator, link row and LSH bands; returns
    (listing -> latest snapshot, the new listings).

    Another transaction cannot see these rows before this one commits, so none can wait on them or miss them:
    one linking after this commits finds them, and this one, once it holds the lock, finds everything committed
    before. (A listing is never new to two transactions at once: storing it locks its row first.) With the
    ``stored`` batch, its snapshots are known, a listing it created cannot be linked yet, and that listing's
    operator starts with its own aggregates.
    """
    ids = sorted(fingerprints)
    created = stored.created if stored is not None else {}
    if stored is not None:
        snapshots = {listing_id: stored.snapshots[listing_id] for listing_id in ids}
    else:
        rows = session.execute(
            select(ListingRow.id, ListingRow.latest_snapshot_id).where(any_of(session, ListingRow.id, ids))
        )
        snapshots = dict(rows.tuples().all())
    maybe_linked = [listing_id for listing_id in ids if listing_id not in created]
    linked = set()
    if maybe_linked:
        linked = set(
            session.scalars(
                select(ListingLinkRow.listing_id).where(any_of(session, ListingLinkRow.listing_id, maybe_linked))
            )
        )
    new = [listing_id for listing_id in ids if listing_id not in linked]
    operator_rows = [
        own_operator_row(i, created[i], now, labels) if i in created else new_operator_row(i, now) for i in new
    ]
    insert_ignore(session, OperatorRow, operator_rows, ["id"])
    link_rows = [
        {"listing_id": i, "operator_id": i, "snapshot_id": snapshots[i], "signature": fingerprints[i].text.signature,
         "full_signature": fingerprints[i].text.full_signature, "linked_at": now,
         "seller_key": fingerprints[i].seller_key or f"listing:{i}"}
        for i in new
    ]  # fmt: skip
    insert_ignore(session, ListingLinkRow, link_rows, ["listing_id"])
    _insert_bands(session, fingerprints, new)
    return snapshots, new


def _insert_bands(session: Session, fingerprints: dict[int, ListingFingerprint], listing_ids: Sequence[int]) -> None:
    rows = sorted({(b, i) for i in listing_ids for b in fingerprints[i].text.buckets})
    insert_ignore(session, LshBucketRow, [{"bucket": b, "listing_id": i} for b, i in rows], ["bucket", "listing_id"])


def _relink_changed(
    session: Session, fingerprints: dict[int, ListingFingerprint], snapshots: dict[int, int], new: list[int]
) -> dict[int, int]:
    """Under linking's lock: the listings linked before whose snapshot changed get their new signature and bands;
    returns listing -> operator for the listings to link (the new and the changed; unchanged ones need nothing)."""
    fresh = set(new)
    before = [i for i in sorted(fingerprints) if i not in fresh]
    columns = (
        ListingLinkRow.listing_id,
        ListingLinkRow.operator_id,
        ListingLinkRow.snapshot_id,
        ListingLinkRow.signature,
    )
    found = session.execute(select(*columns).where(any_of(session, ListingLinkRow.listing_id, before)))
    existing = {row.listing_id: row for row in found}  # read under the lock: a merge may have moved them since
    changed = [i for i in before if i in existing and existing[i].snapshot_id != snapshots[i]]
    if changed:
        session.execute(
            update(ListingLinkRow),
            [{"listing_id": i, "snapshot_id": snapshots[i], "signature": fingerprints[i].text.signature,
              "full_signature": fingerprints[i].text.full_signature} for i in changed],
        )  # fmt: skip
        # an edited text replaces its bands (found again from its stored signature); links already made stay
        old_bands = [{"b": b, "i": i} for i in changed for b in signature_bands(existing[i].signature)]
        if old_bands:
            table = LshBucketRow.__table__
            session.execute(
                table.delete().where(table.c.bucket == bindparam("b"), table.c.listing_id == bindparam("i")),
                old_bands,
            )
        _insert_bands(session, fingerprints, changed)
    return {i: i for i in new} | {i: existing[i].operator_id for i in changed}


def _bucket_members(
    session: Session, buckets: Sequence[int], besides: Sequence[int] = ()
) -> dict[int, list[tuple[int, int]]]:
    """bucket -> [(listing, its operator)]: the ``MEMBERS_PER_OPERATOR`` oldest listings of each operator in a bucket
    (ranked in the database), so that an operator's hundredth copy of one text costs what its second did; only
    ``CANDIDATES_PER_OPERATOR`` of an operator's listings are ever verified (docs/decisions.md). The listings
    ``besides`` (the caller's own) are not read."""
    members: dict[int, list[tuple[int, int]]] = defaultdict(list)
    # each member's operator by its link row's key, not by a join: PostgreSQL would hash the whole link table for
    # the few hundred members of a batch's buckets while it is small enough (10,000 listings: 8 of its 11 ms)
    operator = select(ListingLinkRow.operator_id).where(ListingLinkRow.listing_id == LshBucketRow.listing_id)
    for chunk in chunks(buckets):
        found = any_of(session, LshBucketRow.bucket, chunk)
        if besides:
            found = found & none_of(session, LshBucketRow.listing_id, besides)
        pairs = select(LshBucketRow.bucket, LshBucketRow.listing_id, operator.scalar_subquery().label("operator_id"))
        pairs = pairs.where(found).subquery()
        rank = func.row_number().over(partition_by=(pairs.c.bucket, pairs.c.operator_id), order_by=pairs.c.listing_id)
        ranked = select(pairs, rank.label("rank")).where(pairs.c.operator_id.is_not(None)).subquery()
        kept = select(ranked.c.bucket, ranked.c.listing_id, ranked.c.operator_id).where(
            ranked.c.rank <= MEMBERS_PER_OPERATOR
        )
        for bucket, listing_id, operator_id in session.execute(kept).tuples():
            members[bucket].append((listing_id, operator_id))
    return members


def _near_duplicate_edges(
    session: Session, fingerprints: dict[int, ListingFingerprint], operators: dict[int, int], new: set[int]
) -> list[tuple[int, int]]:
    """(listing, candidate operator) pairs verified as near-duplicates, via the LSH buckets."""
    with_text = [i for i in operators if fingerprints[i].text.signature is not None]
    # the batch's new listings (each its own operator) are most of their buckets' members: not read back, but added
    fresh = sorted(i for i in with_text if i in new)
    by_bucket = _bucket_members(session, sorted({b for i in with_text for b in fingerprints[i].text.buckets}), fresh)
    for i in fresh:
        for bucket in fingerprints[i].text.buckets:
            by_bucket[bucket].append((i, i))
    wanted: dict[int, list[tuple[int, int]]] = {}  # listing -> [(candidate listing, its operator)] to verify
    for i in with_text:
        shared: dict[tuple[int, int], int] = defaultdict(int)
        for bucket in fingerprints[i].text.buckets:
            for candidate in by_bucket.get(bucket, ()):
                if candidate[0] != i:
                    shared[candidate] += 1
        per_operator: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for candidate, _count in sorted(shared.items(), key=lambda kv: (-kv[1], kv[0])):
            if candidate[1] != operators[i] and len(per_operator[candidate[1]]) < CANDIDATES_PER_OPERATOR:
                per_operator[candidate[1]].append(candidate)
        wanted[i] = [c for group in per_operator.values() for c in group]
    needed = sorted({c for group in wanted.values() for c, _ in group})
    summaries = text_summaries(session, needed)
    edges = set()
    for i, candidates in wanted.items():
        mine = fingerprints[i].text.summary
        for candidate, operator_id in candidates:
            other = summaries.get(candidate)
            if other is not None and is_near_duplicate(mine, other):
                edges.add((i, operator_id))
    return sorted(edges)


def _merge(session: Session, unions: DisjointSets) -> dict[int, int]:
    """Relabel every group's smaller operators into its largest; returns old id -> surviving id."""
    moved: dict[int, int] = {}
    groups = list(unions.groups())
    sizes: dict[int, int] = {}
    for chunk in chunks(sorted({o for group in groups for o in group})):  # one query, not one per group
        sizes |= dict(
            session.execute(
                select(OperatorRow.id, OperatorRow.listing_count).where(any_of(session, OperatorRow.id, chunk))
            ).all()
        )
    for group in groups:
        target = max(group, key=lambda o: (sizes.get(o, 0), -o))
        moved |= {o: target for o in group if o != target}
    if not moved:
        return moved
    pairs = [{"old": old, "new": new} for old, new in sorted(moved.items())]
    for table, column in ((ListingLinkRow.__table__, "operator_id"), (IdentifierRow.__table__, "operator_id")):
        session.execute(
            table.update().where(table.c[column] == bindparam("old")).values({column: bindparam("new")}), pairs
        )
    # an old id's own row says where it went; a chain of merges is followed when read (storage.cases)
    session.execute(
        update(OperatorRow),
        [{"id": old, "merged_into": new, "is_case": False, "listing_count": 0} for old, new in sorted(moved.items())],
    )
    return moved


def _lock_linking(session: Session) -> None:
    """Serialise linking (and the operator aggregates it maintains) across workers and replicas (PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LINK_LOCK_KEY})


def refresh_operators_of(session: Session, listing_ids: Sequence[int], *, now: datetime, labels: Sequence[str]) -> None:
    """Recompute the aggregates (highest risk, flagged counts…) of the operators of these listings, whose latest
    scores just changed (a rescore), under linking's lock; listings never linked are skipped."""
    if not listing_ids:
        return
    _lock_linking(session)
    operator_ids: set[int] = set()
    for chunk in chunks(sorted(set(listing_ids))):
        operator_ids.update(
            session.scalars(select(ListingLinkRow.operator_id).where(any_of(session, ListingLinkRow.listing_id, chunk)))
        )
    refresh_operators(session, operator_ids, now=now, labels=labels)


def link_listings(
    session: Session,
    fingerprints: dict[int, ListingFingerprint],
    *,
    now: datetime,
    max_sellers: int,
    labels: Sequence[str],
    stored: StoredBatch | None = None,
) -> set[int]:
    """Link stored listings (id -> fingerprint) into operators; returns the ids of the operators touched.

    ``stored``: the batch just stored in this transaction, when these are its listings (``now`` its time). The
    operator of a listing it created is then written with its aggregates at once, and refreshed from the tables
    only if a merge or a split touches it.
    """
    if not fingerprints:
        return set()
    snapshots, new = _link_new_listings(session, fingerprints, now=now, stored=stored, labels=labels)
    _lock_linking(session)
    operators = _relink_changed(session, fingerprints, snapshots, new)
    snapshots = {i: snapshots[i] for i in operators}
    touched = set(
        session.scalars(
            select(ListingLinkRow.operator_id).where(any_of(session, ListingLinkRow.listing_id, sorted(fingerprints)))
        )
    )
    own = set(stored.created) if stored is not None else set()  # operators whose aggregates are written already
    if operators:
        rows, became_common = index_identifiers(
            session, fingerprints, operators, snapshots, now=now, max_sellers=max_sellers
        )
        unions = DisjointSets()
        for i in operators:
            unions.find(operators[i])
            for _kind, h in fingerprints[i].identifiers:
                row = rows.get(h)
                if row is not None and not row.common:
                    unions.union(operators[i], row.operator_id)
        for i, operator_id in _near_duplicate_edges(session, fingerprints, operators, set(new)):
            unions.union(operators[i], operator_id)
        moved = _merge(session, unions)
        own -= moved.keys() | set(moved.values())  # every operator of a merged group: merged away or into
        touched = {moved.get(o, o) for o in touched | set(unions.parent)}
        for h in sorted(became_common):
            split = split_operator(session, moved.get(rows[h].operator_id, rows[h].operator_id), now=now)
            touched |= split
            own -= split
    refresh_operators(session, touched - own, now=now, labels=labels)
    return touched

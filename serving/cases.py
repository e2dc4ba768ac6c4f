"""What the case routes and the review page's case pages do, in one place (as ``serving.reviewing`` is for
listings): link a stored batch, list cases, show one, search by identifier, record deletions, review a case.

Identifier values are recovered from the snapshots (the evidence) when a reviewer looks; the database holds only
their keyed hashes.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

import numpy as np

from model import near_duplicates
from model.folding import nfc
from model.identifiers import Identifier, extract_identifiers
from model.near_duplicates import TextSummary, is_near_duplicate
from model.schema import Listing
from serving.auth import Principal
from serving.case_linker import CaseLinker
from serving.case_schemas import (
    CaseDetail,
    CaseIdentifier,
    CaseListing,
    CasePage,
    CaseReviewOut,
    CaseSummary,
    GoneOut,
    GoneRef,
    IdentifierListing,
    IdentifierListings,
    TimelineEvent,
)
from serving.storage import cases as store
from serving.storage.case_tables import OperatorRow, read_bar_list
from serving.storage.components import refresh_operators
from serving.storage.db import Database
from serving.storage.history import add_review
from serving.storage.listings import find_listing_ids
from serving.storage.models import ReviewRow, SnapshotRow, utc_now

CASE_NOTE_PREFIX = "[vụ việc {case_id}]"


def deletion_summary(deleted_fast: int, deleted: int, total: int) -> str:
    """'12 trên 40 tin bị xóa trong vòng 48 giờ kể từ khi Soi thấy lần đầu (15 tin đã bị xóa).'"""
    sentence = f"{deleted_fast} trên {total} tin bị xóa trong vòng 48 giờ kể từ khi Soi thấy lần đầu"
    return sentence + (f" ({deleted} tin đã bị xóa)." if deleted != deleted_fast else ".")


def _summary(row: OperatorRow) -> dict:
    return {
        "case_id": row.id,
        "listing_count": row.listing_count,
        "seller_count": row.seller_count,
        "platforms": read_bar_list(row.platforms),
        "risk": round(row.max_risk, 6),
        "flagged_counts": dict(row.flagged_counts or {}),
        "first_seen": row.first_seen,
        "last_seen": row.last_seen,
        "deleted_count": row.gone_count,
        "deleted_within_48h": row.gone_within_48h,
        "deletion_summary": deletion_summary(row.gone_within_48h, row.gone_count, row.listing_count),
    }


def load_case_page(db: Database, where: store.CaseFilter, *, limit: int, cursor: store.CaseCursor | None) -> CasePage:
    """One page of cases, highest risk first."""
    with db.read() as session:
        rows, next_cursor = store.read_cases(session, where, limit=limit, cursor=cursor)
        return CasePage(items=[CaseSummary(**_summary(row)) for row in rows], next_cursor=next_cursor)


def _near_duplicates(members: list[store.CaseMember]) -> dict[int, list[int]]:
    """For each listing, the others in the case whose text is a near-duplicate of its own."""
    texts = [(m.listing.id, TextSummary(m.link.signature, m.link.full_signature)) for m in members]
    texts = [(listing_id, text) for listing_id, text in texts if text.signature]
    found: dict[int, list[int]] = defaultdict(list)
    if len(texts) < 2:
        return found
    matrix = np.stack([np.frombuffer(text.signature or b"", dtype="<u4") for _id, text in texts])
    threshold = near_duplicates.NEAR_DUPLICATE_THRESHOLD
    for index, (listing_id, text) in enumerate(texts):
        close = np.flatnonzero((matrix == matrix[index]).mean(axis=1) >= threshold)  # a cheap first cut
        found[listing_id] = [texts[j][0] for j in close if j != index and is_near_duplicate(text, texts[j][1])]
    return found


def _identifiers(session, linker: CaseLinker, snapshots: list[SnapshotRow]) -> list[CaseIdentifier]:
    """The identifiers written in the case's snapshots, with which listings carry them and whether they link."""
    seen: dict[tuple[str, str], tuple[Identifier, set[str], set[int]]] = {}
    for snapshot in snapshots:
        listing = Listing.model_validate(json.loads(snapshot.raw_json))
        for identifier in extract_identifiers(listing):
            entry = seen.setdefault((identifier.kind, identifier.value), (identifier, set(), set()))
            entry[1].add(identifier.written)
            entry[2].add(snapshot.listing_id)
    index = store.identifier_rows(session, [linker.hash(kind, value) for kind, value in seen])
    result = []
    for (kind, value), (identifier, written, listing_ids) in sorted(seen.items()):
        row = index.get(linker.hash(kind, value))
        result.append(
            CaseIdentifier(
                kind=kind,
                value=value,
                written=sorted(written),
                detail=identifier.detail,
                listing_ids=sorted(listing_ids),
                shared=len(listing_ids) > 1,
                common=bool(row and row.common),
            )
        )
    return sorted(result, key=lambda i: (not i.shared, i.kind, i.value))


def _timeline(
    members: list[store.CaseMember], snapshots: list[SnapshotRow], reviews: list[ReviewRow]
) -> list[TimelineEvent]:
    events = [
        TimelineEvent(at=m.listing.first_seen, listing_id=m.listing.id, event="first_seen", text="Soi thấy tin lần đầu")
        for m in members
    ]
    firsts = {m.listing.id: m.listing.first_seen for m in members}
    events += [
        TimelineEvent(at=s.first_seen, listing_id=s.listing_id, event="edited", text="Tin được sửa nội dung")
        for s in snapshots
        if s.first_seen > firsts.get(s.listing_id, s.first_seen)
    ]
    events += [
        TimelineEvent(
            at=r.created_at,
            listing_id=r.listing_id,
            event="reviewed",
            text=f"Đánh giá của {r.reviewer}: {', '.join(r.labels) or 'tin sạch'}",
        )
        for r in reviews
    ]
    events += [
        TimelineEvent(at=m.gone.gone_at, listing_id=m.listing.id, event="deleted", text="Tin bị xóa trên nền tảng")
        for m in members
        if m.gone
    ]
    return sorted(events, key=lambda e: (e.at, e.listing_id, e.event))


def _case_listing(member: store.CaseMember, raw: dict, reviews: list[ReviewRow], near: list[int]) -> CaseListing:
    listing, score = member.listing, member.score
    seller = raw.get("seller") if isinstance(raw.get("seller"), dict) else {}
    deleted = member.gone.gone_at if member.gone and member.gone.gone_at >= listing.last_seen else None
    return CaseListing(
        listing_id=listing.id,
        external_id=listing.external_id,
        platform=listing.platform,
        url=listing.url,
        seller_id=listing.seller_id,
        seller_name=seller.get("name"),
        title=listing.title,
        first_seen=listing.first_seen,
        last_seen=listing.last_seen,
        deleted_at=deleted,
        risk=score.risk if score else None,
        priority=score.priority if score else None,
        flagged=list(score.flagged) if score else [],
        model_version=score.model_version if score else None,
        reviewed_labels=list(reviews[-1].labels) if reviews else None,
        near_duplicates=near,
    )


def load_case(db: Database, linker: CaseLinker, case_id: int, *, show_identifiers: bool) -> CaseDetail | None:
    """A case with its listings, identifiers (when ``show_identifiers``) and timeline; follows merges."""
    with db.read() as session:
        row = store.resolve_case(session, case_id)
        if row is None or row.listing_count == 0:
            return None
        members = store.case_members(session, row.id)
        ids = [m.listing.id for m in members]
        snapshots = store.rows_of_listings(session, SnapshotRow, ids)
        reviews = store.rows_of_listings(session, ReviewRow, ids)
        latest_raw = {
            s.listing_id: json.loads(s.raw_json)
            for s in snapshots
            if s.id in {m.listing.latest_snapshot_id for m in members}
        }
        reviews_of: dict[int, list[ReviewRow]] = defaultdict(list)
        for review in reviews:
            reviews_of[review.listing_id].append(review)
        near = _near_duplicates(members)
        return CaseDetail(
            **_summary(row),
            listings=[
                _case_listing(m, latest_raw.get(m.listing.id, {}), reviews_of[m.listing.id], near.get(m.listing.id, []))
                for m in members
            ],
            identifiers=_identifiers(session, linker, snapshots) if show_identifiers else None,
            timeline=_timeline(members, snapshots, reviews),
        )


def listing_case(db: Database, listing_id: int) -> tuple[int, int] | None:
    """(case id, its number of listings) of a listing, or None when it is not linked yet."""
    with db.read() as session:
        operator_id = store.listing_case_id(session, listing_id)
        row = store.resolve_case(session, operator_id) if operator_id is not None else None
        return (row.id, row.listing_count) if row is not None else None


def find_by_identifier(
    db: Database, linker: CaseLinker, kind: str, value: str, *, limit: int
) -> IdentifierListings | None:
    """Listings carrying a canonical identifier (newest first), or None when no listing ever carried it."""
    value_hash = linker.hash(kind, value)
    with db.read() as session:
        row = store.identifier_rows(session, [value_hash]).get(value_hash)
        if row is None or row.kind != kind:
            return None
        found = store.listings_with_identifier(session, value_hash, limit=limit)
        listings = [
            IdentifierListing(
                listing_id=listing.id,
                case_id=operator_id,
                platform=listing.platform,
                title=listing.title,
                first_seen=listing.first_seen,
                last_seen=listing.last_seen,
                risk=listing.latest_risk,
                flagged=listing.latest_flagged,
            )
            for listing, operator_id in found
        ]
        return IdentifierListings(
            kind=kind,
            value=value,
            common=row.common,
            listing_count=row.listing_count,
            seller_count=row.seller_count,
            listings=listings,
        )


def report_gone(
    db: Database, linker: CaseLinker, refs: Sequence[GoneRef], *, gone_at: datetime | None, reporter: str
) -> GoneOut:
    """Record listings as deleted on their platform; refresh their cases."""
    now = utc_now()
    wanted = [Listing(id=ref.id, platform=ref.platform, url=ref.url, title="-") for ref in refs]
    with db.write() as session:
        ids = find_listing_ids(session, wanted)
        known = [i for i in ids if i is not None]
        before = store.count_gone(session, known)
        operators = store.record_gone(session, known, gone_at=min(gone_at or now, now), now=now, reported_by=reporter)
        refresh_operators(session, operators, now=now, labels=linker.labels)
        recorded = store.count_gone(session, known) - before
    return GoneOut(listing_ids=ids, recorded=recorded)


def review_case(
    db: Database, case_id: int, *, caller: Principal, labels: list[str], note: str | None, listing_ids: list[int] | None
) -> CaseReviewOut | None:
    """Apply one decision to a case's listings as ordinary, append-only reviews whose note names the case."""
    with db.write() as session:
        row = store.resolve_case(session, case_id)
        if row is None or row.listing_count == 0:
            return None
        prefix = CASE_NOTE_PREFIX.format(case_id=row.id)
        text = nfc(f"{prefix} {note}" if note else prefix)
        members = [m.listing.id for m in store.case_members(session, row.id)]
        chosen = [i for i in members if listing_ids is None or i in set(listing_ids)]
        now = utc_now()
        reviews = [
            add_review(session, i, reviewer=caller.name, api_key_id=caller.key_id, labels=labels, note=text, now=now)
            for i in chosen
        ]
        stored = [r for r in reviews if r is not None]
        return CaseReviewOut(
            case_id=row.id, review_ids=[r.id for r in stored], listing_ids=[r.listing_id for r in stored]
        )

"""What the scoring routes do, in one place: score listings (the model reads a bounded description), then store
each with its snapshot and score and link it into cases, all in one write transaction (unless a dry run)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from model.predictor import Predictor
from model.schema import Listing, bound_description
from serving.case_linker import CaseLinker, store_and_link
from serving.metrics import LISTINGS_SCORED
from serving.schemas import StoredScore
from serving.settings import Settings
from serving.storage.db import Database
from serving.storage.listings import ScoredListing


def score_and_store(
    listings: Sequence[Listing],
    raws: Sequence[Any],
    *,
    predictor: Predictor,
    db: Database,
    settings: Settings,
    dry_run: bool,
    linker: CaseLinker | None = None,
) -> list[StoredScore]:
    """Score (the model reads a bounded description), then store everything in one transaction."""
    scores = predictor.score([bound_description(listing, settings.model_description_chars) for listing in listings])
    stored_ids: list[int | None] = [None] * len(scores)
    if not dry_run:
        items = [
            ScoredListing(
                raw=raw if isinstance(raw, dict) else listing.model_dump(mode="json"), listing=listing, score=s
            )
            for raw, listing, s in zip(raws, listings, scores, strict=True)
        ]
        stored_ids = list(store_and_link(db, items, thresholds=predictor.thresholds, linker=linker))
    for priority, count in Counter(s.priority for s in scores).items():
        LISTINGS_SCORED.labels(priority=priority, model_version=predictor.version).inc(count)
    return [
        StoredScore.model_construct(**dict(s), stored_listing_id=listing_id)
        for s, listing_id in zip(scores, stored_ids, strict=True)
    ]

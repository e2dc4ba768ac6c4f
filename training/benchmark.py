"""Speed benchmarks of reading and featurising listings (speed lives here, never in tests)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from model.features import build_metadata_features, build_signal_features, build_text_views
from model.linear import LinearScorer
from model.schema import Listing
from model.text import segment_words


def _per_listing_ms(step: Callable[[Listing], Any], listings: Sequence[Listing], *, repeats: int) -> float:
    """Best-of-``repeats`` wall time of ``step`` over all listings, in milliseconds per listing."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for listing in listings:
            step(listing)
        best = min(best, time.perf_counter() - started)
    return best * 1000 / max(len(listings), 1)


def benchmark_features(scorer: LinearScorer, listings: Sequence[Listing], *, repeats: int = 3) -> dict[str, Any]:
    """Milliseconds per listing of each reading and featurisation step, with the scorer's own settings."""
    config = scorer.text_config
    for listing in listings[:50]:  # warm caches (brand matches, compiled patterns, underthesea's model)
        build_text_views(listing, max_description_chars=config.max_description_chars, max_segmented_chars=120)

    def normalise_and_features(listing: Listing) -> None:
        # normalisation, de-obfuscation, contact signals, brands, lexicon, metadata and signal features
        views = build_text_views(listing, max_description_chars=config.max_description_chars, max_segmented_chars=0)
        build_metadata_features(listing)
        build_signal_features(listing, views, scorer.price_reference)

    views = scorer.build_views(listings)
    prefixes = [view.normalized[: config.max_segmented_chars] for view in views]
    started = time.perf_counter()
    for prefix in prefixes:
        segment_words(prefix)
    segmentation_ms = (time.perf_counter() - started) * 1000 / max(len(listings), 1)
    started = time.perf_counter()
    scorer.transform(listings, views)
    transform_ms = (time.perf_counter() - started) * 1000 / max(len(listings), 1)
    return {
        "listings": len(listings),
        "normalisation_and_features_ms": _per_listing_ms(normalise_and_features, listings, repeats=repeats),
        "word_segmentation_ms": segmentation_ms,
        "tfidf_and_matrix_ms": transform_ms,
    }

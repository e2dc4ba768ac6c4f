"""Speed benchmarks of reading and featurising listings (speed lives here, never in tests)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from model.features import build_signal_features
from model.linear import LinearScorer
from model.metadata_features import build_metadata_features
from model.schema import Listing
from model.text import segment_words


def _per_listing_ms(step: Callable[[Any], Any], listings: Sequence[Any], *, repeats: int) -> float:
    """Best-of-``repeats`` wall time of ``step`` over all listings, in milliseconds per listing."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for listing in listings:
            step(listing)
        best = min(best, time.perf_counter() - started)
    return best * 1000 / max(len(listings), 1)


def benchmark_features(scorer: LinearScorer, listings: Sequence[Listing], *, repeats: int = 3) -> dict[str, Any]:
    """Milliseconds per listing of reading and featurising listings exactly as scoring does, step by step.

    ``total_ms`` is the whole path from a listing to its feature row (reading, lexicon, brands, signals,
    metadata, n-gram TF-IDF), best of ``repeats`` passes; ``total_first_pass_ms`` is the first pass, before
    the per-word n-gram cache is warm.
    """
    listings = list(listings)
    started = time.perf_counter()
    scorer.transform(listings, scorer.build_views(listings))
    first_pass_ms = (time.perf_counter() - started) * 1000 / max(len(listings), 1)

    def features_of(listing: Listing) -> None:
        views = scorer.build_views([listing])
        build_metadata_features(listing)
        build_signal_features(listing, views[0], scorer.price_reference)

    views = scorer.build_views(listings)
    results: dict[str, Any] = {
        "listings": len(listings),
        "total_ms": _batch_ms(lambda: scorer.transform(listings, scorer.build_views(listings)), listings, repeats),
        "total_first_pass_ms": first_pass_ms,
        "reading_and_signal_features_ms": _per_listing_ms(features_of, listings, repeats=repeats),
        "tfidf_and_matrix_ms": _batch_ms(lambda: scorer.transform(listings, views), listings, repeats),
        "word_segmentation_ms": None,
    }
    if "segments" in scorer.vectorizers:
        prefixes = [view.normalized[: scorer.text_config.max_segmented_chars] for view in views]
        results["word_segmentation_ms"] = _per_listing_ms(segment_words, prefixes, repeats=1)
    return results


def _batch_ms(step: Callable[[], Any], listings: Sequence[Listing], repeats: int) -> float:
    """Best-of-``repeats`` wall time of one call of ``step`` over all listings, in milliseconds per listing."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        step()
        best = min(best, time.perf_counter() - started)
    return best * 1000 / max(len(listings), 1)

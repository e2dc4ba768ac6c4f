"""Drift: are recent listings, and the model's scores on them, still like the data the model was trained for?

``python -m training drift --recent recent.jsonl`` (``make drift``) scores the recent listings with the current
model and compares, by population stability index (PSI), each label's probability distribution and a few key
listing features with the same on the model's reference data: its held-out validation and test listings plus,
when it was trained with them, the real presumed-lawful listings. PSI below 0.1 is stable, 0.1–0.25 a moderate
shift, above 0.25 a significant one; the verdict says in plain words whether retraining is advised.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from model.predictor import Predictor
from model.schema import Listing
from model.text_views import TextViews

MODERATE_PSI = 0.1
SIGNIFICANT_PSI = 0.25
# Probability bins: fine near 0 and 1, where calibrated risk scores gather.
PROBABILITY_EDGES = (0.0, 0.01, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 0.9, 0.95, 0.99, 1.0)
_EPSILON = 1e-4  # stands in for an empty bin, so PSI stays finite


def _log_or_none(value: float | None) -> float | None:
    return math.log1p(value) if value is not None and value >= 0 else None


def _seller_value(name: str) -> Callable[[Listing, TextViews], float | None]:
    return lambda listing, _views: _log_or_none(getattr(listing.seller, name, None)) if listing.seller else None


# Key listing features (None = missing, which gets a bin of its own): what the crawler sends and what moves
# the model most. Each reads the listing and the text views the model read it through.
DRIFT_FEATURES: dict[str, Callable[[Listing, TextViews], float | None]] = {
    "log_price_vnd": lambda listing, _views: _log_or_none(listing.price),
    "log_seller_account_age_days": _seller_value("account_age_days"),
    "log_seller_follower_count": _seller_value("follower_count"),
    "log_title_chars": lambda listing, _views: math.log1p(len(listing.title)),
    "log_description_chars": lambda listing, _views: math.log1p(len(listing.description or "")),
    "lexicon_hits": lambda _listing, views: float(len(views.lexicon_hits)),
}


def population_stability_index(expected: np.ndarray, actual: np.ndarray) -> float:
    """PSI of two histograms over the same bins (counts or fractions)."""
    expected = np.maximum(np.asarray(expected, dtype=float) / max(np.sum(expected), 1), _EPSILON)
    actual = np.maximum(np.asarray(actual, dtype=float) / max(np.sum(actual), 1), _EPSILON)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def _histogram(values: Sequence[float | None], edges: np.ndarray) -> np.ndarray:
    """Counts per bin, the last bin counting missing values."""
    present = np.asarray([v for v in values if v is not None], dtype=float)
    counts = (
        np.histogram(np.clip(present, edges[0], edges[-1]), bins=edges)[0] if present.size else np.zeros(len(edges) - 1)
    )
    return np.append(counts, sum(v is None for v in values))


def _quantile_edges(values: Sequence[float | None], bins: int = 10) -> np.ndarray:
    present = np.asarray([v for v in values if v is not None], dtype=float)
    if present.size == 0:
        return np.asarray([0.0, 1.0])
    edges = np.unique(np.quantile(present, np.linspace(0, 1, bins + 1)))
    return edges if edges.size > 1 else np.asarray([edges[0] - 0.5, edges[0] + 0.5])


def _status(psi: float) -> str:
    return "significant" if psi > SIGNIFICANT_PSI else "moderate" if psi > MODERATE_PSI else "stable"


def measure_drift(predictor: Predictor, reference: Sequence[Listing], recent: Sequence[Listing]) -> dict[str, Any]:
    """PSI per label score and per key feature of recent listings against the reference, with a verdict."""
    labels = predictor.labels
    # each listing is read once: the views serve the scores and the features
    reference_views, recent_views = predictor.linear.build_views(reference), predictor.linear.build_views(recent)
    reference_p = predictor.predict_proba(reference, reference_views)[:, : len(labels)]
    recent_p = predictor.predict_proba(recent, recent_views)[:, : len(labels)]
    edges = np.asarray(PROBABILITY_EDGES)
    scores = {}
    for column, label in enumerate(labels):
        psi = population_stability_index(
            _histogram(reference_p[:, column].tolist(), edges), _histogram(recent_p[:, column].tolist(), edges)
        )
        scores[label] = {
            "psi": round(psi, 4),
            "status": _status(psi),
            "reference_mean": round(float(reference_p[:, column].mean()), 4),
            "recent_mean": round(float(recent_p[:, column].mean()), 4),
        }
    features = {}
    for name, read in DRIFT_FEATURES.items():
        reference_values = [read(listing, views) for listing, views in zip(reference, reference_views, strict=True)]
        recent_values = [read(listing, views) for listing, views in zip(recent, recent_views, strict=True)]
        feature_edges = _quantile_edges(reference_values)
        psi = population_stability_index(
            _histogram(reference_values, feature_edges), _histogram(recent_values, feature_edges)
        )
        features[name] = {"psi": round(psi, 4), "status": _status(psi)}
    return {
        "model_version": predictor.version,
        "reference_listings": len(reference),
        "recent_listings": len(recent),
        "scores": scores,
        "features": features,
        "verdict": verdict(scores, features),
    }


def verdict(scores: dict[str, dict[str, Any]], features: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Retraining is advised when any label's scores shift significantly, or two key features do."""
    shifted_scores = [label for label, s in scores.items() if s["status"] == "significant"]
    shifted_features = [name for name, f in features.items() if f["status"] == "significant"]
    moderate = [name for name, f in {**scores, **features}.items() if f["status"] == "moderate"]
    advised = bool(shifted_scores) or len(shifted_features) >= 2
    if advised:
        parts = []
        if shifted_scores:
            parts.append("the scores of " + ", ".join(shifted_scores) + " have shifted significantly")
        if shifted_features:
            parts.append("recent listings differ in " + ", ".join(shifted_features))
        text = "Retraining is advised: " + "; ".join(parts) + ". Review a sample of recent listings first."
    elif shifted_features or moderate:
        text = (
            "No retraining needed yet, but watch: "
            + ", ".join(shifted_features + moderate)
            + " moved. Check again after more reviews."
        )
    else:
        text = "No retraining needed: recent listings and their scores look like the reference data."
    return {"retrain_advised": advised, "text": text}

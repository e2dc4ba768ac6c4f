"""Evaluation metrics of a scorer on labelled listings, and the real-listing false-alarm rate."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, f1_score, precision_recall_curve

from model.predictor import Predictor
from model.schema import Listing
from training.dataset import label_matrix


def recall_at_precision(target: np.ndarray, probability: np.ndarray, *, min_precision: float) -> float:
    """The highest recall reachable with precision at or above ``min_precision`` (0 if never)."""
    if target.sum() == 0:
        return float("nan")
    precision, recall, _ = precision_recall_curve(target, probability)
    reachable = recall[precision >= min_precision]
    return float(reachable.max()) if reachable.size else 0.0


def compute_metrics(
    target: np.ndarray, probability: np.ndarray, *, labels: Sequence[str], thresholds: dict[str, float]
) -> dict[str, Any]:
    """Per-label AP, recall at 90% precision, F1 at the thresholds; macro AP; clean listings flagged."""
    per_label: dict[str, dict[str, float]] = {}
    flagged = np.zeros_like(target, dtype=bool)
    for column, label in enumerate(labels):
        y, p = target[:, column], probability[:, column]
        flagged[:, column] = p >= thresholds[label]
        has_positives = y.sum() > 0
        per_label[label] = {
            "average_precision": float(average_precision_score(y, p)) if has_positives else float("nan"),
            "recall_at_90_precision": recall_at_precision(y, p, min_precision=0.9),
            "f1_at_threshold": float(f1_score(y, flagged[:, column], zero_division=0)),
            "threshold": float(thresholds[label]),
            "positives": int(y.sum()),
        }
    clean = target.sum(axis=1) == 0
    any_target = (~clean).astype(int)
    aps = [m["average_precision"] for m in per_label.values() if not np.isnan(m["average_precision"])]
    return {
        "listings": len(target),
        "per_label": per_label,
        "macro_average_precision": float(np.mean(aps)) if aps else float("nan"),
        "any_risk_average_precision": (
            float(average_precision_score(any_target, probability.max(axis=1))) if any_target.any() else float("nan")
        ),
        "clean_listings": int(clean.sum()),
        "clean_flagged_rate": float(flagged[clean].any(axis=1).mean()) if clean.any() else float("nan"),
    }


def evaluate_predictor(
    predictor: Predictor, listings: Sequence[Listing], extras: Sequence[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Metrics of a trained model on labelled listings; with ``extras``, also per slice (under ``slices``)."""
    labels = predictor.labels
    probability = predictor.predict_proba(listings)[:, : len(labels)]
    target = label_matrix(listings, labels)
    metrics = compute_metrics(target, probability, labels=labels, thresholds=predictor.thresholds)
    if extras is not None:
        metrics["slices"] = evaluate_slices(predictor, listings, extras, target=target, probability=probability)
    return metrics


def evaluate_scorers(predictor: Predictor, listings: Sequence[Listing]) -> dict[str, dict[str, Any]]:
    """Metrics of every scorer the artifact holds (linear, transformer, ensemble), each at its own thresholds."""
    results = {}
    for kind in predictor.available_scorers:
        scorer = predictor if kind == predictor.served else Predictor.load(predictor.model_dir, served=kind)
        results[kind] = evaluate_predictor(scorer, listings)
    return results


def slice_names(extras: dict[str, Any], listing: Listing) -> list[str]:
    """The evaluation slices a labelled example belongs to (platform, writing style, hard negative)."""
    names = [f"platform:{listing.platform or 'unknown'}"]
    style = extras.get("style")
    if style:
        names.append(f"style:{style}")
        names.append("text:undiacritised" if style == "no_diacritics" else "text:accented")
    if extras.get("hard_negative"):
        names.append("hard_negative")
    return names


def evaluate_slices(
    predictor: Predictor,
    listings: Sequence[Listing],
    extras: Sequence[dict[str, Any]],
    *,
    min_listings: int = 20,
    target: np.ndarray | None = None,
    probability: np.ndarray | None = None,
) -> dict[str, dict[str, Any]]:
    """Metrics per slice, so a regression on evasive text or on hard negatives is visible.

    Slices with positives report macro average precision; every slice reports how many of its clean
    listings were flagged. Slices smaller than ``min_listings`` are left out as too noisy.
    """
    labels = predictor.labels
    if probability is None:
        probability = predictor.predict_proba(listings)[:, : len(labels)]
    if target is None:
        target = label_matrix(listings, labels)
    members: dict[str, list[int]] = {}
    for row, (listing, extra) in enumerate(zip(listings, extras, strict=True)):
        for name in slice_names(extra, listing):
            members.setdefault(name, []).append(row)
    result = {}
    for name in sorted(members):
        rows = np.asarray(members[name])
        if len(rows) < min_listings:
            continue
        metrics = compute_metrics(target[rows], probability[rows], labels=labels, thresholds=predictor.thresholds)
        result[name] = {
            "listings": len(rows),
            "macro_average_precision": metrics["macro_average_precision"],
            "clean_listings": metrics["clean_listings"],
            "clean_flagged_rate": metrics["clean_flagged_rate"],
        }
    return result


def false_alarm_rate(predictor: Predictor, listings: Sequence[Listing], *, batch_size: int = 512) -> dict[str, Any]:
    """Share of presumed-lawful real listings given priority high (and the priority mix)."""
    priorities: Counter[str] = Counter()
    flagged: Counter[str] = Counter()
    for start in range(0, len(listings), batch_size):
        for score in predictor.score(listings[start : start + batch_size], with_reasons=False):
            priorities[score.priority] += 1
            flagged.update(score.flagged)
    total = max(len(listings), 1)
    return {
        "listings": len(listings),
        "high_priority_rate": priorities["high"] / total,
        "priority_counts": dict(priorities),
        "flagged_rate_by_label": {label: flagged[label] / total for label in predictor.labels},
    }

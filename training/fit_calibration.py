"""Fitting calibration (sigmoid / Platt scaling on held-out decisions) and per-label thresholds."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_recall_curve

from model.errors import DataError


def fit_sigmoid_calibration(
    decision: np.ndarray, target: np.ndarray, sample_weight: np.ndarray | None = None, *, name: str
) -> tuple[float, float]:
    """(slope, intercept) mapping held-out decision values of one output to probabilities."""
    target = np.asarray(target).astype(int)
    if target.min() == target.max():
        raise DataError(
            f"cannot calibrate {name!r}: expected both positive and negative examples in training data, "
            f"found only {'positives' if target.min() else 'negatives'}"
        )
    # Platt's smoothed targets keep the fit finite when the decisions separate the classes perfectly.
    positives, negatives = target.sum(), len(target) - target.sum()
    smoothed = np.where(target == 1, (positives + 1) / (positives + 2), 1 / (negatives + 2))
    features = np.concatenate([decision, decision]).reshape(-1, 1)
    labels = np.concatenate([np.ones_like(target), np.zeros_like(target)])
    base = np.ones(len(target)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    weights = np.concatenate([smoothed * base, (1 - smoothed) * base])
    model = LogisticRegression(C=1e6, max_iter=1000)
    model.fit(features, labels, sample_weight=weights)
    return float(model.coef_[0, 0]), float(model.intercept_[0])


def choose_threshold(probability: np.ndarray, target: np.ndarray, *, fallback: float = 0.5) -> float:
    """The probability cut that maximises F1 on validation data (the higher cut on ties)."""
    target = np.asarray(target).astype(int)
    if target.sum() == 0:
        return fallback
    precision, recall, cuts = precision_recall_curve(target, probability)
    f1 = 2 * precision[:-1] * recall[:-1] / np.maximum(precision[:-1] + recall[:-1], 1e-12)
    best = np.flatnonzero(f1 >= f1.max() - 1e-12)[-1]
    return float(cuts[best])

"""Fitting the ensemble on validation data, and choosing which scorer is served.

Weights: per label, the linear scorer's share ``w`` on a grid from 0 to 1 that maximises validation average
precision. Because the weights are fitted on validation data, the ensemble's own validation score is taken
from 2-fold cross-fitting (each half scored with weights fitted on the other half), so it competes with the
single scorers on held-out terms. The ensemble is served only if that score beats both single scorers.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from sklearn.metrics import average_precision_score

from model.ensemble import Ensemble, combine_logits
from training.fit_calibration import fit_sigmoid_calibration

WEIGHT_GRID = np.round(np.linspace(0.0, 1.0, 21), 2)


def _ap(target: np.ndarray, score: np.ndarray) -> float:
    return float(average_precision_score(target, score)) if target.any() else float("nan")


def fit_linear_weights(linear: np.ndarray, transformer: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Per-label linear share maximising average precision (ties: the weight closest to an even mix)."""
    weights = np.full(target.shape[1], 0.5)
    for column in range(target.shape[1]):
        if not target[:, column].any() or target[:, column].all():
            continue
        scores = [
            _ap(target[:, column], combine_logits(linear[:, [column]], transformer[:, [column]], np.array([w]))[:, 0])
            for w in WEIGHT_GRID
        ]
        best = max(scores)
        candidates = [w for w, s in zip(WEIGHT_GRID, scores, strict=True) if s >= best - 1e-12]
        weights[column] = min(candidates, key=lambda w: abs(w - 0.5))
    return weights


def cross_fitted_scores(linear: np.ndarray, transformer: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Ensemble logits of validation rows, each half combined with weights fitted on the other half."""
    rows = np.arange(len(target))
    halves = [rows % 2 == 0, rows % 2 == 1]
    out = np.zeros(target.shape, dtype=np.float64)
    for fit_rows, score_rows in (halves, halves[::-1]):
        weights = fit_linear_weights(linear[fit_rows], transformer[fit_rows], target[fit_rows])
        out[score_rows] = combine_logits(linear[score_rows], transformer[score_rows], weights)
    return out


def fit_ensemble(
    linear: np.ndarray, transformer: np.ndarray, target: np.ndarray, *, labels: tuple[str, ...]
) -> Ensemble:
    """Weights and per-label sigmoid scaling, both fitted on validation probabilities of the two scorers."""
    weights = fit_linear_weights(linear, transformer, target)
    z = combine_logits(linear, transformer, weights)
    calibration = [fit_sigmoid_calibration(z[:, i], target[:, i], name=label) for i, label in enumerate(labels)]
    return Ensemble(
        labels=labels,
        linear_weight=weights,
        calibration_slope=np.asarray([s for s, _ in calibration]),
        calibration_intercept=np.asarray([b for _, b in calibration]),
    )


def macro_ap(target: np.ndarray, score: np.ndarray) -> float:
    """Mean average precision over labels with positives."""
    values = [_ap(target[:, i], score[:, i]) for i in range(target.shape[1]) if target[:, i].any()]
    return float(np.mean(values)) if values else float("nan")


def choose_served(valid_ap: Mapping[str, float], *, min_gain: float = 0.0) -> str:
    """The scorer to serve: the best single scorer on validation macro AP, or the ensemble if it beats both.

    ``valid_ap`` maps ``linear`` (required), ``transformer`` and ``ensemble`` (optional) to validation macro
    average precision; a tie between single scorers goes to the linear one (cheaper, and it explains itself).
    """
    singles = {kind: valid_ap[kind] for kind in ("linear", "transformer") if kind in valid_ap}
    best = max(singles, key=lambda kind: (singles[kind], kind == "linear"))
    ensemble = valid_ap.get("ensemble")
    if ensemble is not None and len(singles) == 2 and ensemble > max(singles.values()) + min_gain:
        return "ensemble"
    return best

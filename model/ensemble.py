"""The ensemble of the linear scorer and the transformer: a per-label weighted sum of logits, then calibration.

For each label, ``z = w * logit(p_linear) + (1 - w) * logit(p_transformer)`` of the two calibrated
probabilities, then sigmoid scaling ``sigmoid(a * z + b)``. Weights and scaling are fitted on validation
data in ``training.fit_ensemble``; applying them needs only numpy.

A cascade keeps it fast: a listing whose calibrated linear probability is below ``transformer_gate`` for every
label (most lawful listings) is served the linear probabilities, and the transformer runs only on the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.artifact import ENSEMBLE_FILE, read_json, write_json
from model.calibration import apply_sigmoid_calibration

_EPS = 1e-6


def logit(probability: np.ndarray) -> np.ndarray:
    """log(p / (1 - p)), with p kept inside (0, 1) so it stays finite."""
    p = np.clip(np.asarray(probability, dtype=np.float64), _EPS, 1 - _EPS)
    return np.log(p) - np.log1p(-p)


def combine_logits(linear: np.ndarray, transformer: np.ndarray, linear_weight: np.ndarray) -> np.ndarray:
    """Per-label weighted sum of the two scorers' logits (columns = labels)."""
    w = np.asarray(linear_weight, dtype=np.float64)
    return w * logit(linear) + (1 - w) * logit(transformer)


@dataclass
class Ensemble:
    """Per-label linear weights and the sigmoid scaling of the combined logit."""

    labels: tuple[str, ...]
    linear_weight: np.ndarray
    calibration_slope: np.ndarray
    calibration_intercept: np.ndarray
    transformer_gate: float = 0.0  # 0: the transformer reads every listing

    def needs_transformer(self, linear: np.ndarray) -> np.ndarray:
        """Which rows (calibrated linear probabilities, columns = labels) the transformer must read."""
        return np.asarray(linear).max(axis=1, initial=0.0) >= self.transformer_gate

    def cascade(self, linear: np.ndarray, transformer: np.ndarray, needed: np.ndarray) -> np.ndarray:
        """Served probabilities: the ensemble's for the ``needed`` rows (``transformer`` holds only those rows),
        the linear ones for the others."""
        out = np.array(linear, dtype=np.float64, copy=True)
        if needed.any():
            out[needed] = self.predict_proba(out[needed], transformer)
        return out

    def predict_proba(self, linear: np.ndarray, transformer: np.ndarray) -> np.ndarray:
        """Calibrated probabilities from the two scorers' calibrated probabilities (columns = labels)."""
        z = combine_logits(linear, transformer, self.linear_weight)
        return apply_sigmoid_calibration(z, self.calibration_slope, self.calibration_intercept)

    def save(self, folder: Path) -> None:
        """Write ``ensemble.json``."""
        write_json(
            Path(folder) / ENSEMBLE_FILE,
            {
                "labels": list(self.labels),
                "combination": "z = w * logit(p_linear) + (1 - w) * logit(p_transformer); p = sigmoid(a * z + b)",
                "linear_weight": [float(v) for v in self.linear_weight],
                "transformer_gate": self.transformer_gate,
                "calibration": {
                    "slope": [float(v) for v in self.calibration_slope],
                    "intercept": [float(v) for v in self.calibration_intercept],
                },
            },
        )

    @classmethod
    def load(cls, folder: Path) -> Ensemble:
        """Read ``ensemble.json``."""
        raw = read_json(Path(folder) / ENSEMBLE_FILE)
        return cls(
            labels=tuple(raw["labels"]),
            linear_weight=np.asarray(raw["linear_weight"], dtype=np.float64),
            calibration_slope=np.asarray(raw["calibration"]["slope"], dtype=np.float64),
            calibration_intercept=np.asarray(raw["calibration"]["intercept"], dtype=np.float64),
            transformer_gate=float(raw["transformer_gate"]),
        )

"""Applying per-output calibration (Platt / sigmoid scaling); the fitting lives in ``training``."""

from __future__ import annotations

import numpy as np


def apply_sigmoid_calibration(decision: np.ndarray, slope: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    """Map raw decision values (rows = listings, columns = outputs) to calibrated probabilities."""
    logits = decision * slope + intercept
    # clip keeps exp() finite on absurd inputs; probabilities stay inside [0, 1] either way
    return 1.0 / (1.0 + np.exp(-np.clip(logits, -50.0, 50.0)))

"""Fitting the linear scorer: vectorizers, one logistic regression per output, held-out-fold calibration."""

from __future__ import annotations

import logging

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from model.errors import DataError
from model.linear import LinearScorer
from model.metadata_features import METADATA_FEATURE_NAMES, build_metadata_matrix
from model.text_vectorizers import TEXT_VIEWS, make_vectorizers
from training.config import TrainConfig
from training.dataset import Example, label_matrix
from training.fit_calibration import fit_sigmoid_calibration
from training.price_neighbours import fit_price_neighbours

log = logging.getLogger(__name__)


def _fit_outputs(
    features: sp.csr_matrix, targets: np.ndarray, sample_weight: np.ndarray, *, c: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """One L2 logistic regression per output column; returns (weights (n_features, n_outputs), bias)."""
    weights = np.zeros((features.shape[1], targets.shape[1]), dtype=np.float32)
    bias = np.zeros(targets.shape[1], dtype=np.float32)
    for column in range(targets.shape[1]):
        model = LogisticRegression(C=c, solver="liblinear", max_iter=2000, random_state=seed)
        model.fit(features, targets[:, column], sample_weight=sample_weight)
        weights[:, column] = model.coef_[0]
        bias[column] = model.intercept_[0]
    return weights, bias


def _held_out_decisions(
    features: sp.csr_matrix,
    targets: np.ndarray,
    sample_weight: np.ndarray,
    groups: list[str],
    *,
    folds: int,
    c: float,
    seed: int,
) -> np.ndarray:
    """Decision values of each training example from a model that did not see its seller."""
    decisions = np.zeros(targets.shape, dtype=np.float64)
    for fit_rows, held_rows in GroupKFold(n_splits=folds).split(features, groups=groups):
        weights, bias = _fit_outputs(features[fit_rows], targets[fit_rows], sample_weight[fit_rows], c=c, seed=seed)
        decisions[held_rows] = np.asarray(features[held_rows] @ weights) + bias
    return decisions


def _targets_with_any(examples: list[Example], labels: tuple[str, ...]) -> np.ndarray:
    matrix = label_matrix([example.listing for example in examples], labels)
    return np.hstack([matrix, matrix.max(axis=1, keepdims=True)])


def fit_linear_scorer(config: TrainConfig, train: list[Example], sample_weight: np.ndarray) -> LinearScorer:
    """Fit vectorizers, weights and held-out-fold sigmoid calibration on weighted training examples."""
    return fit_linear_scorer_with_held_out(config, train, sample_weight)[0]


def fit_linear_scorer_with_held_out(
    config: TrainConfig, train: list[Example], sample_weight: np.ndarray
) -> tuple[LinearScorer, np.ndarray]:
    """The fitted scorer and the held-out-fold decision values its calibration was fitted on.

    Each example's decisions come from a model that never saw its seller (columns = outputs): calibrated,
    they are the out-of-fold probabilities that label-issue checks need, at no extra cost.
    """
    listings = [example.listing for example in train]
    metadata = build_metadata_matrix(listings)
    scale = metadata.std(axis=0)
    scorer = LinearScorer(
        labels=config.labels,
        text_config=config.text,
        vectorizers=make_vectorizers(config.text),
        metadata_mean=metadata.mean(axis=0),
        metadata_scale=np.where(scale > 1e-6, scale, 1.0).astype(np.float32),
        weights=np.zeros((0, 0), dtype=np.float32),
        bias=np.zeros(0, dtype=np.float32),
        calibration_slope=np.ones(len(config.labels) + 1, dtype=np.float32),
        calibration_intercept=np.zeros(len(config.labels) + 1, dtype=np.float32),
    )
    views = scorer.build_views(listings)
    for name, vectorizer in scorer.vectorizers.items():
        vectorizer.fit([getattr(view, TEXT_VIEWS[name]) for view in views])
    targets = _targets_with_any(train, config.labels)
    scorer.price_reference = fit_price_neighbours(
        listings, views, risky=targets[:, -1].astype(bool), real_files=config.real_negative_files
    )
    features = scorer.transform(listings, views)
    for column, output in enumerate(scorer.outputs):
        if targets[:, column].min() == targets[:, column].max():
            raise DataError(f"output {output!r}: training split needs positive and negative examples")
    c, seed = config.regularization_c, config.seed
    scorer.weights, scorer.bias = _fit_outputs(features, targets, sample_weight, c=c, seed=seed)
    groups = [example.group for example in train]
    folds = min(config.calibration_folds, len(set(groups)))
    held_out = _held_out_decisions(features, targets, sample_weight, groups, folds=folds, c=c, seed=seed)
    calibration = [
        fit_sigmoid_calibration(held_out[:, column], targets[:, column], sample_weight, name=output)
        for column, output in enumerate(scorer.outputs)
    ]
    scorer.calibration_slope = np.asarray([s for s, _ in calibration], dtype=np.float32)
    scorer.calibration_intercept = np.asarray([i for _, i in calibration], dtype=np.float32)
    log.info("fitted linear scorer: %d features (%d metadata)", features.shape[1], len(METADATA_FEATURE_NAMES))
    return scorer, held_out

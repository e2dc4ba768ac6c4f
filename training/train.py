"""Training the linear scorer: fit, calibrate on held-out folds, choose thresholds, evaluate, save."""

from __future__ import annotations

import logging
import math
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from model.artifact import (
    ARTIFACT_FORMAT,
    CARD_FILE,
    CARD_MARKDOWN_FILE,
    hash_files,
    new_version_id,
    point_current,
    write_json,
)
from model.brands import brand_min_price
from model.errors import DataError
from model.features import METADATA_FEATURE_NAMES, TextViews, build_metadata_matrix, listing_brand, listing_price
from model.linear import TEXT_VIEWS, LinearScorer, make_vectorizers
from model.schema import Listing
from training.calibration import choose_threshold, fit_sigmoid_calibration
from training.config import TrainConfig
from training.dataset import (
    Example,
    Split,
    label_matrix,
    load_examples,
    load_real_negatives,
    sample_examples,
    split_by_seller,
)
from training.evaluate import compute_metrics
from training.report import render_model_card

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainResult:
    """Where the trained model went and how it scored."""

    model_dir: Path
    version: str
    card: dict[str, Any]


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


def fit_price_reference(
    listings: list[Listing], views: list[TextViews], *, risky: np.ndarray, min_listings: int = 3
) -> dict[str, float]:
    """Median log price per canonical brand over clean training listings seen at least ``min_listings`` times."""
    prices: dict[str, list[float]] = defaultdict(list)
    for listing, view, is_risky in zip(listings, views, risky, strict=True):
        brand, price = listing_brand(listing, view), listing_price(listing, view)
        # a price below any genuine item of the brand is a fake's price, even in a listing presumed clean
        floor = brand_min_price(brand) if brand else None
        if not is_risky and brand and price and price > 0 and (floor is None or price >= floor):
            prices[brand].append(math.log(price))
    return {brand: float(np.median(values)) for brand, values in sorted(prices.items()) if len(values) >= min_listings}


def fit_linear_scorer(config: TrainConfig, train: list[Example], sample_weight: np.ndarray) -> LinearScorer:
    """Fit vectorizers, weights and held-out-fold sigmoid calibration on weighted training examples."""
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
    scorer.price_reference = fit_price_reference(listings, views, risky=targets[:, -1].astype(bool))
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
    return scorer


def _probabilities(scorer: LinearScorer, listings: list[Listing]) -> np.ndarray:
    return scorer.predict_proba(scorer.transform(listings))[:, : len(scorer.labels)]


def _label_counts(examples: list[Example], labels: tuple[str, ...]) -> dict[str, int]:
    matrix = label_matrix([example.listing for example in examples], labels)
    counts = {label: int(matrix[:, i].sum()) for i, label in enumerate(labels)}
    counts["clean"] = int((matrix.sum(axis=1) == 0).sum())
    counts["total"] = len(examples)
    return counts


def load_split(config: TrainConfig) -> Split:
    """The config's labelled data, sampled and split by seller exactly as training does it."""
    examples = sample_examples(
        load_examples(config.resolve(config.data_path), labels=config.labels),
        max_listings=config.max_listings,
        seed=config.seed,
    )
    return split_by_seller(examples, valid_share=config.valid_share, test_share=config.test_share, seed=config.seed)


def train(config: TrainConfig, *, promote: bool = True) -> TrainResult:
    """Train, evaluate on validation and test splits, save the artifact, and (by default) make it current."""
    started = time.perf_counter()
    data_path = config.resolve(config.data_path)
    split = load_split(config)
    log.info("data %s: %d train, %d valid, %d test", data_path, len(split.train), len(split.valid), len(split.test))
    negatives, negative_paths, negative_note = load_real_negatives(
        config.real_negative_files, max_listings=config.real_negative_max, seed=config.seed
    )
    log.info("real negatives: %s", negative_note)
    weights = np.concatenate([np.ones(len(split.train)), np.full(len(negatives), config.real_negative_weight)]).astype(
        np.float64
    )
    scorer = fit_linear_scorer(config, split.train + negatives, weights)

    valid_listings = [e.listing for e in split.valid]
    test_listings = [e.listing for e in split.test]
    valid_probability = _probabilities(scorer, valid_listings)
    valid_target = label_matrix(valid_listings, config.labels)
    thresholds = {
        label: choose_threshold(valid_probability[:, i], valid_target[:, i]) for i, label in enumerate(config.labels)
    }
    metrics = {
        "valid": compute_metrics(valid_target, valid_probability, labels=config.labels, thresholds=thresholds),
        "test": compute_metrics(
            label_matrix(test_listings, config.labels),
            _probabilities(scorer, test_listings),
            labels=config.labels,
            thresholds=thresholds,
        ),
    }
    data_hash = hash_files([data_path, *negative_paths])
    version = new_version_id("linear", data_hash)
    models_dir = config.resolve(config.models_dir)
    model_dir = models_dir / version
    model_dir.mkdir(parents=True, exist_ok=False)
    scorer.save(model_dir)
    card = {
        "format": ARTIFACT_FORMAT,
        "version": version,
        "scorer": "linear",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "labels": list(config.labels),
        "thresholds": thresholds,
        "priority_cutoffs": {"high": config.priority_high, "medium": config.priority_medium},
        "config": config.as_dict(),
        "data": {
            "path": str(config.data_path),
            "sha256": data_hash,
            "split": "by seller (hash of seller id), valid/test shares "
            f"{config.valid_share}/{config.test_share}, seed {config.seed}",
            "real_negatives": {
                "files": [path.name for path in negative_paths],
                "listings": len(negatives),
                "weight": config.real_negative_weight,
                "note": negative_note,
            },
            "counts": {
                name: _label_counts(part, config.labels)
                for name, part in (("train", split.train), ("valid", split.valid), ("test", split.test))
            },
        },
        "metrics": metrics,
        "training_seconds": round(time.perf_counter() - started, 1),
    }
    write_json(model_dir / CARD_FILE, card)
    (model_dir / CARD_MARKDOWN_FILE).write_text(render_model_card(card), encoding="utf-8")
    if promote:
        point_current(models_dir, model_dir)
    return TrainResult(model_dir=model_dir, version=version, card=card)

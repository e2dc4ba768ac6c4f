"""The transformer stage of ``training.train``: fine-tune the transformer, calibrate what is served, fit the ensemble.

Runs after the linear scorer, on the same training split (a sample of it, ``transformer.max_train_listings``),
with early stopping and calibration on the validation split and the ensemble fitted on the selection data
(validation + blind holdout, ``training.selection``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from model.ensemble import Ensemble
from model.linear import LinearScorer
from model.schema import Listing
from model.text_views import TextViews, build_text_views
from model.transformer_scorer import TransformerScorer, write_transformer_config
from training.config import TrainConfig
from training.dataset import Example, example_weights, label_matrix, sample_examples
from training.fit_calibration import fit_sigmoid_calibration
from training.fit_ensemble import cross_fitted_scores, fit_ensemble

if TYPE_CHECKING:  # torch is imported only when a transformer is trained
    from training.transformer_train import TransformerTrainResult


@dataclass(frozen=True)
class ScoredSet:
    """Listings read once, with their targets and calibrated linear label probabilities: what scorers are judged on."""

    listings: list[Listing]
    views: list[TextViews]
    target: np.ndarray
    linear: np.ndarray

    def head(self, rows: int) -> ScoredSet:
        """The first ``rows`` listings (the validation split at the front of the selection data)."""
        return ScoredSet(self.listings[:rows], self.views[:rows], self.target[:rows], self.linear[:rows])


@dataclass(frozen=True)
class TransformerStageResult:
    """Label probabilities of ``transformer`` and ``ensemble`` on (selection, test), the card's part, and the
    ensemble's 2-fold cross-fitted probabilities on the selection data (what selection judges it by)."""

    probabilities: dict[str, tuple[np.ndarray, np.ndarray]]
    card: dict[str, Any]
    cross_fitted: np.ndarray


def transformer_training_data(
    config: TrainConfig, train: list[Example], negatives: list[Example]
) -> tuple[list[Listing], list[TextViews], np.ndarray]:
    """The (listings, views, sample weights) the transformer fine-tunes on: samples of the training split and of the
    real negatives, read as the transformer reads them (the normalised view only, no word segmentation)."""
    settings = config.transformer
    train_part = sample_examples(train, max_listings=settings.max_train_listings, seed=config.seed)
    negative_part = (
        sample_examples(negatives, max_listings=settings.real_negative_max, seed=config.seed)
        if settings.real_negative_max
        else []
    )
    listings = [example.listing for example in train_part + negative_part]
    weight = np.concatenate(
        [example_weights(train_part), np.full(len(negative_part), config.real_negative_weight)]
    ).astype(np.float32)
    views = [
        build_text_views(listing, max_description_chars=config.text.max_description_chars, max_segmented_chars=0)
        for listing in listings
    ]
    return listings, views, weight


def calibrate_served_transformer(
    result: TransformerTrainResult, model_dir: Path, valid: ScoredSet, *, labels: tuple[str, ...], quantized: bool
) -> TransformerScorer:
    """Fit each label's sigmoid scaling on the served (ONNX, int8 when quantised) model's validation logits, not
    PyTorch's; record it in the transformer's config and return the calibrated served scorer."""
    scorer = TransformerScorer.load(model_dir, quantized=quantized)
    logits = scorer.logits(valid.listings, valid.views).astype(np.float64)
    calibration = [
        fit_sigmoid_calibration(logits[:, i], valid.target[:, i], name=label) for i, label in enumerate(labels)
    ]
    scorer.calibration_slope = np.asarray([a for a, _ in calibration])
    scorer.calibration_intercept = np.asarray([b for _, b in calibration])
    saved = dict(result.saved)
    saved["calibration"] = {
        "method": "sigmoid scaling of the ONNX model's logits, fitted on the validation split",
        "slope": [float(a) for a, _ in calibration],
        "intercept": [float(b) for _, b in calibration],
    }
    write_transformer_config(result.folder, saved)
    return scorer


def served_cascade(ensemble: Ensemble, linear: np.ndarray, transformer: np.ndarray) -> np.ndarray:
    """The ensemble's probabilities as served: the transformer read only where the linear scorer is unsure."""
    needed = ensemble.needs_transformer(linear)
    return ensemble.cascade(linear, transformer[needed], needed)


def transformer_card(
    config: TrainConfig, result: TransformerTrainResult, served: TransformerScorer, ensemble: Ensemble
) -> dict[str, Any]:
    """The model card's ``transformer`` section."""
    saved = result.saved
    return {
        "backbone": config.transformer.backbone,
        "max_length": saved["input"]["max_length"],
        "best_epoch": result.best_epoch,
        "history": saved["history"],
        "train_listings": saved["train_listings"],
        "frozen_layers": saved["frozen_layers"],
        "stopped_by_time_budget": saved["stopped_by_time_budget"],
        "onnx_served": served.onnx_file,
        "training_seconds": saved["training_seconds"],
        "ensemble_linear_weight": dict(zip(config.labels, (float(w) for w in ensemble.linear_weight), strict=True)),
    }


def train_transformer_and_ensemble(
    config: TrainConfig,
    *,
    train: list[Example],
    negatives: list[Example],
    linear: LinearScorer,
    model_dir: Path,
    selection: ScoredSet,
    test: ScoredSet,
    valid_rows: int,
) -> TransformerStageResult:
    """Fine-tune the transformer (early stopping and calibration on the validation split, the first ``valid_rows``
    rows of ``selection``), fit the ensemble on ``selection``, and save both into ``model_dir``."""
    from training.transformer_train import train_transformer

    listings, views, weight = transformer_training_data(config, train, negatives)
    valid = selection.head(valid_rows)
    result = train_transformer(
        config.transformer,
        labels=config.labels,
        train=(listings, views, label_matrix(listings, config.labels).astype(np.float32), weight),
        valid=(valid.listings, valid.views, valid.target),
        price_reference=linear.price_reference,
        model_dir=model_dir,
        seed=config.seed,
    )
    served = calibrate_served_transformer(
        result, model_dir, valid, labels=config.labels, quantized=config.transformer.quantize
    )
    transformer_selection = served.predict_proba(selection.listings, selection.views)
    transformer_test = served.predict_proba(test.listings, test.views)
    ensemble = fit_ensemble(selection.linear, transformer_selection, selection.target, labels=config.labels)
    ensemble.transformer_gate = config.ensemble_transformer_gate
    ensemble.save(model_dir)
    probabilities = {
        "transformer": (transformer_selection, transformer_test),
        "ensemble": (
            served_cascade(ensemble, selection.linear, transformer_selection),
            served_cascade(ensemble, test.linear, transformer_test),
        ),
    }
    return TransformerStageResult(
        probabilities=probabilities,
        card=transformer_card(config, result, served, ensemble),
        cross_fitted=cross_fitted_scores(selection.linear, transformer_selection, selection.target),
    )

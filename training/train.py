"""Training the linear scorer: fit, calibrate on held-out folds, choose thresholds, evaluate, save."""

from __future__ import annotations

import logging
import os
import shutil
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from model.artifact import (
    ARTIFACT_FORMAT,
    CARD_FILE,
    CARD_MARKDOWN_FILE,
    hash_files,
    new_version_id,
    point_current,
    write_json,
)
from model.features import (
    TextViews,
    build_text_views,
)
from model.linear import LinearScorer
from model.market.catalogue import catalogue_fingerprint
from model.schema import Listing
from model.transformer_scorer import TransformerScorer, write_transformer_config
from training.augment import build_real_edits
from training.config import TrainConfig
from training.dataset import (
    Example,
    Split,
    example_weights,
    label_matrix,
    load_examples,
    load_real_negatives,
    sample_examples,
)
from training.fit_calibration import fit_sigmoid_calibration
from training.fit_ensemble import cross_fitted_scores, fit_ensemble
from training.fit_linear import fit_linear_scorer
from training.price_sanity import drop_implausible_clean
from training.report import render_model_card
from training.selection import load_selection_data, score_scorers, select, selection_record
from training.split import split_examples

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainResult:
    """Where the trained model went and how it scored."""

    model_dir: Path
    version: str
    card: dict[str, Any]


def _label_counts(examples: list[Example], labels: tuple[str, ...]) -> dict[str, int]:
    matrix = label_matrix([example.listing for example in examples], labels)
    counts = {label: int(matrix[:, i].sum()) for i, label in enumerate(labels)}
    counts["clean"] = int((matrix.sum(axis=1) == 0).sum())
    counts["total"] = len(examples)
    return counts


def load_split(config: TrainConfig) -> Split:
    """The config's labelled data, sampled and split (by phrase pool or by seller) exactly as training does it."""
    loaded, dropped = drop_implausible_clean(
        load_examples(config.resolve(config.data_path), labels=config.labels),
        max_description_chars=config.text.max_description_chars,
    )
    examples = sample_examples(loaded, max_listings=config.max_listings, seed=config.seed)
    split = split_examples(
        examples, mode=config.split, valid_share=config.valid_share, test_share=config.test_share, seed=config.seed
    )
    if dropped:
        note = f"; {sum(dropped.values())} generated clean listings priced below 30% of their catalogue product dropped"
        split = replace(split, description=split.description + note)
    return split


def _train_transformer_scorers(
    config: TrainConfig,
    *,
    split: Split,
    negatives: list[Example],
    linear: LinearScorer,
    model_dir: Path,
    valid: tuple[list[Listing], list[TextViews], np.ndarray, np.ndarray],
    test: tuple[list[Listing], list[TextViews], np.ndarray],
    valid_rows: int,
) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], dict[str, Any], np.ndarray]:
    """Fine-tune the transformer (early stopping and calibration on the validation split), fit the ensemble.

    ``valid`` is the selection data (``training.selection``), its first ``valid_rows`` rows the validation split.
    Returns (selection data, test) label probabilities of ``transformer`` and ``ensemble``, the settings for the
    model card, and the ensemble's 2-fold cross-fitted logits on the selection data (what selection judges).
    """
    from training.transformer_train import train_transformer

    settings = config.transformer
    train_part = sample_examples(split.train, max_listings=settings.max_train_listings, seed=config.seed)
    negative_part = (
        sample_examples(negatives, max_listings=settings.real_negative_max, seed=config.seed)
        if settings.real_negative_max
        else []
    )
    examples = train_part + negative_part
    listings = [example.listing for example in examples]
    weight = np.concatenate(
        [example_weights(train_part), np.full(len(negative_part), config.real_negative_weight)]
    ).astype(np.float32)
    # the transformer reads the normalised view only: no word segmentation needed (unless it segments itself)
    views = [
        build_text_views(listing, max_description_chars=config.text.max_description_chars, max_segmented_chars=0)
        for listing in listings
    ]
    valid_listings, valid_views, valid_target, linear_valid = valid
    test_listings, test_views, linear_test = test
    n = valid_rows
    result = train_transformer(
        settings,
        labels=config.labels,
        train=(listings, views, label_matrix(listings, config.labels).astype(np.float32), weight),
        valid=(valid_listings[:n], valid_views[:n], valid_target[:n]),
        price_reference=linear.price_reference,
        model_dir=model_dir,
        seed=config.seed,
    )
    # calibrate what is served: the int8 ONNX model's logits, not PyTorch's
    onnx_scorer = TransformerScorer.load(model_dir, quantized=settings.quantize)
    valid_logits = onnx_scorer.logits(valid_listings[:n], valid_views[:n]).astype(np.float64)
    calibration = [
        fit_sigmoid_calibration(valid_logits[:, i], valid_target[:n, i], name=label)
        for i, label in enumerate(config.labels)
    ]
    onnx_scorer.calibration_slope = np.asarray([a for a, _ in calibration])
    onnx_scorer.calibration_intercept = np.asarray([b for _, b in calibration])
    saved = dict(result.saved)
    saved["calibration"] = {
        "method": "sigmoid scaling of the ONNX model's logits, fitted on the validation split",
        "slope": [float(a) for a, _ in calibration],
        "intercept": [float(b) for _, b in calibration],
    }
    write_transformer_config(result.folder, saved)
    transformer_valid = onnx_scorer.predict_proba(valid_listings, valid_views)
    transformer_test = onnx_scorer.predict_proba(test_listings, test_views)
    ensemble = fit_ensemble(linear_valid, transformer_valid, valid_target, labels=config.labels)
    ensemble.transformer_gate = config.ensemble_transformer_gate
    ensemble.save(model_dir)
    cross_fitted = cross_fitted_scores(linear_valid, transformer_valid, valid_target)
    probabilities = {
        "transformer": (transformer_valid, transformer_test),
        "ensemble": (  # as served: the cascade, the transformer read where the linear scorer is unsure
            ensemble.cascade(
                linear_valid,
                transformer_valid[ensemble.needs_transformer(linear_valid)],
                ensemble.needs_transformer(linear_valid),
            ),
            ensemble.cascade(
                linear_test,
                transformer_test[ensemble.needs_transformer(linear_test)],
                ensemble.needs_transformer(linear_test),
            ),
        ),
    }
    card_part = {
        "backbone": settings.backbone,
        "max_length": saved["input"]["max_length"],
        "best_epoch": result.best_epoch,
        "history": saved["history"],
        "train_listings": saved["train_listings"],
        "frozen_layers": saved["frozen_layers"],
        "stopped_by_time_budget": saved["stopped_by_time_budget"],
        "onnx_served": onnx_scorer.onnx_file,
        "training_seconds": saved["training_seconds"],
        "ensemble_linear_weight": dict(zip(config.labels, (float(w) for w in ensemble.linear_weight), strict=True)),
    }
    return probabilities, card_part, cross_fitted


def train(
    config: TrainConfig,
    *,
    promote: bool = True,
    split: Split | None = None,
    data_files: list[Path] | None = None,
) -> TrainResult:
    """Train, evaluate on validation and test splits, save the artifact, and (by default) make it current.

    Trains the linear scorer and, when the config enables it, the transformer and their ensemble; the
    served scorer is chosen on the validation split plus the blind holdout (``training.selection``).
    ``split`` and ``data_files`` let a benchmark bring its own fixed splits (``training.vispam``).
    """
    started = time.perf_counter()
    data_path = config.resolve(config.data_path)
    split = split if split is not None else load_split(config)
    log.info("data %s: %d train, %d valid, %d test", data_path, len(split.train), len(split.valid), len(split.test))
    negatives, negative_paths, negative_note = load_real_negatives(
        config.real_negative_files, max_listings=config.real_negative_max, seed=config.seed
    )
    log.info("real negatives: %s", negative_note)
    # counterfeit edits of lawful real titles: training split only, each carrying its weight
    edits, edit_paths, edit_record = build_real_edits(config)
    log.info("real edits: %s", edit_record["note"])
    # reviewed listings weigh what their reviewer's measured reliability says (the export's weight); the rest 1
    weights = np.concatenate(
        [example_weights(split.train + edits), np.full(len(negatives), config.real_negative_weight)]
    )
    scorer = fit_linear_scorer(config, split.train + edits + negatives, weights)

    labels = config.labels
    # the served scorer, thresholds and ensemble weights are chosen on validation + blind holdout
    selection = load_selection_data(config, [e.listing for e in split.valid])
    log.info("selection data: %s", {name: len(rows) for name, rows in selection.parts.items()})
    valid_listings, valid_target = selection.listings, selection.target
    test_listings = [e.listing for e in split.test]
    # each set is read once and every scorer shares the reading
    valid_views, test_views = scorer.build_views(valid_listings), scorer.build_views(test_listings)
    test_target = label_matrix(test_listings, labels)
    linear_valid = scorer.predict_proba(scorer.transform(valid_listings, valid_views))[:, : len(labels)]
    linear_test = scorer.predict_proba(scorer.transform(test_listings, test_views))[:, : len(labels)]
    probabilities = {"linear": (linear_valid, linear_test)}

    data_hash = hash_files([*(data_files or [data_path]), *dict.fromkeys([*negative_paths, *edit_paths])])
    models_dir = config.resolve(config.models_dir)
    models_dir.mkdir(parents=True, exist_ok=True)
    # trained under a temporary name: the version id names the served scorer, known only after selection
    work_dir = models_dir / f".training-{os.getpid()}-{int(time.time())}"
    work_dir.mkdir(parents=True, exist_ok=False)
    transformer_card: dict[str, Any] | None = None
    cross_fitted: dict[str, np.ndarray] = {}
    try:
        scorer.save(work_dir)
        if config.transformer.enabled:
            more, transformer_card, cross_fitted["ensemble"] = _train_transformer_scorers(
                config,
                split=replace(split, train=split.train + edits),
                negatives=negatives,
                linear=scorer,
                model_dir=work_dir,
                valid=(valid_listings, valid_views, valid_target, linear_valid),
                test=(test_listings, test_views, linear_test),
                valid_rows=selection.valid_rows,
            )
            probabilities.update(more)
    except BaseException:
        shutil.rmtree(work_dir, ignore_errors=True)  # no half-written artifact is left behind
        raise

    scorers, scores = score_scorers(
        probabilities, selection=selection, test_target=test_target, labels=labels, cross_fitted=cross_fitted
    )
    served = select(scores, min_gain=config.ensemble_min_gain)
    log.info("selection scores %s: serving %s", {kind: score["mean"] for kind, score in scores.items()}, served)

    version = new_version_id(served, data_hash)
    model_dir = models_dir / version
    os.replace(work_dir, model_dir)
    card = {
        "format": ARTIFACT_FORMAT,
        "version": version,
        "scorer": served,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "labels": list(labels),
        "thresholds": scorers[served]["thresholds"],
        "priority_cutoffs": {"high": config.priority_high, "medium": config.priority_medium},
        "config": config.as_dict(),
        "data": {
            "path": str(config.data_path),
            "sha256": data_hash,
            "split": split.description,
            "split_mode": split.mode,
            "real_negatives": {
                "files": [path.name for path in negative_paths],
                "listings": len(negatives),
                "weight": config.real_negative_weight,
                "note": negative_note,
            },
            "real_edits": edit_record,
            "catalogue": catalogue_fingerprint(),
            "counts": {
                name: _label_counts(part, labels)
                for name, part in (("train", split.train), ("valid", split.valid), ("test", split.test))
            },
        },
        "metrics": scorers[served]["metrics"],
        "scorers": scorers,
        "selection": selection_record(scores, served=served, selection=selection, min_gain=config.ensemble_min_gain),
        "training_seconds": round(time.perf_counter() - started, 1),
    }
    if transformer_card is not None:
        card["transformer"] = transformer_card
    write_json(model_dir / CARD_FILE, card)
    (model_dir / CARD_MARKDOWN_FILE).write_text(render_model_card(card), encoding="utf-8")
    if promote:
        point_current(models_dir, model_dir)
    return TrainResult(model_dir=model_dir, version=version, card=card)

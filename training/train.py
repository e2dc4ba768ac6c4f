"""Training: the linear scorer, then (when the config enables it) the transformer and their ensemble; the served
scorer chosen on the selection data; the artifact folder and its model card written.

``train`` reads the data (``load_training_data``), fits the linear scorer (``training.fit_linear``), reads the
selection and test sets once (``score_sets``), trains the costlier scorers into a temporary folder
(``training.transformer_stage``), selects (``training.selection``), and writes the model card (``build_card``).
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from model.artifact import (
    ARTIFACT_FORMAT,
    CARD_MARKDOWN_FILE,
    CARD_VERSION,
    CutoffsRecord,
    DataRecord,
    ModelCard,
    SharedDataRecord,
    hash_files,
    new_version_id,
    point_current,
    write_card,
)
from model.linear import LinearScorer
from model.market.catalogue import catalogue_fingerprint
from model.schema import Listing
from training.augment import build_real_edits
from training.config import TrainConfig
from training.dataset import (
    Example,
    Split,
    example_weights,
    find_shared_dir,
    label_matrix,
    load_real_negatives,
)
from training.fit_linear import fit_linear_scorer
from training.report import render_model_card
from training.selection import SelectionData, load_selection_data, score_scorers, select, selection_record
from training.split import load_split
from training.transformer_stage import ScoredSet, TransformerStageResult, train_transformer_and_ensemble

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainResult:
    """Where the trained model went and how it scored."""

    model_dir: Path
    version: str
    card: ModelCard


def _label_counts(examples: list[Example], labels: tuple[str, ...]) -> dict[str, int]:
    matrix = label_matrix([example.listing for example in examples], labels)
    counts = {label: int(matrix[:, i].sum()) for i, label in enumerate(labels)}
    counts["clean"] = int((matrix.sum(axis=1) == 0).sum())
    counts["total"] = len(examples)
    return counts


@dataclass(frozen=True)
class TrainingData:
    """What one run trains on: the labelled split, and the real negatives and real-title edits from ../shared."""

    split: Split
    negatives: list[Example]
    negative_paths: list[Path]
    negative_note: str
    edits: list[Example]
    edit_paths: list[Path]
    edit_record: dict[str, Any]
    shared: SharedDataRecord  # the model card's record of whether ../shared joined training

    @property
    def train(self) -> list[Example]:
        """The labelled training examples: the training split and the real-title edits (never the negatives)."""
        return self.split.train + self.edits


def announce_shared_data(negatives: list[Example], negative_note: str, edit_record: dict[str, Any]) -> SharedDataRecord:
    """Say loudly, at the start of training, whether ../shared data joins it; the record for the model card."""
    shared = find_shared_dir()
    joins = bool(negatives) or bool(edit_record["listings"])
    line = (
        f"SHARED DATA: ../shared ({shared if shared else 'absent'}) "
        f"{'JOINS' if joins else 'does NOT join'} training: real negatives: {negative_note}; "
        f"real-title edits: {edit_record['note']}"
    )
    log.warning(line)  # a warning so it is seen whatever the log level, joined or not
    return SharedDataRecord(dir=str(shared) if shared else None, joins_training=joins, note=line)


def load_training_data(config: TrainConfig, split: Split | None = None) -> TrainingData:
    """The config's split (or the given one), its real negatives and real-title edits, announced."""
    split = split if split is not None else load_split(config)
    log.info(
        "data %s: %d train, %d valid, %d test",
        config.resolve(config.data_path),
        len(split.train),
        len(split.valid),
        len(split.test),
    )
    negatives, negative_paths, negative_note = load_real_negatives(
        config.real_negative_files, max_listings=config.real_negative_max, seed=config.seed
    )
    # counterfeit edits of lawful real titles: training split only, each carrying its weight
    edits, edit_paths, edit_record = build_real_edits(config)
    shared = announce_shared_data(negatives, negative_note, edit_record)
    return TrainingData(split, negatives, negative_paths, negative_note, edits, edit_paths, edit_record, shared)


def fit_linear(config: TrainConfig, data: TrainingData) -> LinearScorer:
    """The linear scorer on the training split, the edits and the real negatives, each with its weight.

    Reviewed listings weigh what their reviewer's measured reliability says (the export's weight), the rest 1.
    """
    weights = np.concatenate([example_weights(data.train), np.full(len(data.negatives), config.real_negative_weight)])
    return fit_linear_scorer(config, data.train + data.negatives, weights)


def score_sets(
    scorer: LinearScorer, selection: SelectionData, test: list[Listing], labels: tuple[str, ...]
) -> tuple[ScoredSet, ScoredSet]:
    """(selection, test) read once, each with the linear scorer's label probabilities: every scorer shares them."""
    sets = []
    for listings, target in ((selection.listings, selection.target), (test, label_matrix(test, labels))):
        views = scorer.build_views(listings)
        linear = scorer.predict_proba(scorer.transform(listings, views))[:, : len(labels)]
        sets.append(ScoredSet(list(listings), views, target, linear))
    return sets[0], sets[1]


def train_costlier_scorers(
    config: TrainConfig,
    data: TrainingData,
    scorer: LinearScorer,
    sets: tuple[ScoredSet, ScoredSet],
    *,
    work_dir: Path,
    valid_rows: int,
) -> TransformerStageResult | None:
    """Save the linear scorer into ``work_dir`` and, when enabled, train the transformer and ensemble beside it;
    on any failure ``work_dir`` is removed, so no half-written artifact is left behind."""
    try:
        scorer.save(work_dir)
        if not config.transformer.enabled:
            return None
        return train_transformer_and_ensemble(
            config,
            train=data.train,
            negatives=data.negatives,
            linear=scorer,
            model_dir=work_dir,
            selection=sets[0],
            test=sets[1],
            valid_rows=valid_rows,
        )
    except BaseException:
        shutil.rmtree(work_dir, ignore_errors=True)
        raise


def data_record(config: TrainConfig, data: TrainingData, data_hash: str) -> DataRecord:
    """The model card's ``data`` section: what was trained on, from where, and whether ../shared joined."""
    split, labels = data.split, config.labels
    return DataRecord(
        path=str(config.data_path),
        sha256=data_hash,
        split=split.description,
        split_mode=split.mode,
        shared=data.shared,
        real_negatives={
            "files": [path.name for path in data.negative_paths],
            "listings": len(data.negatives),
            "weight": config.real_negative_weight,
            "note": data.negative_note,
        },
        real_edits=data.edit_record,
        catalogue=catalogue_fingerprint(),
        counts={
            name: _label_counts(part, labels)
            for name, part in (("train", split.train), ("valid", split.valid), ("test", split.test))
        },
    )


def build_card(
    config: TrainConfig,
    *,
    version: str,
    served: str,
    data: DataRecord,
    scorers: dict[str, Any],
    selection: dict[str, Any],
    transformer: dict[str, Any] | None,
    training_seconds: float,
) -> ModelCard:
    """The model card: config, data, thresholds and metrics of every scorer, and which one is served."""
    return ModelCard(
        format=ARTIFACT_FORMAT,
        card_version=CARD_VERSION,
        version=version,
        scorer=served,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        labels=list(config.labels),
        thresholds=scorers[served]["thresholds"],
        priority_cutoffs=CutoffsRecord(high=config.priority_high, medium=config.priority_medium),
        config=config.as_dict(),
        data=data,
        metrics=scorers[served]["metrics"],
        scorers=scorers,
        selection=selection,
        training_seconds=training_seconds,
        transformer=transformer,
    )


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
    data = load_training_data(config, split)
    scorer = fit_linear(config, data)
    # the served scorer, thresholds and ensemble weights are chosen on validation + blind holdout
    selection = load_selection_data(config, [e.listing for e in data.split.valid])
    log.info("selection data: %s", {name: len(rows) for name, rows in selection.parts.items()})
    sets = score_sets(scorer, selection, [e.listing for e in data.split.test], config.labels)
    data_hash = hash_files(
        [*(data_files or [config.resolve(config.data_path)]), *dict.fromkeys([*data.negative_paths, *data.edit_paths])]
    )
    models_dir = config.resolve(config.models_dir)
    models_dir.mkdir(parents=True, exist_ok=True)
    # trained under a temporary name: the version id names the served scorer, known only after selection
    work_dir = models_dir / f".training-{os.getpid()}-{int(time.time())}"
    work_dir.mkdir(parents=True, exist_ok=False)
    costlier = train_costlier_scorers(config, data, scorer, sets, work_dir=work_dir, valid_rows=selection.valid_rows)
    probabilities = {"linear": (sets[0].linear, sets[1].linear), **(costlier.probabilities if costlier else {})}
    scorers, scores = score_scorers(
        probabilities,
        selection=selection,
        test_target=sets[1].target,
        labels=config.labels,
        cross_fitted={"ensemble": costlier.cross_fitted} if costlier else {},
    )
    served = select(scores, min_gain=config.ensemble_min_gain)
    log.info("selection scores %s: serving %s", {kind: score["mean"] for kind, score in scores.items()}, served)
    version = new_version_id(served, data_hash)
    model_dir = models_dir / version
    os.replace(work_dir, model_dir)
    card = build_card(
        config,
        version=version,
        served=served,
        data=data_record(config, data, data_hash),
        scorers=scorers,
        selection=selection_record(scores, served=served, selection=selection, min_gain=config.ensemble_min_gain),
        transformer=costlier.card if costlier else None,
        training_seconds=round(time.perf_counter() - started, 1),
    )
    write_card(model_dir, card)
    (model_dir / CARD_MARKDOWN_FILE).write_text(render_model_card(card), encoding="utf-8")
    if promote:
        point_current(models_dir, model_dir)
    return TrainResult(model_dir=model_dir, version=version, card=card)

"""Model selection on data that measures generalisation: the validation split plus the blind holdout.

The rule (``select``): each scorer's *selection score* is its macro average precision averaged over the
selection parts, each weighing the same: the validation split (by phrase pool when the data carries the seed
generator's ``split`` field, see ``training.split``) and each file of ``selection_holdout_files`` (the blind
holdout). The ensemble's score comes from
2-fold cross-fitted logits (each half scored with weights fitted on the other half), since its weights are
fitted on the same data. The served scorer is the cheapest (linear, then transformer, then ensemble) unless a
costlier one beats the current choice by more than ``ensemble_min_gain`` (0 by default: any gain, ties to the
cheaper). Thresholds (F1-maximising) and the ensemble's weights and calibration are fitted on all selection
data. The blind counterfeit set and the independent set never take part (``training.config.NEVER_SELECTED_ON``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from model.schema import Listing
from training.config import TrainConfig
from training.dataset import label_matrix, load_examples
from training.evaluate import compute_metrics
from training.fit_calibration import choose_threshold
from training.fit_ensemble import choose_served, macro_ap

VALID_PART = "valid"
# cheapest first: the order in which a costlier scorer must beat the current choice to be served
COST_ORDER = ("linear", "transformer", "ensemble")


@dataclass(frozen=True)
class SelectionData:
    """The listings the served scorer, thresholds and ensemble weights are chosen on, validation rows first."""

    listings: list[Listing]
    target: np.ndarray
    parts: dict[str, np.ndarray]  # part name ("valid", "holdout") -> row indices into listings
    notes: list[str] = field(default_factory=list)

    @property
    def valid_rows(self) -> int:
        """How many leading rows are the validation split."""
        return len(self.parts[VALID_PART])


def load_selection_data(config: TrainConfig, valid: list[Listing]) -> SelectionData:
    """The validation listings followed by each selection holdout file's (a missing file is noted, not fatal)."""
    listings = list(valid)
    parts = {VALID_PART: np.arange(len(valid))}
    notes = []
    for file in config.selection_holdout_files:
        path = config.resolve(file)
        if not path.is_file():
            notes.append(f"{file} not found: selection on the other parts")
            continue
        start = len(listings)
        listings += [example.listing for example in load_examples(path, labels=config.labels)]
        name = path.parent.name if path.stem == "listings" else path.stem
        parts[name] = np.arange(start, len(listings))
        notes.append(f"{file}: {len(listings) - start} listings")
    return SelectionData(listings=listings, target=label_matrix(listings, config.labels), parts=parts, notes=notes)


def selection_score(target: np.ndarray, score: np.ndarray, parts: dict[str, np.ndarray]) -> dict[str, float]:
    """Macro AP of each part and their mean (``mean``; parts without positives are left out of it)."""
    per_part = {name: macro_ap(target[rows], score[rows]) for name, rows in parts.items() if len(rows)}
    measured = [value for value in per_part.values() if not math.isnan(value)]
    per_part["mean"] = float(np.mean(measured)) if measured else float("nan")
    return per_part


def _thresholds(probability: np.ndarray, target: np.ndarray, labels: tuple[str, ...]) -> dict[str, float]:
    return {label: choose_threshold(probability[:, i], target[:, i]) for i, label in enumerate(labels)}


def score_scorers(
    probabilities: dict[str, tuple[np.ndarray, np.ndarray]],
    *,
    selection: SelectionData,
    test_target: np.ndarray,
    labels: tuple[str, ...],
    cross_fitted: dict[str, np.ndarray] | None = None,
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, float]]]:
    """Each scorer's thresholds and metrics per part (valid, each holdout, test), and its selection scores.

    ``probabilities`` maps a scorer to (selection-data probabilities, test probabilities); ``cross_fitted`` gives
    the scores a scorer fitted on the selection data is judged by instead (the ensemble's cross-fitted logits).
    """
    scorers: dict[str, dict[str, Any]] = {}
    scores: dict[str, dict[str, float]] = {}
    for kind, (chosen_on, test_probability) in probabilities.items():
        thresholds = _thresholds(chosen_on, selection.target, labels)
        metrics = {
            name: compute_metrics(selection.target[rows], chosen_on[rows], labels=labels, thresholds=thresholds)
            for name, rows in selection.parts.items()
        }
        metrics["test"] = compute_metrics(test_target, test_probability, labels=labels, thresholds=thresholds)
        scorers[kind] = {"thresholds": thresholds, "metrics": metrics}
        judged = (cross_fitted or {}).get(kind, chosen_on)
        scores[kind] = selection_score(selection.target, judged, selection.parts)
    return scorers, scores


def select(scores: dict[str, dict[str, float]], *, min_gain: float) -> str:
    """The served scorer: the cheapest unless a costlier one's mean selection score beats it by > ``min_gain``."""
    return choose_served({kind: scores[kind]["mean"] for kind in COST_ORDER if kind in scores}, min_gain=min_gain)


def selection_record(
    scores: dict[str, dict[str, float]], *, served: str, selection: SelectionData, min_gain: float
) -> dict[str, Any]:
    """The model card's ``selection`` section: the rule in words, the data, each scorer's scores."""
    return {
        "rule": (
            "macro average precision averaged over the selection parts ("
            + ", ".join(selection.parts)
            + "); the ensemble's from 2-fold cross-fitted logits; the cheapest scorer (linear < transformer < "
            f"ensemble) unless a costlier one beats it by more than {min_gain}; thresholds chosen for F1 on all "
            "selection data"
        ),
        "parts": {name: len(rows) for name, rows in selection.parts.items()},
        "notes": selection.notes,
        "scores": scores,
        # kept under its old name: the mean selection score per scorer (older cards: validation macro AP)
        "valid_macro_average_precision": {kind: part["mean"] for kind, part in scores.items()},
        "served": served,
    }

"""How the served model generalises, in ``make eval``: the seed test on both splits, the blind sets, the 3% mix,
and the issue's targets.

- **Seed test on both splits**: the same served model on the test set of the phrase-pool split (no pool string of
  a test listing is used in training) and on the old seller-hash split, with how many listings of each the model
  trained on. The seller split's test shares phrases with training (one seller's listings are drawn from the
  same pools as everyone's), so it measures memory more than generalisation.
- **Blind sets** (``data/holdout``, ``data/independent``, ``data/blind_counterfeit`` when present): macro AP,
  per-label AP, counterfeit AP and counterfeit recall at 90% precision.
- **3% prevalence**: a set's counterfeit listings mixed into real presumed-lawful listings (``shopee_beauty`` +
  ``tiki_12cat``, benchmark use only) so that they are ~3% of the mix, counterfeit AP on the mix. The real
  listings are a deterministic sample (ordered by a hash of their id), the same for every set and run.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score

from model.predictor import Predictor
from model.schema import Listing
from training.config import TrainConfig
from training.dataset import _unit_hash, label_matrix, load_examples, sample_examples
from training.evaluate import compute_metrics, evaluate_predictor
from training.split import has_pool_split, split_examples

COUNTERFEIT = "counterfeit"
BLIND_SETS = {
    "holdout": "data/holdout/listings.jsonl",
    "independent": "data/independent/listings.jsonl",
    "blind_counterfeit": "data/blind_counterfeit/listings.jsonl",
}
MIX_PREVALENCE = 0.03
MIX_SEED = 11
MIX_SKIPPED = "skipped: ../shared absent"
# (key, what, comparison, target): the targets that `make eval` can measure here
TARGETS = (
    ("blind_counterfeit_ap", "blind counterfeit set: counterfeit AP", ">=", 0.90),
    ("blind_counterfeit_r90", "blind counterfeit set: counterfeit recall @ 90% precision", ">=", 0.70),
    ("holdout_macro_ap", "blind holdout: macro AP (not worse than 0.935; used for selection)", ">=", 0.935),
    ("real_high_rate", "real listings: priority high", "<=", 0.005),
    ("real_counterfeit_rate", "real listings: counterfeit flag", "<=", 0.01),
    ("blind_counterfeit_mix_ap", "blind counterfeit set at 3% prevalence: counterfeit AP (guide)", ">=", 0.80),
)


def _key(listing: Listing) -> str:
    return listing.id or listing.title


def compare_splits(predictor: Predictor, config: TrainConfig) -> dict[str, Any]:
    """The served model on the pool split's and the seller split's seed test sets, with trained-on counts."""
    examples = sample_examples(
        load_examples(config.resolve(config.data_path), labels=config.labels),
        max_listings=config.max_listings,
        seed=config.seed,
    )
    shares = {"valid_share": config.valid_share, "test_share": config.test_share, "seed": config.seed}
    model_mode = predictor.card["data"]["split_mode"]
    trained = {_key(e.listing) for e in split_examples(examples, mode=model_mode, **shares).train}
    result: dict[str, Any] = {"model_split": model_mode}
    for mode in ("pool", "seller"):
        if mode == "pool" and not has_pool_split(examples):
            result[mode] = {"note": "skipped: the data carries no split field"}
            continue
        test = split_examples(examples, mode=mode, **shares).test
        metrics = evaluate_predictor(predictor, [e.listing for e in test])
        metrics["trained_on_listings"] = sum(_key(e.listing) in trained for e in test)
        result[mode] = metrics
    return result


def real_sample_order(real: Sequence[Listing]) -> list[Listing]:
    """Real listings in a fixed pseudo-random order: the mix takes a prefix, so every set gets the same sample."""
    return [real[i] for i in sorted(range(len(real)), key=lambda i: (_unit_hash(_key(real[i]), MIX_SEED), i))]


def mixed_counterfeit_ap(positive_scores: np.ndarray, real_scores: np.ndarray, *, prevalence: float) -> dict[str, Any]:
    """Counterfeit AP of positives mixed into the first real listings so that positives are ``prevalence``."""
    positives = len(positive_scores)
    if positives == 0:
        return {"note": "no counterfeit listings in the set"}
    wanted = round(positives * (1 - prevalence) / prevalence)
    negatives = min(wanted, len(real_scores))
    target = np.concatenate([np.ones(positives), np.zeros(negatives)])
    scores = np.concatenate([positive_scores, real_scores[:negatives]])
    return {
        "average_precision": float(average_precision_score(target, scores)),
        "positives": positives,
        "real_listings": negatives,
        "prevalence": positives / (positives + negatives),
    }


def evaluate_blind_set(
    predictor: Predictor, listings: Sequence[Listing], real_scores: np.ndarray | None
) -> dict[str, Any]:
    """Macro and per-label AP, counterfeit AP and R@90P, and counterfeit AP at 3% prevalence among real ones."""
    labels = predictor.labels
    probability = predictor.predict_proba(listings)[:, : len(labels)]
    target = label_matrix(listings, labels)
    metrics = compute_metrics(target, probability, labels=labels, thresholds=predictor.thresholds)
    result: dict[str, Any] = {
        "listings": len(listings),
        "macro_average_precision": metrics["macro_average_precision"],
        "per_label_average_precision": {k: v["average_precision"] for k, v in metrics["per_label"].items()},
    }
    if COUNTERFEIT in labels:
        column = labels.index(COUNTERFEIT)
        result["counterfeit_average_precision"] = metrics["per_label"][COUNTERFEIT]["average_precision"]
        result["counterfeit_recall_at_90_precision"] = metrics["per_label"][COUNTERFEIT]["recall_at_90_precision"]
        positives = probability[target[:, column] == 1, column]
        result["mixed_3pct"] = (
            mixed_counterfeit_ap(positives, real_scores, prevalence=MIX_PREVALENCE)
            if real_scores is not None
            else {"note": MIX_SKIPPED}
        )
    return result


def _real_counterfeit_scores(predictor: Predictor, real: Sequence[Listing], needed: int) -> np.ndarray | None:
    if not real or COUNTERFEIT not in predictor.labels:
        return None
    sample = real_sample_order(real)[:needed]
    return predictor.predict_proba(sample)[:, predictor.labels.index(COUNTERFEIT)]


def evaluate_blind_sets(predictor: Predictor, config: TrainConfig, real: Sequence[Listing]) -> dict[str, Any]:
    """Each blind set that is present, scored by the served model (``BLIND_SETS``)."""
    present = {}
    for name, file in BLIND_SETS.items():
        path = config.resolve(file)
        if path.is_file():
            present[name] = [e.listing for e in load_examples(path, labels=config.labels)]
    positives = [sum(COUNTERFEIT in listing.labels for listing in listings) for listings in present.values()]
    needed = max((round(p * (1 - MIX_PREVALENCE) / MIX_PREVALENCE) for p in positives), default=0)
    real_scores = _real_counterfeit_scores(predictor, real, needed)
    return {name: evaluate_blind_set(predictor, listings, real_scores) for name, listings in present.items()}


def target_values(blind: dict[str, Any], false_alarms: dict[str, Any] | None) -> dict[str, float | None]:
    """The measured value behind each target (None when its data is absent)."""
    counterfeit = blind.get("blind_counterfeit", {})
    return {
        "blind_counterfeit_ap": counterfeit.get("counterfeit_average_precision"),
        "blind_counterfeit_r90": counterfeit.get("counterfeit_recall_at_90_precision"),
        "holdout_macro_ap": blind.get("holdout", {}).get("macro_average_precision"),
        "real_high_rate": false_alarms["high_priority_rate"] if false_alarms else None,
        "real_counterfeit_rate": (false_alarms["flagged_rate_by_label"].get(COUNTERFEIT) if false_alarms else None),
        "blind_counterfeit_mix_ap": counterfeit.get("mixed_3pct", {}).get("average_precision"),
    }


def check_targets(values: dict[str, float | None]) -> list[dict[str, Any]]:
    """One row per target: what, target, measured value, and met / missed / not measured."""
    rows = []
    for key, what, comparison, goal in TARGETS:
        value = values.get(key)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            value, status = None, "not measured (data absent)"
        else:
            status = "met" if (value >= goal if comparison == ">=" else value <= goal) else "missed"
        rows.append({"target": key, "what": what, "goal": f"{comparison} {goal:g}", "value": value, "status": status})
    return rows

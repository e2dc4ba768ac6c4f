"""The data of a retraining run: the seed data with each listing's latest review applied, weighted by its reviewer's
measured reliability (``training.review_weights``), and a frozen share of reviewed listings set aside for evaluation.

The frozen share is chosen by a hash of the listing's identity (``model.listing_key``), so a listing once frozen stays
frozen as reviews accumulate; it never trains, nor does its seed copy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from model.listing_key import listing_key
from training.config import TrainConfig
from training.dataset import Example, _unit_hash, load_examples
from training.review_weights import WeightingSummary, apply_weights, summarize
from training.split import inherit_split


def latest_reviews(reviews: list[Example]) -> dict[str, Example]:
    """One reviewed example per listing: the latest review (by ``reviewed_at``, else file order) wins."""
    latest: dict[str, Example] = {}
    order = sorted(range(len(reviews)), key=lambda i: (str(reviews[i].extras.get("reviewed_at") or ""), i))
    for i in order:
        latest[listing_key(reviews[i].listing)] = reviews[i]
    return latest


def merge_reviews(
    seed: list[Example], latest: dict[str, Example], *, frozen_share: float, seed_value: int
) -> tuple[list[Example], list[Example]]:
    """(training data: seed with the latest reviews applied, frozen reviewed listings that never train)."""
    frozen = {key: e for key, e in latest.items() if _unit_hash(f"frozen|{key}", seed_value) < frozen_share}
    unused = {key: e for key, e in latest.items() if key not in frozen}
    merged: list[Example] = []
    for example in seed:
        key = listing_key(example.listing)
        if key in frozen:
            continue  # the same listing is frozen for evaluation: its seed copy must not train either
        review = unused.pop(key, None)
        merged.append(example if review is None else inherit_split(review, example))
    merged += unused.values()
    return merged, list(frozen.values())


@dataclass(frozen=True)
class RetrainData:
    """The seed and reviewed data of one retraining run, merged, with what the review weighting did."""

    seed: list[Example]
    reviews: list[Example]
    latest: dict[str, Example]
    excluded: dict[str, Example]
    merged: list[Example]
    frozen: list[Example]
    weighting: WeightingSummary


def prepare_data(config: TrainConfig, reviews_path: Path, *, frozen_share: float, weighted: bool) -> RetrainData:
    """Read seed and reviews, keep each listing's latest review, weigh them (``training.review_weights``), merge."""
    seed = load_examples(config.resolve(config.data_path), labels=config.labels)
    reviews = load_examples(reviews_path, labels=config.labels)
    latest = latest_reviews(reviews)
    used, excluded = apply_weights(latest, weighted=weighted)
    merged, frozen = merge_reviews(seed, used, frozen_share=frozen_share, seed_value=config.seed)
    summary = summarize(latest, weighted=weighted)
    return RetrainData(seed, reviews, latest, excluded, merged, frozen, summary)


def write_training_data(run_dir: Path, config: TrainConfig, data: RetrainData, name: str) -> TrainConfig:
    """Write the merged data to ``run_dir/name`` and return the config that trains on it."""
    data_path = run_dir / name
    _write_examples(data_path, data.merged)
    return replace(config, data_path=str(data_path.resolve()))


def _write_examples(path: Path, examples: list[Example]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for example in examples:
            line = example.listing.model_dump(mode="json")
            line.update({k: v for k, v in example.extras.items() if k not in line})
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")

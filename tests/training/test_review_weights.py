"""Reviewed labels' weights in retraining: validated on load, used as sample weights, zero leaves a review out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model.errors import DataError
from tests.conftest import make_tiny_config
from training.dataset import example_weights, load_examples
from training.retrain_data import prepare_data
from training.review_weights import apply_weights, summarize

LABELS = ("counterfeit", "smuggled", "prohibited")


def _write(path: Path, lines: list[dict]) -> Path:
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    return path


def _review(i: int, labels: list[str], reviewer: str, provenance: str, weight: float) -> dict:
    return {
        "id": f"r-{i}",
        "platform": "shopee",
        "title": f"Tin {i}",
        "labels": labels,
        "reviewer": reviewer,
        "provenance": provenance,
        "weight": weight,
        "reviewed_at": f"2026-11-24T08:00:0{i}+00:00",
    }


@pytest.mark.parametrize("weight", [1.5, -0.1, "1", True])
def test_a_weight_outside_0_to_1_is_refused_with_its_listing(weight: object, tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.jsonl", [{"id": "x", "title": "Áo thun", "labels": [], "weight": weight}])
    with pytest.raises(DataError, match="weight must be a number in \\[0, 1\\]"):
        load_examples(path, labels=LABELS)


def test_weights_are_read_and_summarised_per_reviewer(tmp_path: Path) -> None:
    lines = [
        _review(1, ["counterfeit"], "careful", "double_agreed", 1.0),
        _review(2, [], "careful", "single", 0.9),
        _review(3, ["smuggled"], "careless", "single", 0.0),
        _review(4, [], "lead", "lead_decision", 1.0),
    ]
    examples = load_examples(_write(tmp_path / "reviews.jsonl", lines), labels=LABELS)
    assert example_weights(examples).tolist() == [1.0, 0.9, 0.0, 1.0]
    latest = {e.listing.id: e for e in examples}
    used, excluded = apply_weights(latest, weighted=True)
    assert set(used) == {"r-1", "r-2", "r-4"} and set(excluded) == {"r-3"}
    summary = summarize(latest, weighted=True)
    by_reviewer = {r.reviewer: r for r in summary.reviewers}
    assert (summary.down_weighted, summary.excluded) == (1, 1)
    assert (by_reviewer["careful"].full, by_reviewer["careful"].down_weighted) == (1, 1)
    assert by_reviewer["careless"].excluded == 1 and by_reviewer["careless"].mean_weight == 0
    assert summary.by_provenance == {"double_agreed": 1, "lead_decision": 1, "single": 2}
    plain_used, plain_excluded = apply_weights(latest, weighted=False)
    assert len(plain_used) == 4 and not plain_excluded
    assert example_weights(list(plain_used.values())).tolist() == [1.0] * 4
    assert summarize(latest, weighted=False).excluded == 0


def test_an_excluded_review_neither_trains_nor_overrides_the_seed_label(tmp_path: Path) -> None:
    seed = _write(tmp_path / "seed.jsonl", [{"id": "r-1", "platform": "shopee", "title": "Tin 1", "labels": []}])
    reviews = _write(
        tmp_path / "reviews.jsonl",
        [_review(1, ["counterfeit"], "careless", "single", 0.0), _review(2, ["smuggled"], "careful", "single", 0.8)],
    )
    config = make_tiny_config(seed, tmp_path / "models")
    weighted = prepare_data(config, reviews, frozen_share=0.0, weighted=True)
    merged = {e.listing.id: e for e in weighted.merged}
    assert merged["r-1"].listing.labels == [] and "weight" not in merged["r-1"].extras  # the seed's label stands
    assert merged["r-2"].extras["weight"] == 0.8
    plain = {e.listing.id: e for e in prepare_data(config, reviews, frozen_share=0.0, weighted=False).merged}
    assert plain["r-1"].listing.labels == ["counterfeit"] and plain["r-2"].extras["weight"] == 1.0

"""Retraining on reviews: merging, frozen evaluation listings, label issues, and promote-or-refuse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model.artifact import resolve_model_dir
from model.listing_key import listing_key
from model.schema import Listing
from model.text_vectorizers import TextFeatureConfig
from tests.conftest import make_tiny_config, write_noisy_copy, write_tiny_dataset
from training.dataset import Example, load_examples
from training.promote import decide, retrain
from training.retrain_data import latest_reviews, merge_reviews
from training.train import train


def _example(id_: str, labels: list[str], reviewed_at: str | None = None) -> Example:
    extras = {"reviewed_at": reviewed_at} if reviewed_at else {}
    return Example(Listing(id=id_, platform="shopee", title=f"tin {id_}", labels=labels), extras)


def test_reviews_override_seed_labels_latest_wins_and_frozen_never_train() -> None:
    seed = [_example(str(i), []) for i in range(200)]
    reviews = [
        _example("5", ["counterfeit"], "2026-11-01T00:00:00"),
        _example("5", ["smuggled"], "2026-11-02T00:00:00"),
    ]
    reviews += [_example(f"new-{i}", ["prohibited"], "2026-11-03T00:00:00") for i in range(100)]
    merged, frozen = merge_reviews(seed, latest_reviews(reviews), frozen_share=0.2, seed_value=13)
    merged_keys = {listing_key(e.listing) for e in merged}
    assert 5 <= len(frozen) <= 40  # about a fifth of 101 reviewed listings
    assert not merged_keys & {listing_key(e.listing) for e in frozen}
    assert len(merged) + len(frozen) == 200 + 100
    five = [e for e in merged + frozen if e.listing.id == "5"]
    assert len(five) == 1 and five[0].listing.labels == ["smuggled"]  # the later review wins
    again, _ = merge_reviews(seed, latest_reviews(reviews), frozen_share=0.2, seed_value=13)
    assert [e.listing.id for e in again] == [e.listing.id for e in merged]  # frozen stays frozen


def test_decision_needs_no_label_worse_and_a_better_macro_average() -> None:
    def metrics(*aps: float) -> dict:
        per_label = {label: {"average_precision": ap} for label, ap in zip(("a", "b"), aps, strict=True)}
        return {"per_label": per_label, "macro_average_precision": sum(aps) / len(aps)}

    assert decide(None, metrics(0.5, 0.5), tolerance=0.01).promote
    assert decide(metrics(0.80, 0.80), metrics(0.795, 0.90), tolerance=0.01).promote
    refused = decide(metrics(0.80, 0.80), metrics(0.70, 0.99), tolerance=0.01)
    assert not refused.promote and "a AP 0.700" in refused.reason
    same = decide(metrics(0.80, 0.80), metrics(0.80, 0.80), tolerance=0.01)
    assert not same.promote and "not above" in same.reason


def _write_reviews(path: Path, examples: list[Example]) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for example in examples:
            line = example.listing.model_dump(mode="json")
            line["reviewed_at"] = "2026-11-23T10:00:00"
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
    return path


@pytest.fixture(scope="module")
def noisy_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[Example]]:
    """True data, a copy whose counterfeit labels were mostly lost, and a champion trained on the copy."""
    root = tmp_path_factory.mktemp("retrain")
    truth = load_examples(write_tiny_dataset(root / "truth.jsonl"), labels=("counterfeit", "smuggled", "prohibited"))
    noisy_path = write_noisy_copy(truth, root / "noisy.jsonl")
    models_dir = root / "models"
    train(make_tiny_config(noisy_path, models_dir))
    return noisy_path, models_dir, truth


def test_retrain_promotes_a_challenger_that_learned_from_corrections(noisy_world, tmp_path: Path) -> None:
    noisy_path, models_dir, truth = noisy_world
    champion = resolve_model_dir(models_dir).name
    counterfeit = [e for e in truth if "counterfeit" in e.listing.labels]
    # one counterfeit listing in six is left unreviewed: its lost label is a label issue the run must list
    reviewed = [e for i, e in enumerate(counterfeit) if i % 6]
    reviews = _write_reviews(tmp_path / "reviews.jsonl", reviewed)
    record = retrain(make_tiny_config(noisy_path, models_dir), reviews, out_dir=tmp_path / "reports")
    assert record["decision"] == "promoted", record["reason"]
    assert resolve_model_dir(models_dir).name == record["challenger"] != champion
    assert record["counts"]["frozen_reviewed"] > 0 and record["counts"]["label_issues"] > 0
    report = Path(record["report"])
    assert "promoted" in report.read_text(encoding="utf-8") and (report.parent / "pr_curves.png").stat().st_size > 0
    issues = [json.loads(line) for line in (report.parent / "label_issues.jsonl").read_text().splitlines()]
    assert any(issue["label"] == "counterfeit" and not issue["given"] for issue in issues)
    registry = (models_dir / "registry.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(registry[-1])["challenger"] == record["challenger"]


def test_retrain_refuses_a_worse_challenger_and_keeps_the_champion(noisy_world, tmp_path: Path) -> None:
    noisy_path, models_dir, truth = noisy_world
    before = resolve_model_dir(models_dir).name
    reviews = _write_reviews(tmp_path / "reviews.jsonl", truth[:40])
    # a challenger that can barely read: five n-grams per text view
    blind = TextFeatureConfig(min_df=1, max_word_features=5, max_char_features=5, use_word_segments=False)
    record = retrain(make_tiny_config(noisy_path, models_dir, text=blind), reviews, out_dir=tmp_path / "reports")
    assert record["decision"] == "refused" and record["reason"].startswith("refused: worse on")
    assert resolve_model_dir(models_dir).name == before
    assert json.loads((models_dir / "registry.jsonl").read_text().splitlines()[-1])["decision"] == "refused"

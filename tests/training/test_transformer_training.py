"""Fine-tuning, ensemble selection, the length cap, the ViSpamReviews loader and the benchmark plumbing."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

from model.artifact import TRANSFORMER_DIR, TRANSFORMER_WEIGHTS_FILE
from model.market.neighbours import NeighbourTable
from model.schema import Listing
from model.text_views import build_text_views
from tests.conftest import TINY_ITEMS, make_tiny_transformer_config
from training.config import TrainConfig, TransformerTrainConfig, config_from_dict
from training.dataset import label_matrix
from training.errors import ConfigError
from training.fine_tune_loop import training_batches
from training.fit_ensemble import choose_served, cross_fitted_scores, fit_ensemble, fit_linear_weights
from training.train import TrainResult
from training.transformer_inputs import choose_max_length, resolve_backbone
from training.transformer_train import train_transformer


def test_choose_served_prefers_the_ensemble_only_when_it_beats_both() -> None:
    assert choose_served({"linear": 0.90, "transformer": 0.92, "ensemble": 0.95}) == "ensemble"
    assert choose_served({"linear": 0.90, "transformer": 0.92, "ensemble": 0.92}) == "transformer"
    assert choose_served({"linear": 0.93, "transformer": 0.92, "ensemble": 0.91}) == "linear"
    assert choose_served({"linear": 0.90, "transformer": 0.92, "ensemble": 0.925}, min_gain=0.01) == "transformer"
    assert choose_served({"linear": 0.92, "transformer": 0.92}) == "linear"  # a tie goes to the cheaper scorer
    assert choose_served({"linear": 0.5}) == "linear"


def test_ensemble_weights_follow_the_informative_scorer() -> None:
    rng = np.random.default_rng(0)
    target = (rng.random((400, 2)) < 0.3).astype(int)
    informative = np.clip(0.2 + 0.6 * target + rng.normal(0, 0.1, target.shape), 0.01, 0.99)
    noise = rng.random(target.shape)
    assert fit_linear_weights(informative, noise, target).min() >= 0.8
    assert fit_linear_weights(noise, informative, target).max() <= 0.2
    ensemble = fit_ensemble(informative, noise, target, labels=("a", "b"))
    probability = ensemble.predict_proba(informative, noise)
    assert probability.shape == target.shape and ((probability >= 0) & (probability <= 1)).all()
    assert cross_fitted_scores(informative, noise, target).shape == target.shape


def test_length_cap_is_a_percentile_within_bounds() -> None:
    config = TransformerTrainConfig(min_length=16, max_length_cap=64, length_percentile=95.0)
    assert choose_max_length(list(range(1, 41)), config) == 39
    assert choose_max_length([5] * 10, config) == 16
    assert choose_max_length([500] * 10, config) == 64


def test_training_batches_are_seeded_and_cover_each_row_once() -> None:
    lengths = list(np.random.default_rng(1).integers(3, 60, size=101))
    first = training_batches(lengths, 8, np.random.default_rng(7))
    again = training_batches(lengths, 8, np.random.default_rng(7))
    assert [b.tolist() for b in first] == [b.tolist() for b in again]
    assert sorted(np.concatenate(first).tolist()) == list(range(101))


def test_transformer_config_is_validated(tiny_checkpoint: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[transformer\]: unknown keys \['layers'\]"):
        config_from_dict({"transformer": {"layers": 3}}, source="test")
    with pytest.raises(ConfigError, match="local Hugging Face checkpoint directory"):
        resolve_backbone("vinai/phobert-base-v2")
    assert resolve_backbone(str(tiny_checkpoint)) == tiny_checkpoint
    config = config_from_dict({"transformer": {"enabled": True, "backbone": str(tiny_checkpoint)}}, source="test")
    assert config.transformer.enabled and config.as_dict()["transformer"]["backbone"] == str(tiny_checkpoint)
    assert config_from_dict({}, source="no keys") == TrainConfig()  # a missing table is the defaults, not "off"


def _tiny_training_inputs() -> tuple:
    listings = [
        Listing(title=title if i % 2 else title + " giá tốt", price=1000.0 * (i + 1), labels=labels)
        for i, (title, labels) in enumerate(TINY_ITEMS * 3)
    ]
    views = [build_text_views(listing, max_description_chars=200, max_segmented_chars=0) for listing in listings]
    target = label_matrix(listings, ("counterfeit", "smuggled", "prohibited")).astype(np.float32)
    return listings, views, target


def test_fine_tuning_is_reproducible(tiny_checkpoint: Path, tmp_path: Path) -> None:
    listings, views, target = _tiny_training_inputs()
    config = replace(make_tiny_transformer_config(tiny_checkpoint), epochs=1, quantize=False)
    weights = []
    for run in ("a", "b"):
        result = train_transformer(
            config,
            labels=("counterfeit", "smuggled", "prohibited"),
            train=(listings, views, target, np.ones(len(listings), dtype=np.float32)),
            valid=(listings[:25], views[:25], target[:25]),
            price_reference=NeighbourTable(),
            model_dir=tmp_path / run,
            seed=3,
        )
        assert result.saved["input"]["max_length"] <= config.max_length_cap
        weights.append(load_file(str(tmp_path / run / TRANSFORMER_DIR / TRANSFORMER_WEIGHTS_FILE)))
    assert weights[0].keys() == weights[1].keys()
    assert all(np.array_equal(weights[0][name], weights[1][name]) for name in weights[0])


def test_scorer_comparison_in_the_card(trained_transformer: TrainResult) -> None:
    card = trained_transformer.card
    selection = card.selection["valid_macro_average_precision"]
    assert set(selection) == {"linear", "transformer", "ensemble"}
    assert card.scorer == choose_served(selection)
    for part in card.scorers.values():
        assert set(part.metrics) == {"valid", "test"}


def test_eval_reports_each_scorer(trained_transformer: TrainResult) -> None:
    from model.predictor import Predictor
    from training.evaluate import evaluate_scorers
    from training.report import render_scorer_comparison

    listings = [Listing(title=title, labels=labels) for title, labels in TINY_ITEMS]
    predictor = Predictor.load(trained_transformer.model_dir)
    results = evaluate_scorers(predictor, listings)
    assert set(results) == {"linear", "transformer", "ensemble"}
    table = render_scorer_comparison(results, served=predictor.served)
    assert "ensemble minus the best single scorer" in table and f"**{predictor.served}** (served)" in table


def _write_vispam_csv(path: Path, rows: list[tuple[int, str, int]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Rating", "Comment", "Label", "SpamLabel"])
        for rating, comment, label in rows:
            writer.writerow([rating, comment, label, 3 if label else 0])


def test_vispam_rows_become_listings_with_rating_metadata(tmp_path: Path) -> None:
    from training.vispam import best_macro_f1_threshold, load_vispam_split

    path = tmp_path / "train.csv"
    _write_vispam_csv(path, [(5, "Sản phẩm tốt, giao nhanh", 0), (1, "mua acc game ib zalo", 1), (3, " ", 0)])
    examples = load_vispam_split(path, name="train")
    assert [e.listing.labels for e in examples] == [[], ["spam"], []]
    assert examples[0].listing.seller is not None and examples[0].listing.seller.rating == 5.0
    assert examples[2].listing.title.strip()
    probability = np.array([0.1, 0.2, 0.8, 0.9])
    assert 0.2 < best_macro_f1_threshold(probability, np.array([0, 0, 1, 1])) <= 0.8


def test_bench_vispam_without_the_data_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from training.vispam import run_vispam

    monkeypatch.setenv("SOI_SHARED_DIR", str(tmp_path))
    assert run_vispam(out=tmp_path / "vispam.json") == 2
    assert "ViSpamReviews is not available" in capsys.readouterr().out
    assert not (tmp_path / "vispam.json").exists()


def test_bench_vispam_trains_on_the_published_splits_and_reports_f1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from training.vispam import run_vispam

    folder = tmp_path / "shared" / "data" / "benchmarks" / "vispamreviews"
    folder.mkdir(parents=True)
    spam = ["mua acc game ib zalo {}", "theo dõi shop nhận quà {}", "ncncnc bán acc giá rẻ {}"]
    fine = ["Sản phẩm tốt, giao nhanh {}", "Áo mặc vừa, vải mát {}", "Đóng gói cẩn thận, sẽ ủng hộ {}"]
    for split, n in (("train", 60), ("dev", 24), ("test", 24)):
        rows = [(1, spam[i % 3].format(i), 1) if i % 2 else (5, fine[i % 3].format(i), 0) for i in range(n)]
        _write_vispam_csv(folder / f"{split}.csv", rows)
    monkeypatch.setenv("SOI_SHARED_DIR", str(tmp_path / "shared"))
    config = tmp_path / "vispam.toml"
    config.write_text(
        f'labels = ["spam"]\nmodels_dir = "{tmp_path / "models"}"\ncalibration_folds = 3\n'
        "real_negative_files = []\nselection_holdout_files = []\n[text]\nmin_df = 1\n[transformer]\nenabled = false\n",
        encoding="utf-8",
    )
    out = tmp_path / "vispam.json"
    assert run_vispam(config_path=str(config), out=out) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert (report["train_listings"], report["dev_listings"], report["test_listings"]) == (60, 24, 24)
    assert set(report["scorers"]) == {"linear"} and report["served_scorer"] == "linear"
    assert report["served_test_macro_f1"] == report["scorers"]["linear"]["test_macro_f1"] > 0.9
    assert "| **linear** (selected on dev) |" in capsys.readouterr().out


def test_bench_timing_and_peer_plumbing(trained_transformer: TrainResult) -> None:
    from training.bench_serving_speed import build_peer, time_calls

    listings = [Listing(title=title) for title, _labels in TINY_ITEMS]
    result = time_calls(lambda batch: [len(b.title) for b in batch], listings, 4)
    assert result["listings"] == len(listings) and result["batch_size"] == 4
    assert result["p95_ms"] >= result["p50_ms"] >= 0
    classify = build_peer(trained_transformer.model_dir)
    out = classify("Bình khí cười N2O giao nhanh", truncation=True)
    out = out[0] if isinstance(out[0], list) else out  # one list of label scores per input text
    assert {item["label"] for item in out} == {"counterfeit", "smuggled", "prohibited"}
    assert all(0 <= item["score"] <= 1 for item in out)

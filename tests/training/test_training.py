"""Training on a small sample: split, calibration, thresholds, artifacts, round trip, config errors."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from model.artifact import (
    CARD_FILE,
    CARD_MARKDOWN_FILE,
    CARD_VERSION,
    LINEAR_CONFIG_FILE,
    LINEAR_VECTORIZERS_FILE,
    LINEAR_WEIGHTS_FILE,
    resolve_model_dir,
)
from model.errors import ArtifactError, DataError
from model.folding import fold_diacritics
from model.linear import LinearScorer
from model.predictor import Predictor
from model.schema import Listing
from training.config import DEFAULT_CONFIG, load_config
from training.dataset import load_examples, split_by_seller
from training.errors import ConfigError
from training.fit_calibration import choose_threshold, fit_sigmoid_calibration
from training.train import TrainResult


def test_split_keeps_each_seller_on_one_side(tiny_data_path: Path) -> None:
    examples = load_examples(tiny_data_path, labels=("counterfeit", "smuggled", "prohibited"))
    split = split_by_seller(examples, valid_share=0.2, test_share=0.2, seed=13)
    groups = [{e.group for e in part} for part in (split.train, split.valid, split.test)]
    assert not (groups[0] & groups[1]) and not (groups[0] & groups[2]) and not (groups[1] & groups[2])
    assert len(split.train) + len(split.valid) + len(split.test) == len(examples)
    again = split_by_seller(examples, valid_share=0.2, test_share=0.2, seed=13)
    assert [e.listing.id for e in again.test] == [e.listing.id for e in split.test]


def test_training_writes_a_complete_safe_artifact(trained: TrainResult) -> None:
    files = {path.name for path in trained.model_dir.iterdir()}
    assert {
        CARD_FILE,
        CARD_MARKDOWN_FILE,
        LINEAR_CONFIG_FILE,
        LINEAR_WEIGHTS_FILE,
        LINEAR_VECTORIZERS_FILE,
    } <= files
    assert not any(name.endswith((".pkl", ".pickle", ".joblib")) for name in files)
    card = json.loads((trained.model_dir / CARD_FILE).read_text(encoding="utf-8"))
    assert card["version"] == trained.version and len(card["data"]["sha256"]) == 64
    assert card["card_version"] == CARD_VERSION
    assert set(card["thresholds"]) == {"counterfeit", "smuggled", "prohibited"}
    for split in ("valid", "test"):
        assert set(card["metrics"][split]["per_label"]) == set(card["labels"])
    assert resolve_model_dir(trained.model_dir.parent) == trained.model_dir.resolve()


def test_model_learns_the_tiny_data(trained: TrainResult) -> None:
    test_metrics = trained.card.metrics["test"]
    assert test_metrics["macro_average_precision"] > 0.8
    predictor = Predictor.load(trained.model_dir)
    risky, clean = predictor.score(
        [
            Listing(title="Bình khí cười N2O 8 lít bóng cười giao nhanh"),
            Listing(title="Áo thun nam cotton basic"),
        ]
    )
    assert risky.probabilities["prohibited"] > clean.probabilities["prohibited"]
    assert risky.risk > clean.risk


def test_save_load_round_trip_gives_identical_scores(trained: TrainResult, tiny_data_path: Path) -> None:
    listings = [e.listing for e in load_examples(tiny_data_path, labels=("counterfeit", "smuggled", "prohibited"))]
    first = Predictor.load(trained.model_dir).predict_proba(listings[:40])
    second = Predictor.load(trained.model_dir.parent).predict_proba(listings[:40])
    np.testing.assert_array_equal(first, second)
    # every text view the tiny config asks for, the text as written included, is fitted and saved
    scorer = LinearScorer.load(trained.model_dir)
    assert list(scorer.vectorizers) == ["words", "segments", "chars", "surface_chars"]
    assert scorer.vectorizers["surface_chars"].ngram_range == (1, 3)
    surface_terms = scorer.vectorizers["surface_chars"].vocabulary_
    assert any(term != fold_diacritics(term).lower() for term in surface_terms)  # tone marks and case are kept


def test_calibrated_probabilities_are_probabilities(trained: TrainResult, tiny_data_path: Path) -> None:
    listings = [e.listing for e in load_examples(tiny_data_path, labels=("counterfeit", "smuggled", "prohibited"))]
    for score in Predictor.load(trained.model_dir).score(listings[:50]):
        assert 0 <= score.risk <= 1
        assert score.risk >= max(score.probabilities.values())
        assert all(0 <= p <= 1 for p in score.probabilities.values())
        assert set(score.flagged) <= set(score.probabilities)


def test_sigmoid_calibration_and_threshold() -> None:
    rng = np.random.default_rng(0)
    target = rng.integers(0, 2, 400)
    decision = target * 2.0 - 1.0 + rng.normal(0, 1, 400)
    slope, intercept = fit_sigmoid_calibration(decision, target, name="x")
    assert slope > 0
    threshold = choose_threshold(1 / (1 + np.exp(-(slope * decision + intercept))), target)
    assert 0 < threshold < 1
    with pytest.raises(DataError, match="both positive and negative"):
        fit_sigmoid_calibration(decision, np.zeros(400), name="x")


def test_default_config_loads_and_bad_configs_say_why(tmp_path: Path) -> None:
    config = load_config(DEFAULT_CONFIG)
    assert config.labels == ("counterfeit", "smuggled", "prohibited")
    bad = tmp_path / "bad.toml"
    bad.write_text('labels = ["counterfeit"]\nlearning_rate = 3\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown keys"):
        load_config(bad)
    bad.write_text("priority_high = 0.2\npriority_medium = 0.5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="priority"):
        load_config(bad)


def test_dataset_errors_name_the_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"title": "ok"}\n{"title": "", "price": 5}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"bad.jsonl:2: title"):
        load_examples(path, labels=("counterfeit",))
    path.write_text('{"title": "ok", "labels": ["smuggled"]}\n', encoding="utf-8")
    with pytest.raises(DataError, match="unknown label"):
        load_examples(path, labels=("counterfeit",))


def test_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="make train"):
        Predictor.load(tmp_path)


def test_reasons_name_matched_terms_first_without_repeats(trained: TrainResult) -> None:
    predictor = Predictor.load(trained.model_dir)
    (score,) = predictor.score([Listing(title="Bình khí cười N2O 8 lít bóng cười giao nhanh", platform="facebook")])
    assert score.reasons, "a risky listing must carry evidence"
    kinds = [reason.kind for reason in score.reasons]
    assert kinds == sorted(kinds, key=lambda kind: kind != "term")
    evidence = [reason.evidence.lower() for reason in score.reasons]
    assert len(evidence) == len(set(evidence))
    terms = [reason.evidence for reason in score.reasons if reason.kind == "term"]
    assert any(term.lower() in "bình khí cười n2o 8 lít bóng cười giao nhanh" for term in terms)
    assert all(reason.text and reason.weight > 0 for reason in score.reasons)


def test_evaluation_by_slice(trained: TrainResult, tiny_data_path: Path) -> None:
    from training.evaluate import evaluate_slices

    examples = load_examples(tiny_data_path, labels=("counterfeit", "smuggled", "prohibited"))
    slices = evaluate_slices(
        Predictor.load(trained.model_dir), [e.listing for e in examples], [e.extras for e in examples], min_listings=5
    )
    assert {"text:undiacritised", "text:accented", "style:no_diacritics"} <= set(slices)
    assert any(name.startswith("platform:") for name in slices)
    assert sum(slices[f"text:{kind}"]["listings"] for kind in ("accented", "undiacritised")) == len(examples)
    for metrics in slices.values():
        assert 0 <= metrics["macro_average_precision"] <= 1


def test_lexicon_reasons_carry_the_written_form_and_legal_basis(trained: TrainResult) -> None:
    predictor = Predictor.load(trained.model_dir)
    (score,) = predictor.score([Listing(title="Bán B.Ó.N.G C.Ư.Ờ.I, bình khí cười N2O 8 lít", platform="facebook")])
    lexicon_reasons = [r for r in score.reasons if r.normalized]
    assert lexicon_reasons, score.reasons
    reason = lexicon_reasons[0]
    assert reason.category and reason.legal_basis
    assert reason.evidence in "Bán B.Ó.N.G C.Ư.Ờ.I, bình khí cười N2O 8 lít"


def test_price_neighbours_and_anomaly_features() -> None:
    from model.features import build_signal_features, signal_feature_names
    from model.linear import LinearScorer
    from model.text_views import build_text_views
    from training.price_neighbours import fit_price_neighbours

    genuine = [
        Listing(title=f"Đồng hồ Rolex Submariner chính hãng {i}", price=price, brand="Rolex")
        for i, price in enumerate([250e6, 300e6, 280e6])
    ]
    views = [build_text_views(x, max_description_chars=100, max_segmented_chars=0) for x in genuine]
    reference = fit_price_neighbours(genuine, views, risky=np.zeros(3, dtype=bool))
    assert len(reference) == 3 and reference.nearest("Rolex", frozenset({"rolex", "submariner"})) is not None
    # a risky listing never feeds the reference
    assert len(fit_price_neighbours(genuine, views, risky=np.ones(3, dtype=bool))) == 0

    def signals(listing: Listing) -> dict[str, float]:
        views = build_text_views(listing, max_description_chars=100, max_segmented_chars=0)
        return dict(zip(signal_feature_names(), build_signal_features(listing, views, reference), strict=True))

    features = signals(Listing(title="Đồng hồ Rolexx Submariner", price=1.5e6))
    assert features["price_source_neighbours"] == 1 and features["price_far_below_reference"] == 1
    assert features["price_below_neighbours"] == 5.0  # log(280e6 / 1.5e6) = 5.2, capped at 5
    features = signals(Listing(title="Áo thun trơn", price=99000))
    assert features["price_source_none"] == 1 and features["price_far_below_reference"] == 0
    assert LinearScorer.__dataclass_fields__["price_reference"].default_factory is not None


@pytest.mark.parametrize(
    ("drop", "named"),
    [
        ("card_version", "expected model card version"),  # written before the card was typed
        ("scorers", "scorers: Field required"),
        ("data.split_mode", "data.split_mode: Field required"),
        ("data.shared", "data.shared: Field required"),
        ("scorers.linear.thresholds", "scorers.linear.thresholds: Field required"),
    ],
)
def test_a_card_from_an_older_soi_is_refused_clearly(
    trained: TrainResult, tmp_path: Path, drop: str, named: str
) -> None:
    folder = tmp_path / "old"
    shutil.copytree(trained.model_dir, folder)
    card = json.loads((folder / CARD_FILE).read_text(encoding="utf-8"))
    *parents, last = drop.split(".")
    part = card
    for name in parents:
        part = part[name]
    del part[last]
    (folder / CARD_FILE).write_text(json.dumps(card), encoding="utf-8")
    # the typed loader names what is missing (or the card version found) and says to retrain
    with pytest.raises(ArtifactError, match=rf"{re.escape(named)}.*retrain with `make train`"):
        Predictor.load(folder)

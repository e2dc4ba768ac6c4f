"""The transformer scorer: ONNX parity with PyTorch, torch-free serving, every scorer served from one artifact."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

from model.artifact import ENSEMBLE_FILE, TRANSFORMER_DIR, TRANSFORMER_ONNX_INT8_FILE, TRANSFORMER_WEIGHTS_FILE
from model.errors import ArtifactError
from model.predictor import Predictor
from model.schema import Listing
from model.transformer_input import TextEncoder, dense_features, length_sorted_batches, transformer_text
from model.transformer_scorer import MAX_ONNX_THREADS, TransformerScorer, input_config_of, onnx_threads
from tests.conftest import TINY_ITEMS
from training.train import TrainResult

# Stated tolerances (probabilities, absolute): fp32 ONNX must match PyTorch to float rounding; the int8 model
# quantises weights and activations, so it may move a probability by up to 0.05.
FP32_TOLERANCE = 1e-4
INT8_TOLERANCE = 0.05
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _listings() -> list[Listing]:
    return [
        Listing(title=title, price=float(100_000 + 1000 * i), platform="shopee" if i % 2 else None)
        for i, (title, _labels) in enumerate(TINY_ITEMS)
    ]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x.astype(np.float64)))


def test_artifact_holds_every_scorer(trained_transformer: TrainResult) -> None:
    folder = trained_transformer.model_dir
    assert (folder / TRANSFORMER_DIR / TRANSFORMER_ONNX_INT8_FILE).is_file()
    assert (folder / TRANSFORMER_DIR / TRANSFORMER_WEIGHTS_FILE).is_file()
    assert (folder / ENSEMBLE_FILE).is_file()
    card = json.loads((folder / "model_card.json").read_text(encoding="utf-8"))
    assert set(card["scorers"]) == {"linear", "transformer", "ensemble"}
    assert card["scorer"] == card["selection"]["served"]
    assert card["version"].startswith(card["scorer"] + "-")
    assert not any(path.suffix in (".pkl", ".pickle", ".pt", ".bin") for path in folder.rglob("*"))


def test_onnx_matches_pytorch_within_stated_tolerance(trained_transformer: TrainResult) -> None:
    from model.transformer import load_trained
    from training.fine_tune_loop import batch_logits

    folder = trained_transformer.model_dir
    network, saved = load_trained(folder)
    listings = _listings()
    scorer = TransformerScorer.load(folder, quantized=False)
    views = Predictor.load(folder).linear.build_views(listings)
    input_config = input_config_of(saved)
    encoder = TextEncoder(folder / TRANSFORMER_DIR, max_length=input_config.max_length)
    ids = encoder.encode([transformer_text(view, segment=False) for view in views])
    torch_probability = _sigmoid(batch_logits(network, encoder, ids, dense_features(listings, views, input_config)))
    fp32 = _sigmoid(scorer.logits(listings, views))
    int8 = _sigmoid(TransformerScorer.load(folder, quantized=True).logits(listings, views))
    assert np.abs(fp32 - torch_probability).max() < FP32_TOLERANCE
    assert np.abs(int8 - torch_probability).max() < INT8_TOLERANCE


def test_length_sorted_batching_keeps_input_order(trained_transformer: TrainResult) -> None:
    folder = trained_transformer.model_dir
    listings = _listings()
    views = Predictor.load(folder).linear.build_views(listings)
    scorer = TransformerScorer.load(folder, quantized=False)
    batched = scorer.logits(listings, views)
    one_by_one = np.vstack([scorer.logits([listing], [view]) for listing, view in zip(listings, views, strict=True)])
    assert np.allclose(batched, one_by_one, atol=1e-4)


def test_length_sorted_batches_cover_every_row_once() -> None:
    batches = length_sorted_batches([5, 1, 9, 3, 3, 7], 4)
    assert sorted(np.concatenate(batches).tolist()) == list(range(6))
    assert batches[0].tolist() == [1, 3, 4, 0]


def test_dynamic_padding_pads_to_longest_in_batch(trained_transformer: TrainResult) -> None:
    encoder = TextEncoder(trained_transformer.model_dir / TRANSFORMER_DIR, max_length=32)
    ids, mask = encoder.pad([[2, 7, 3], [2, 3]])
    assert ids.shape == (2, 3)
    assert mask.tolist() == [[1, 1, 1], [1, 1, 0]]
    assert ids[1, 2] == encoder.pad_id


@pytest.mark.parametrize("kind", ["linear", "transformer", "ensemble"])
def test_every_scorer_serves_contract_scores(trained_transformer: TrainResult, kind: str) -> None:
    predictor = Predictor.load(trained_transformer.model_dir, served=kind)
    assert predictor.served == kind
    assert set(predictor.thresholds) == set(predictor.labels)
    scores = predictor.score(_listings())
    assert len(scores) == len(TINY_ITEMS)
    for score in scores:
        assert 0 <= score.risk <= 1
        assert score.risk >= max(score.probabilities.values()) - 1e-6
        assert set(score.probabilities) == set(predictor.labels)
    probability = predictor.predict_proba(_listings())
    assert probability.shape == (len(TINY_ITEMS), len(predictor.labels) + 1)


def test_reasons_come_from_the_linear_part_whatever_is_served(trained_transformer: TrainResult) -> None:
    listing = Listing(title="Bình khí cười N2O 8 lít bóng cười giao nhanh")
    linear = Predictor.load(trained_transformer.model_dir, served="linear")
    ensemble = Predictor.load(trained_transformer.model_dir, served="ensemble")
    ensemble.cutoffs = linear.cutoffs.__class__(high=0.02, medium=0.01)  # make sure reasons are asked for
    reasons = ensemble.score([listing])[0].reasons
    assert any(reason.kind == "term" and reason.normalized == "bình khí cười" for reason in reasons)


def test_unknown_served_scorer_is_refused(trained_transformer: TrainResult) -> None:
    with pytest.raises(ArtifactError, match="expected scorer one of"):
        Predictor.load(trained_transformer.model_dir, served="bert")


def test_linear_only_artifact_cannot_serve_the_transformer(trained: TrainResult) -> None:
    with pytest.raises(ArtifactError, match="expected a trained 'transformer' scorer"):
        Predictor.load(trained.model_dir, served="transformer")


def test_serving_with_onnx_never_imports_torch(trained_transformer: TrainResult) -> None:
    code = (
        "import sys, json\n"
        "from model.predictor import Predictor\n"
        "from model.schema import Listing\n"
        f"p = Predictor.load({str(trained_transformer.model_dir)!r}, served='ensemble')\n"
        "p.score([Listing(title='Bình khí cười N2O giao nhanh', price=100000)])\n"
        "print(json.dumps({'torch': 'torch' in sys.modules, 'transformers': 'transformers' in sys.modules}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"torch": False, "transformers": False}


def test_checkpoint_is_the_best_epoch(trained_transformer: TrainResult) -> None:
    transformer = trained_transformer.card.transformer
    aps = [epoch["valid_macro_average_precision"] for epoch in transformer["history"]]
    assert transformer["best_epoch"] == int(np.argmax(aps)) + 1
    weights = load_file(str(trained_transformer.model_dir / TRANSFORMER_DIR / TRANSFORMER_WEIGHTS_FILE))
    assert any(name.startswith("head.") for name in weights)


def test_probabilities_by_scorer_match_each_served_scorer(trained_transformer: TrainResult) -> None:
    listings = _listings()
    every = Predictor.load(trained_transformer.model_dir, served="ensemble").predict_proba_by_scorer(listings)
    assert set(every) == {"linear", "transformer", "ensemble"}
    for kind, probability in every.items():
        alone = Predictor.load(trained_transformer.model_dir, served=kind).predict_proba(listings)
        assert np.allclose(probability, alone[:, : probability.shape[1]], atol=1e-6)


def test_the_served_ensemble_reads_with_the_transformer_only_what_the_linear_scorer_is_unsure_of(
    trained_transformer: TrainResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    listings = _listings()
    predictor = Predictor.load(trained_transformer.model_dir, served="ensemble")
    assert predictor.ensemble is not None and predictor.transformer is not None
    linear = Predictor.load(trained_transformer.model_dir, served="linear").predict_proba(listings)[:, :-1]
    predictor.ensemble.transformer_gate = float(np.median(linear.max(axis=1)))  # about half are sure
    sure = linear.max(axis=1) < predictor.ensemble.transformer_gate
    assert sure.any() and not sure.all()
    unsure = [listing for listing, is_sure in zip(listings, sure, strict=True) if not is_sure]
    # the int8 model quantises activations per batch, so the ensemble's part is compared on the same batch
    expected = predictor.ensemble.predict_proba(
        linear[~sure], predictor.transformer.predict_proba(unsure, predictor.linear.build_views(unsure))
    )
    read: list[int] = []
    real_predict = predictor.transformer.predict_proba

    def counting(batch: list[Listing], views: object = None) -> np.ndarray:
        read.append(len(batch))
        return real_predict(batch, views)

    monkeypatch.setattr(predictor.transformer, "predict_proba", counting)
    served = predictor.predict_proba(listings)[:, :-1]
    assert read == [int((~sure).sum())]
    np.testing.assert_allclose(served[sure], linear[sure], atol=1e-9)
    np.testing.assert_allclose(served[~sure], expected, atol=1e-9)
    predictor.ensemble.transformer_gate = 1.1  # every listing sure: the transformer reads nothing
    read.clear()
    np.testing.assert_allclose(predictor.predict_proba(listings)[:, :-1], linear, atol=1e-9)
    assert read == []


def test_onnx_threads_share_the_cores_among_the_scoring_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOI_ONNX_THREADS", raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    assert onnx_threads() == MAX_ONNX_THREADS  # one process: up to the cap
    assert onnx_threads(2) == 4 and onnx_threads(4) == 2 and onnx_threads(8) == 1
    assert onnx_threads(16) == 1  # more processes than cores: one thread each, never none
    monkeypatch.setattr("os.cpu_count", lambda: None)
    assert onnx_threads(2) == 1
    monkeypatch.setenv("SOI_ONNX_THREADS", "3")  # the operator's setting wins
    assert onnx_threads(8) == 3

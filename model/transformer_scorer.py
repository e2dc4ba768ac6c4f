"""The fine-tuned transformer at serving time: onnxruntime on the int8 (or fp32) ONNX export, no torch.

Listings are tokenised, sorted by length and scored in batches padded to their own longest member, then
put back in input order. Raw logits are calibrated per label with the sigmoid scaling fitted in training.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from model.artifact import (
    TRANSFORMER_CONFIG_FILE,
    TRANSFORMER_DIR,
    TRANSFORMER_ONNX_FILE,
    TRANSFORMER_ONNX_INT8_FILE,
    read_json,
)
from model.calibration import apply_sigmoid_calibration
from model.errors import ArtifactError
from model.schema import Listing
from model.text_views import TextViews
from model.transformer_input import (
    TextEncoder,
    TransformerInputConfig,
    dense_features,
    length_sorted_batches,
    transformer_text,
)

INFERENCE_BATCH_SIZE = 64


def load_transformer_config(folder: Path) -> dict[str, Any]:
    """The transformer's saved settings (``transformer.json``)."""
    return read_json(Path(folder) / TRANSFORMER_CONFIG_FILE)


def input_config_of(saved: dict[str, Any]) -> TransformerInputConfig:
    """The input settings of a saved transformer config."""
    return TransformerInputConfig(**saved["input"])


MAX_ONNX_THREADS = 4  # beyond this, a model this size gains little from more threads per call


def onnx_threads(processes: int = 1) -> int:
    """onnxruntime's threads per scoring process: ``SOI_ONNX_THREADS`` if set, else this machine's cores shared
    among the ``processes`` that score on it (at least 1, at most ``MAX_ONNX_THREADS``).

    More threads than a process's share of the cores do not score faster: they wait for each other, and
    onnxruntime's idle threads spin on the cores that the other processes (API workers, rescoring workers, the
    database) need. Two API workers on two cores scored a third more listings per second with one thread each
    than with two (docs/results-log.md).
    """
    if os.environ.get("SOI_ONNX_THREADS"):
        return max(1, int(os.environ["SOI_ONNX_THREADS"]))
    return max(1, min(MAX_ONNX_THREADS, (os.cpu_count() or 1) // max(1, processes)))


@dataclass
class TransformerScorer:
    """onnxruntime inference of the fine-tuned text-and-metadata transformer."""

    labels: tuple[str, ...]
    input_config: TransformerInputConfig
    encoder: TextEncoder
    session: Any  # onnxruntime.InferenceSession
    calibration_slope: np.ndarray
    calibration_intercept: np.ndarray
    onnx_file: str
    batch_size: int = INFERENCE_BATCH_SIZE

    @classmethod
    def load(cls, model_dir: Path, *, quantized: bool = True, threads: int | None = None) -> TransformerScorer:
        """Load from an artifact folder's ``transformer/`` sub-folder; int8 unless ``quantized=False``; onnxruntime
        runs ``threads`` threads (default ``onnx_threads()``)."""
        import onnxruntime as ort

        folder = Path(model_dir) / TRANSFORMER_DIR
        saved = load_transformer_config(folder)
        onnx_name = TRANSFORMER_ONNX_INT8_FILE if quantized else TRANSFORMER_ONNX_FILE
        if not (folder / onnx_name).is_file():
            raise ArtifactError(f"expected {onnx_name} in {folder}, found no such file: retrain with `make train`")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or onnx_threads()
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        session = ort.InferenceSession(str(folder / onnx_name), options, providers=["CPUExecutionProvider"])
        input_config = input_config_of(saved)
        calibration = saved.get("calibration", {})
        labels = tuple(saved["labels"])
        return cls(
            labels=labels,
            input_config=input_config,
            encoder=TextEncoder(folder, max_length=input_config.max_length),
            session=session,
            calibration_slope=np.asarray(calibration.get("slope", [1.0] * len(labels)), dtype=np.float64),
            calibration_intercept=np.asarray(calibration.get("intercept", [0.0] * len(labels)), dtype=np.float64),
            onnx_file=onnx_name,
        )

    def logits(self, listings: Sequence[Listing], views: Sequence[TextViews]) -> np.ndarray:
        """Raw logits, rows = listings (input order), columns = labels."""
        if not listings:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        texts = [transformer_text(view, segment=self.input_config.segment_words) for view in views]
        ids = self.encoder.encode(texts)
        dense = dense_features(listings, views, self.input_config)
        out = np.zeros((len(listings), len(self.labels)), dtype=np.float32)
        for rows in length_sorted_batches([len(row) for row in ids], self.batch_size):
            input_ids, mask = self.encoder.pad([ids[i] for i in rows])
            (logits,) = self.session.run(
                ["logits"], {"input_ids": input_ids, "attention_mask": mask, "dense": dense[rows]}
            )
            out[rows] = logits
        return out

    def predict_proba(self, listings: Sequence[Listing], views: Sequence[TextViews]) -> np.ndarray:
        """Calibrated probabilities, rows = listings, columns = labels."""
        return apply_sigmoid_calibration(
            self.logits(listings, views).astype(np.float64), self.calibration_slope, self.calibration_intercept
        )


def write_transformer_config(folder: Path, payload: dict[str, Any]) -> None:
    """Write ``transformer.json`` (kept here so readers and writers agree on one file)."""
    (Path(folder) / TRANSFORMER_CONFIG_FILE).write_text(
        json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )

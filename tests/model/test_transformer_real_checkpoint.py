"""The packaged all-MiniLM-L6-v2 checkpoint through the same code path as the tiny one (slow: off by default)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow


def test_packaged_minilm_exports_and_matches_onnx(tmp_path: Path) -> None:
    import onnxruntime as ort
    import torch
    from transformers import AutoTokenizer

    from model.transformer import build_model, export_onnx
    from model.transformer_input import TextEncoder
    from training.config import DEFAULT_BACKBONE
    from training.transformer_inputs import resolve_backbone

    backbone = resolve_backbone(DEFAULT_BACKBONE)
    AutoTokenizer.from_pretrained(str(backbone)).save_pretrained(str(tmp_path))
    model = build_model(backbone, dense_features=5, labels=3, dense_hidden=8, dropout=0.0).eval()
    export_onnx(model, tmp_path, dense_features=5, quantize=True)
    encoder = TextEncoder(tmp_path, max_length=48)
    ids, mask = encoder.pad(encoder.encode(["bình khí cười giao nhanh", "áo thun nam cotton cổ tròn basic"]))
    dense = np.zeros((2, 5), dtype=np.float32)
    with torch.no_grad():
        expected = torch.sigmoid(model(torch.from_numpy(ids), torch.from_numpy(mask), torch.from_numpy(dense))).numpy()
    for name, tolerance in (("model.onnx", 1e-4), ("model.int8.onnx", 0.05)):
        session = ort.InferenceSession(str(tmp_path / name), providers=["CPUExecutionProvider"])
        (logits,) = session.run(["logits"], {"input_ids": ids, "attention_mask": mask, "dense": dense})
        assert np.abs(1 / (1 + np.exp(-logits)) - expected).max() < tolerance

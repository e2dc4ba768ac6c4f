"""The text-and-metadata transformer (PyTorch): training, export and the benchmark's peer import it; serving never.

A pretrained encoder (any Hugging Face checkpoint directory: MiniLM, PhoBERT, ViSoBERT, XLM-R) reads the
listing text and is mean-pooled; a small MLP reads the standardised metadata and signal features; the two are
concatenated and a linear head gives one logit per label (independent sigmoids, multi-label).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from model.artifact import (
    TRANSFORMER_DIR,
    TRANSFORMER_ONNX_FILE,
    TRANSFORMER_ONNX_INT8_FILE,
    TRANSFORMER_WEIGHTS_FILE,
)
from model.errors import ArtifactError
from model.transformer_scorer import load_transformer_config

ONNX_OPSET = 17


class ListingTransformer(nn.Module):
    """Transformer encoder over text + MLP over metadata, fused into per-label logits."""

    def __init__(
        self, encoder: nn.Module, *, dense_features: int, labels: int, dense_hidden: int = 64, dropout: float = 0.1
    ) -> None:
        super().__init__()
        self.encoder = encoder
        hidden = int(encoder.config.hidden_size)
        self.dense = nn.Sequential(nn.Linear(dense_features, dense_hidden), nn.GELU(), nn.Dropout(dropout))
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden + dense_hidden, labels)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, dense: torch.Tensor) -> torch.Tensor:
        """Logits (batch, labels)."""
        states = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        # mean pooling over real tokens: what sentence encoders such as all-MiniLM-L6-v2 were trained with
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        pooled = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        return self.head(torch.cat([self.dropout(pooled), self.dense(dense)], dim=-1))


def load_encoder(folder: Path, *, pretrained: bool = True) -> nn.Module:
    """A Hugging Face encoder from a checkpoint directory: its weights, or (``pretrained=False``) its config only."""
    from transformers import AutoConfig, AutoModel

    folder = Path(folder)
    if not (folder / "config.json").is_file():
        raise ArtifactError(f"expected a Hugging Face checkpoint directory with config.json at {folder}, found none")
    if pretrained:
        return AutoModel.from_pretrained(str(folder), add_pooling_layer=False)
    return AutoModel.from_config(AutoConfig.from_pretrained(str(folder)), add_pooling_layer=False)


def build_model(
    folder: Path, *, dense_features: int, labels: int, dense_hidden: int, dropout: float
) -> ListingTransformer:
    """A new model on a pretrained backbone (the encoder's own weights, a fresh head)."""
    encoder = load_encoder(folder, pretrained=True)
    return ListingTransformer(
        encoder, dense_features=dense_features, labels=labels, dense_hidden=dense_hidden, dropout=dropout
    )


def save_weights(model: ListingTransformer, folder: Path) -> None:
    """The fine-tuned weights as safetensors (no pickle)."""
    state = {name: tensor.detach().contiguous() for name, tensor in model.state_dict().items()}
    save_file(state, str(Path(folder) / TRANSFORMER_WEIGHTS_FILE))


def load_trained(model_dir: Path) -> tuple[ListingTransformer, dict[str, Any]]:
    """The fine-tuned PyTorch model of an artifact folder, and its saved settings."""
    folder = Path(model_dir) / TRANSFORMER_DIR
    saved = load_transformer_config(folder)
    encoder = load_encoder(folder, pretrained=False)
    model = ListingTransformer(
        encoder,
        dense_features=len(saved["input"]["dense_mean"]),
        labels=len(saved["labels"]),
        dense_hidden=int(saved["dense_hidden"]),
        dropout=float(saved["dropout"]),
    )
    weights = folder / TRANSFORMER_WEIGHTS_FILE
    if not weights.is_file():
        raise ArtifactError(f"expected {TRANSFORMER_WEIGHTS_FILE} in {folder}, found no such file")
    model.load_state_dict(load_file(str(weights)))
    model.eval()
    return model, saved


def export_onnx(model: ListingTransformer, folder: Path, *, dense_features: int, quantize: bool = True) -> list[str]:
    """Export to ONNX with dynamic batch and sequence axes, then quantise to int8; returns the files written.

    The TorchScript exporter (``dynamo=False``) is used: it handles the Hugging Face encoders' dynamic shapes
    without extra dependencies. Dynamic int8 quantisation (weights int8, activations quantised on the fly)
    is what onnxruntime recommends for transformers on CPU.
    """
    folder = Path(folder)
    model.eval()
    input_ids = torch.ones((2, 8), dtype=torch.long)
    mask = torch.ones((2, 8), dtype=torch.long)
    dense = torch.zeros((2, dense_features), dtype=torch.float32)
    path = folder / TRANSFORMER_ONNX_FILE
    with torch.no_grad():
        torch.onnx.export(
            model,
            (input_ids, mask, dense),
            str(path),
            input_names=["input_ids", "attention_mask", "dense"],
            output_names=["logits"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "sequence"},
                "attention_mask": {0: "batch", 1: "sequence"},
                "dense": {0: "batch"},
                "logits": {0: "batch"},
            },
            opset_version=ONNX_OPSET,
            dynamo=False,
        )
    written = [TRANSFORMER_ONNX_FILE]
    if quantize:
        import logging

        from onnxruntime.quantization import QuantType, quantize_dynamic

        # the quantiser logs one INFO line per tensor on the root logger: keep training logs readable
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.WARNING)
        try:
            quantize_dynamic(str(path), str(folder / TRANSFORMER_ONNX_INT8_FILE), weight_type=QuantType.QInt8)
        finally:
            root.setLevel(level)
        written.append(TRANSFORMER_ONNX_INT8_FILE)
    return written

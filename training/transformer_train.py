"""Fine-tuning the text-and-metadata transformer: dynamic padding, AdamW with warm-up, early stopping, ONNX export.

Its inputs (backbone, length cap, token ids, standardised features) are prepared in ``training.transformer_inputs``,
its epochs run in ``training.fine_tune_loop``.

Seeded and reproducible on CPU: the same config and data give the same batches, the same weights and the
same checkpoint. The best epoch (validation macro average precision) is checkpointed as safetensors, then
exported to ONNX and quantised to int8 for serving.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from model.artifact import TRANSFORMER_DIR, TRANSFORMER_WEIGHTS_FILE
from model.market.neighbours import NeighbourTable
from model.schema import Listing
from model.text_views import TextViews
from model.transformer import ListingTransformer, build_model, export_onnx
from model.transformer_scorer import write_transformer_config
from training.config import TransformerTrainConfig
from training.fine_tune_loop import EpochRunner, fine_tune
from training.transformer_inputs import FineTuneInputs, copy_backbone_files, prepare_inputs, resolve_backbone

log = logging.getLogger(__name__)


def seed_everything(seed: int) -> None:
    """Seed every random number generator training touches."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def freeze_lower_layers(model: ListingTransformer, layers: int) -> int:
    """Freeze the embeddings and the first ``layers`` encoder layers; returns how many layers were frozen."""
    if layers <= 0:
        return 0
    encoder = model.encoder
    embeddings = getattr(encoder, "embeddings", None)
    stack = getattr(getattr(encoder, "encoder", None), "layer", None)
    if embeddings is None or stack is None:
        log.warning("backbone %s has no embeddings/encoder.layer: nothing frozen", type(encoder).__name__)
        return 0
    for parameter in embeddings.parameters():
        parameter.requires_grad_(False)
    frozen = min(layers, len(stack))
    for layer in stack[:frozen]:
        for parameter in layer.parameters():
            parameter.requires_grad_(False)
    return frozen


@dataclass(frozen=True)
class TransformerTrainResult:
    """What fine-tuning produced: the saved settings and the training history."""

    folder: Path
    saved: dict[str, Any]
    best_epoch: int
    best_valid_ap: float


def build_optimiser(
    model: ListingTransformer, config: TransformerTrainConfig, *, steps_per_epoch: int
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LambdaLR]:
    """AdamW (the encoder's and the head's learning rates apart) with linear warm-up, then linear decay to zero."""
    encoder_params = [p for p in model.encoder.parameters() if p.requires_grad]
    head_params = [p for name, p in model.named_parameters() if not name.startswith("encoder.")]
    optimizer = torch.optim.AdamW(
        [
            {"params": encoder_params, "lr": config.learning_rate},
            {"params": head_params, "lr": config.head_learning_rate},
        ],
        weight_decay=config.weight_decay,
    )
    total_steps = steps_per_epoch * config.epochs
    warmup = max(1, int(config.warmup_share * total_steps))

    def schedule(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)


def positive_weights(target: np.ndarray, weight: np.ndarray, max_pos_weight: float) -> np.ndarray:
    """Per label, weighted negatives over weighted positives, within [1, max_pos_weight]: rare labels count more."""
    positives = (target * weight[:, None]).sum(axis=0)
    negatives = ((1 - target) * weight[:, None]).sum(axis=0)
    return np.clip(negatives / np.maximum(positives, 1e-6), 1.0, max_pos_weight)


def make_runner(
    model: ListingTransformer,
    config: TransformerTrainConfig,
    inputs: FineTuneInputs,
    *,
    target: np.ndarray,
    weight: np.ndarray,
    pos_weight: np.ndarray,
) -> EpochRunner:
    """The optimiser, schedule and weighted loss of a fine-tuning run, ready to run epochs."""
    optimizer, scheduler = build_optimiser(
        model, config, steps_per_epoch=math.ceil(len(inputs.train_ids) / config.batch_size)
    )
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(pos_weight, dtype=torch.float32), reduction="none")
    target_tensor, weight_tensor = torch.tensor(target, dtype=torch.float32), torch.tensor(weight, dtype=torch.float32)
    return EpochRunner(model, inputs, target_tensor, weight_tensor, loss_fn, optimizer, scheduler)


def export_best_epoch(
    model: ListingTransformer,
    config: TransformerTrainConfig,
    folder: Path,
    *,
    inputs: FineTuneInputs,
    labels: tuple[str, ...],
    settings: dict[str, Any],
) -> dict[str, Any]:
    """Reload the best epoch's weights, export them to ONNX (and int8), write and return ``transformer.json``."""
    from safetensors.torch import load_file

    model.load_state_dict(load_file(str(folder / TRANSFORMER_WEIGHTS_FILE)))
    onnx_files = export_onnx(model, folder, dense_features=inputs.train_dense.shape[1], quantize=config.quantize)
    saved = {
        "labels": list(labels),
        "backbone": config.backbone,
        "backbone_model_type": str(getattr(model.encoder.config, "model_type", "")),
        "input": {k: v for k, v in inputs.input_config.__dict__.items() if not k.startswith("_")},
        "dense_hidden": config.dense_hidden,
        "dropout": config.dropout,
        "onnx_files": onnx_files,
        **settings,
    }
    write_transformer_config(folder, saved)
    return saved


def train_transformer(
    config: TransformerTrainConfig,
    *,
    labels: tuple[str, ...],
    train: tuple[Sequence[Listing], Sequence[TextViews], np.ndarray, np.ndarray],
    valid: tuple[Sequence[Listing], Sequence[TextViews], np.ndarray],
    price_reference: NeighbourTable,
    model_dir: Path,
    seed: int,
) -> TransformerTrainResult:
    """Fine-tune on (listings, views, targets, sample weights), select on validation, export to ONNX.

    Writes ``model_dir/transformer/``: backbone config and tokenizer, ``transformer.json``, the best epoch's
    weights (safetensors) and the fp32 and int8 ONNX models. Calibration is added later by the caller.
    """
    started = time.perf_counter()
    torch.set_num_threads(max(1, config.threads))
    seed_everything(seed)
    backbone = resolve_backbone(config.backbone)
    folder = Path(model_dir) / TRANSFORMER_DIR
    copy_backbone_files(backbone, folder)
    inputs = prepare_inputs(
        config, folder, train=(train[0], train[1]), valid=(valid[0], valid[1]), price_reference=price_reference
    )
    model = build_model(
        backbone,
        dense_features=inputs.train_dense.shape[1],
        labels=len(labels),
        dense_hidden=config.dense_hidden,
        dropout=config.dropout,
    )
    frozen = freeze_lower_layers(model, config.freeze_layers)
    pos_weight = positive_weights(train[2], train[3], config.max_pos_weight)
    runner = make_runner(model, config, inputs, target=train[2], weight=train[3], pos_weight=pos_weight)
    log.info(
        "transformer: %s, %d train / %d valid listings, max_length %d (p%g), %d frozen layers, %d epochs",
        backbone.name,
        len(inputs.train_ids),
        len(inputs.valid_ids),
        inputs.input_config.max_length,
        config.length_percentile,
        frozen,
        config.epochs,
    )
    outcome = fine_tune(runner, config, valid_target=valid[2], folder=folder, seed=seed)
    settings = {
        "pos_weight": [float(v) for v in pos_weight],
        "frozen_layers": frozen,
        "best_epoch": outcome.best_epoch,
        "stopped_by_time_budget": outcome.out_of_time,
        "history": outcome.history,
        "train_listings": len(inputs.train_ids),
        "training_seconds": round(time.perf_counter() - started, 1),
    }
    saved = export_best_epoch(model, config, folder, inputs=inputs, labels=labels, settings=settings)
    return TransformerTrainResult(
        folder=folder, saved=saved, best_epoch=outcome.best_epoch, best_valid_ap=outcome.best_ap
    )

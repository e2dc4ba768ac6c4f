"""The classical scorer: TF-IDF word, word-segment and character n-grams plus metadata, linear per output.

Character n-grams read the diacritic-folded text and, when the config asks, also the text as written
(``surface``: case, repeated letters, punctuation, emoji), where the style of a post is the signal.

Outputs are the labels plus ``any`` (at least one risk present). Each output has a linear decision
function and a sigmoid calibration fitted on held-out folds. Its weights are stored in safetensors, its
fitted vectorizers in skops (no pickle), and the weights also explain each score term by term.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from safetensors.numpy import load_file, save_file
from sklearn.feature_extraction.text import TfidfVectorizer

from model.artifact import (
    LINEAR_CONFIG_FILE,
    LINEAR_VECTORIZERS_FILE,
    LINEAR_WEIGHTS_FILE,
    read_json,
    write_json,
)
from model.calibration import apply_sigmoid_calibration
from model.errors import ArtifactError
from model.feature_base import Contribution, Feature
from model.features import build_signal_values, signal_feature_names, signal_features
from model.lexicon import load_lexicon
from model.market.neighbours import NeighbourTable
from model.metadata_features import METADATA_FEATURE_NAMES, METADATA_FEATURES, build_metadata_matrix
from model.ngrams import NgramTfidf
from model.reading import ListingReading, read_listing
from model.schema import Listing
from model.text_vectorizers import TEXT_VIEWS, TextFeatureConfig
from model.text_views import TextViews, build_text_views
from model.torch_free import import_without_torch

sio = import_without_torch("skops.io")
ANY_OUTPUT = "any"


def _join_columns(blocks: Sequence[sp.csr_matrix], dense: np.ndarray) -> sp.csr_matrix:
    """``sp.hstack([*blocks, sp.csr_matrix(dense)], format="csr", dtype=np.float32)``: the same rows, each block's
    entries copied straight to their place in them. scipy converts the dense block and checks every block on the
    way, which costs twice this for a single listing (a little more for a batch). Zeros of ``dense`` are left out,
    as ``sp.csr_matrix`` leaves them."""
    rows, columns = np.nonzero(dense)  # row after row, columns in order
    dense_starts = np.zeros(len(dense) + 1, dtype=np.int64)
    np.cumsum(np.count_nonzero(dense, axis=1), out=dense_starts[1:])
    parts = [(block.data, block.indices, block.indptr, block.shape[1]) for block in blocks]
    parts.append((dense[rows, columns], columns, dense_starts, dense.shape[1]))
    lengths = [starts[1:] - starts[:-1] for _, _, starts, _ in parts]
    indptr = np.zeros(len(dense) + 1, dtype=np.int64)
    np.cumsum(sum(lengths), out=indptr[1:])
    index_dtype = np.int32 if max(indptr[-1], sum(part[3] for part in parts)) < 2**31 else np.int64
    data = np.empty(indptr[-1], dtype=np.float32)
    indices = np.empty(indptr[-1], dtype=index_dtype)
    offset, first_column = indptr[:-1].copy(), 0  # where each row's entries of the next block go; its first column
    for (block_data, block_indices, block_starts, width), length in zip(parts, lengths, strict=True):
        # entry j of row r of the block goes to offset[r] + (j - block_starts[r])
        to = np.repeat(offset - block_starts[:-1], length) + np.arange(len(block_data))
        data[to] = block_data
        indices[to] = block_indices + first_column
        offset += length
        first_column += width
    return sp.csr_matrix((data, indices, indptr.astype(index_dtype)), shape=(len(dense), first_column), copy=False)


@dataclass(frozen=True)
class FeatureBlock:
    """A column range of the feature matrix, each column's readable name and (metadata, signals) its ``Feature``."""

    kind: str
    start: int
    names: np.ndarray
    features: tuple[Feature[Any], ...] = ()


@dataclass
class LinearScorer:
    """Linear decision functions over sparse text and dense metadata features, with calibration."""

    labels: tuple[str, ...]
    text_config: TextFeatureConfig
    vectorizers: dict[str, TfidfVectorizer]
    metadata_mean: np.ndarray
    metadata_scale: np.ndarray
    weights: np.ndarray  # (n_features, n_outputs)
    bias: np.ndarray  # (n_outputs,)
    calibration_slope: np.ndarray  # (n_outputs,)
    calibration_intercept: np.ndarray  # (n_outputs,)
    # prices of similar genuine listings per brand (model.market.neighbours), learned in training
    price_reference: NeighbourTable = field(default_factory=NeighbourTable)
    _blocks: list[FeatureBlock] = field(default_factory=list, repr=False)
    _ngrams: dict[str, NgramTfidf] = field(default_factory=dict, repr=False)

    @property
    def outputs(self) -> tuple[str, ...]:
        """The labels followed by ``any``."""
        return (*self.labels, ANY_OUTPUT)

    # ---- features -------------------------------------------------------------------------------
    def build_views(self, listings: Sequence[Listing]) -> list[TextViews]:
        """Text views of each listing, as this scorer's config asks."""
        return [
            build_text_views(
                listing,
                max_description_chars=self.text_config.max_description_chars,
                max_segmented_chars=self.text_config.max_segmented_chars if "segments" in self.vectorizers else 0,
            )
            for listing in listings
        ]

    def read(self, listings: Sequence[Listing], views: Sequence[TextViews]) -> list[ListingReading]:
        """The evidence of each listing (price check against this scorer's reference, brands, lexicon hits)."""
        return [
            read_listing(listing, view, self.price_reference) for listing, view in zip(listings, views, strict=True)
        ]

    def transform(
        self,
        listings: Sequence[Listing],
        views: Sequence[TextViews] | None = None,
        *,
        readings: Sequence[ListingReading] | None = None,
    ) -> sp.csr_matrix:
        """The feature matrix (rows = listings): n-grams, standardised metadata, signals (of ``readings`` if given)."""
        views = self.build_views(listings) if views is None else views
        readings = self.read(listings, views) if readings is None else readings
        if len(self._ngrams) != len(self.vectorizers):  # built on first use: the vectorizers must be fitted
            self._ngrams.update({name: NgramTfidf(vectorizer) for name, vectorizer in self.vectorizers.items()})
        ngrams = [
            self._ngrams[name].transform([getattr(view, TEXT_VIEWS[name]) for view in views])
            for name in self.vectorizers
        ]
        metadata = (build_metadata_matrix(listings) - self.metadata_mean) / self.metadata_scale
        signals = [build_signal_values(reading) for reading in readings]
        dense = [metadata.astype(np.float32), np.asarray(signals, dtype=np.float32).reshape(len(listings), -1)]
        return _join_columns(ngrams, np.hstack(dense))

    def feature_blocks(self) -> list[FeatureBlock]:
        """Column ranges of the feature matrix with a readable name per column (cached)."""
        if not self._blocks:
            start = 0
            for name, vectorizer in self.vectorizers.items():
                names = vectorizer.get_feature_names_out()
                self._blocks.append(FeatureBlock(kind=name, start=start, names=names))
                start += len(names)
            self._blocks.append(FeatureBlock("metadata", start, np.asarray(METADATA_FEATURE_NAMES), METADATA_FEATURES))
            start += len(METADATA_FEATURE_NAMES)
            self._blocks.append(FeatureBlock("signals", start, np.asarray(signal_feature_names()), signal_features()))
        return self._blocks

    # ---- scores ---------------------------------------------------------------------------------
    def decision(self, features: sp.csr_matrix) -> np.ndarray:
        """Raw linear scores, rows = listings, columns = outputs."""
        return np.asarray(features @ self.weights) + self.bias

    def predict_proba(self, features: sp.csr_matrix) -> np.ndarray:
        """Calibrated probabilities, rows = listings, columns = outputs (labels then ``any``)."""
        return apply_sigmoid_calibration(self.decision(features), self.calibration_slope, self.calibration_intercept)

    def contributions(
        self, features: sp.csr_matrix, row: int, output: int, *, kinds: frozenset[str], limit: int = 30
    ) -> list[Contribution]:
        """The strongest positive contributions of one row to an output, strongest first.

        Only features of the given block ``kinds`` count, and names are looked up for the top ``limit``
        alone, so explaining a score stays cheap next to computing it. The row is read straight from the
        CSR arrays: scipy's row slicing costs more than the rest of this. Each column's block is found once,
        for all of them (the blocks tile the columns in order); the top contributions are picked and turned
        into Python numbers with one array operation each, not one per contribution (numpy's per-element
        calls cost more than the arithmetic).
        """
        blocks = self.feature_blocks()
        first, last = features.indptr[row], features.indptr[row + 1]
        columns, values = features.indices[first:last], features.data[first:last]
        owners = np.searchsorted(np.asarray([block.start for block in blocks]), columns, side="right") - 1
        keep = np.asarray([block.kind in kinds for block in blocks])[owners]
        columns, values, owners = columns[keep], values[keep], owners[keep]
        contribution = values * self.weights[columns, output]
        top = np.argsort(-contribution)[:limit]
        top = top[contribution[top] > 0]  # the strongest first, positive ones only
        label = self.outputs[output]
        result = []
        for owner, column, value, weight in zip(
            owners[top].tolist(), columns[top].tolist(), values[top].tolist(), contribution[top].tolist(), strict=True
        ):
            block = blocks[owner]
            column -= block.start
            feature = block.features[column] if block.features else None
            result.append(Contribution(block.kind, str(block.names[column]), value, weight, label, feature))
        return result

    # ---- persistence ----------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        """Write the scorer into an artifact folder (JSON + safetensors + skops)."""
        write_json(
            folder / LINEAR_CONFIG_FILE,
            {
                "labels": list(self.labels),
                "text_config": self.text_config.__dict__,
                "vectorizers": list(self.vectorizers),
                "lexicon_categories": list(load_lexicon().category_ids),
                "metadata_features": list(METADATA_FEATURE_NAMES),
                "signal_features": list(signal_feature_names()),
                "price_reference": self.price_reference.to_dict(),
            },
        )
        save_file(
            {
                "weights": np.ascontiguousarray(self.weights, dtype=np.float32),
                "bias": self.bias.astype(np.float32),
                "metadata_mean": self.metadata_mean.astype(np.float32),
                "metadata_scale": self.metadata_scale.astype(np.float32),
                "calibration_slope": self.calibration_slope.astype(np.float32),
                "calibration_intercept": self.calibration_intercept.astype(np.float32),
            },
            str(folder / LINEAR_WEIGHTS_FILE),
        )
        for vectorizer in self.vectorizers.values():
            # numpy ints would each become a separate array inside the skops zip (minutes for a big vocabulary)
            vectorizer.vocabulary_ = {term: int(index) for term, index in vectorizer.vocabulary_.items()}
        sio.dump(self.vectorizers, folder / LINEAR_VECTORIZERS_FILE)

    @classmethod
    def load(cls, folder: Path) -> LinearScorer:
        """Read a scorer written by ``save``; refuses skops content with any untrusted type."""
        config = read_json(folder / LINEAR_CONFIG_FILE)
        try:
            tensors = load_file(str(folder / LINEAR_WEIGHTS_FILE))
            untrusted = sio.get_untrusted_types(file=folder / LINEAR_VECTORIZERS_FILE)
        except FileNotFoundError as exc:
            raise ArtifactError(f"incomplete linear artifact in {folder}: {exc}") from exc
        if untrusted:
            raise ArtifactError(f"{folder / LINEAR_VECTORIZERS_FILE} contains untrusted types {untrusted}")
        if tuple(config.get("lexicon_categories", ())) != load_lexicon().category_ids:
            raise ArtifactError(
                f"{folder} was trained with lexicon categories {config.get('lexicon_categories')}, but the lexicon "
                f"now has {list(load_lexicon().category_ids)}: retrain with `make train`"
            )
        for block, names in (("metadata", METADATA_FEATURE_NAMES), ("signal", signal_feature_names())):
            if tuple(config.get(f"{block}_features", ())) != names:
                raise ArtifactError(
                    f"{folder} was trained with {block} features {config.get(f'{block}_features')}, but the code now "
                    f"builds {list(names)}: retrain with `make train`"
                )
        vectorizers = sio.load(folder / LINEAR_VECTORIZERS_FILE, trusted=[])
        return cls(
            labels=tuple(config["labels"]),
            text_config=TextFeatureConfig(**config["text_config"]),
            vectorizers={name: vectorizers[name] for name in config["vectorizers"]},
            metadata_mean=tensors["metadata_mean"],
            metadata_scale=tensors["metadata_scale"],
            weights=tensors["weights"],
            bias=tensors["bias"],
            calibration_slope=tensors["calibration_slope"],
            calibration_intercept=tensors["calibration_intercept"],
            price_reference=NeighbourTable.from_dict(config.get("price_reference")),
        )

"""Labelled listings: loading JSONL, label matrices, the seller-grouped split, and real listings from ../shared."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from model.errors import DataError
from model.jsonl import iter_listings
from model.labels import check_labels
from model.schema import Listing

# The real, unlabelled, presumed-lawful listings held out as the false-alarm benchmark: never trained on.
FALSE_ALARM_FILES = ("shopee_beauty.jsonl", "tiki_12cat.jsonl")
# The seed dataset: written from its phrase pools by data/seed/generate.py (deterministic, under a second), not
# committed; seed_listings() writes it when it is not there yet.
SEED_LISTINGS = Path(__file__).resolve().parent.parent / "data" / "seed" / "listings.jsonl"


def seed_listings() -> Path:
    """The seed dataset's file, generated from the phrase pools first if it is not there (a fresh clone)."""
    if not SEED_LISTINGS.is_file():
        generator = SEED_LISTINGS.with_name("generate.py")
        subprocess.run([sys.executable, str(generator)], check=True, stdout=subprocess.DEVNULL)
    return SEED_LISTINGS


def _readable(path: Path) -> Path:
    """``path``, with the seed dataset generated first when that is what it names."""
    return seed_listings() if path.resolve() == SEED_LISTINGS else path


@dataclass(frozen=True)
class Example:
    """A labelled listing and the extra fields its data file carried (e.g. ``style``, ``goods``)."""

    listing: Listing
    extras: dict[str, Any]

    @property
    def group(self) -> str:
        """The split group: the seller, or the listing itself when the seller is unknown."""
        seller = self.listing.seller
        if seller and seller.id:
            return f"seller:{seller.id}"
        return f"listing:{self.listing.id or self.listing.title}"


@dataclass(frozen=True)
class Split:
    """Train / validation / test examples, and how they were split (for the model card)."""

    train: list[Example]
    valid: list[Example]
    test: list[Example]
    description: str  # written to the model card: every split says how it was made
    mode: str = "seller"  # "pool" (the data's split field, by phrase pool) or "seller" (seller hash)


# The extra field of a data line that weighs it in training (reviewed listings: the reviewer's measured reliability).
WEIGHT_FIELD = "weight"


def load_examples(path: Path, *, labels: Sequence[str]) -> list[Example]:
    """Labelled examples from a JSONL file; every label must be one of ``labels``, every ``weight`` in [0, 1]."""
    path = _readable(path)
    if not path.is_file():
        raise DataError(f"labelled data file {path} not found")
    known = set(Listing.model_fields)
    examples = []
    for listing, raw in iter_listings(path):
        try:
            check_labels(listing.labels, allowed=labels)
        except ValueError as exc:
            raise DataError(f"{path}: listing {listing.id or listing.title!r}: {exc}") from exc
        weight = raw.get(WEIGHT_FIELD, 1.0)
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 <= weight <= 1:
            raise DataError(
                f"{path}: listing {listing.id or listing.title!r}: {WEIGHT_FIELD} must be a number in [0, 1], "
                f"found {weight!r}"
            )
        examples.append(Example(listing=listing, extras={k: v for k, v in raw.items() if k not in known}))
    if not examples:
        raise DataError(f"{path} holds no listings")
    return examples


def example_weights(examples: Sequence[Example]) -> np.ndarray:
    """Each example's training weight: its data line's ``weight`` (checked on load), 1 when it has none."""
    return np.asarray([float(e.extras.get(WEIGHT_FIELD, 1.0)) for e in examples], dtype=np.float64)


def load_listings(path: Path) -> list[Listing]:
    """Unlabelled (or labelled) listings from a JSONL file, validated."""
    return [listing for listing, _raw in iter_listings(_readable(path))]


def _unit_hash(text: str, seed: int) -> float:
    """A deterministic number in [0, 1) for a string."""
    digest = hashlib.sha256(f"{seed}:{text}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def sample_examples(examples: list[Example], *, max_listings: int, seed: int) -> list[Example]:
    """A deterministic sample of ``max_listings`` listings (0 = keep all), in the original order.

    Listings, not whole sellers, are drawn, so a small sample still covers every kind of goods (sellers
    sell one kind each); the seller split that follows keeps each sampled seller on one side.
    """
    if not max_listings or len(examples) <= max_listings:
        return examples
    keys = [(_unit_hash(f"{e.group}|{e.listing.id or e.listing.title}", seed + 1), i) for i, e in enumerate(examples)]
    chosen = sorted(i for _, i in sorted(keys)[:max_listings])
    return [examples[i] for i in chosen]


def split_by_seller(examples: list[Example], *, valid_share: float, test_share: float, seed: int) -> Split:
    """Assign whole seller groups to train / valid / test by a hash, so the split is stable and leak-free."""
    train, valid, test = [], [], []
    for example in examples:
        u = _unit_hash(example.group, seed)
        (test if u < test_share else valid if u < test_share + valid_share else train).append(example)
    description = f"by seller (hash of seller id), valid/test shares {valid_share}/{test_share}, seed {seed}"
    return Split(train=train, valid=valid, test=test, description=description)


def label_matrix(listings: Sequence[Listing], labels: Sequence[str]) -> np.ndarray:
    """0/1 matrix, rows = listings, columns = labels; labels outside ``labels`` are not counted."""
    matrix = np.zeros((len(listings), len(labels)), dtype=np.int8)
    for row, listing in enumerate(listings):
        for label in listing.labels:
            if label in labels:
                matrix[row, labels.index(label)] = 1
    return matrix


def find_shared_dir() -> Path | None:
    """The ../shared folder beside the project (or ``SOI_SHARED_DIR``), if it is there."""
    configured = os.environ.get("SOI_SHARED_DIR")
    candidate = Path(configured) if configured else Path(__file__).resolve().parent.parent.parent / "shared"
    return candidate if candidate.is_dir() else None


def load_real_negatives(files: Sequence[str], *, max_listings: int, seed: int) -> tuple[list[Example], list[Path], str]:
    """Presumed-clean real listings for training, a deterministic sample; with the files used and a note.

    Returns no examples, and says why, when ../shared is absent; refuses the false-alarm benchmark files.
    """
    if not files:
        return [], [], "no real negatives configured"
    forbidden = sorted(set(files) & set(FALSE_ALARM_FILES))
    if forbidden:
        raise DataError(f"{forbidden} are the held-out false-alarm benchmark and are never used for training")
    shared = find_shared_dir()
    if shared is None:
        return [], [], "../shared is not present beside the project: training on the seed data alone"
    folder = shared / "data" / "real-listings"
    paths = [folder / name for name in files if (folder / name).is_file()]
    if not paths:
        return [], [], f"none of {list(files)} found in {folder}: training on the seed data alone"
    examples = []
    for path in paths:
        for listing, _raw in iter_listings(path):
            clean = listing.model_copy(update={"labels": []})
            examples.append(Example(listing=clean, extras={"source": "real_negative", "file": path.name}))
    examples = sample_examples(examples, max_listings=max_listings, seed=seed)
    return examples, paths, f"{len(examples)} real presumed-clean listings from {', '.join(p.name for p in paths)}"


def load_false_alarm_listings() -> tuple[list[Listing], str]:
    """The real presumed-lawful benchmark listings, with a note on where they came from (or why not)."""
    shared = find_shared_dir()
    if shared is None:
        return (
            [],
            "../shared is not present beside the project, so the real-listing false-alarm check was skipped",
        )
    folder = shared / "data" / "real-listings"
    paths = [folder / name for name in FALSE_ALARM_FILES]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        return [], f"real-listing files {missing} not found in {folder}; false-alarm check skipped"
    listings = [listing for path in paths for listing in load_listings(path)]
    return listings, f"{len(listings)} real listings from {', '.join(FALSE_ALARM_FILES)}"

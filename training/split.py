"""How labelled data is split into train / valid / test: by phrase pool when the data says so, else by seller.

The seed generator writes, on every listing, ``split`` (``train`` | ``valid`` | ``test``) and ``pool_entry``: it
assigns the split by group on the pool string, so that no pool string of a test listing is used by a training
listing. Test then measures phrasing the model has not seen, not memory of shared phrases. Data without the
field (older seed files, reviewed listings, other benchmarks) is split by a hash of the seller, as before.

``split = "auto"`` (the default) uses the pool split when any listing carries the field and the seller split
otherwise; ``"pool"`` insists on the field; ``"seller"`` ignores it. In a pool split, listings without the field
(reviewed listings merged in by a retrain) are placed by the seller hash.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from model.errors import DataError
from training.config import TrainConfig
from training.dataset import Example, Split, _unit_hash, load_examples, sample_examples, split_by_seller
from training.price_sanity import drop_implausible_clean

SPLIT_FIELD = "split"
POOL_ENTRY_FIELD = "pool_entry"
SPLIT_NAMES = ("train", "valid", "test")
SPLIT_MODES = ("auto", "pool", "seller")


def has_pool_split(examples: Iterable[Example]) -> bool:
    """Whether any example carries the seed generator's ``split`` field."""
    return any(SPLIT_FIELD in example.extras for example in examples)


def resolve_split_mode(mode: str, examples: list[Example]) -> str:
    """``pool`` or ``seller``: what ``mode`` (``auto`` | ``pool`` | ``seller``) means for this data."""
    if mode not in SPLIT_MODES:
        raise DataError(f"split: expected one of {list(SPLIT_MODES)}, found {mode!r}")
    present = has_pool_split(examples)
    if mode == "pool" and not present:
        raise DataError(f"split = 'pool' needs a {SPLIT_FIELD!r} field on the data's listings; none carries one")
    if mode == "auto":
        return "pool" if present else "seller"
    return mode


def _pool_entries(value: Any) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, str):
        return {value}
    if isinstance(value, list | tuple):
        return {str(item) for item in value}
    return {str(value)}


def count_pool_leaks(train: list[Example], test: list[Example]) -> int:
    """Test listings whose ``pool_entry`` some training listing also carries (0 when the generator kept its word)."""
    seen = set().union(*(_pool_entries(e.extras.get(POOL_ENTRY_FIELD)) for e in train)) if train else set()
    return sum(1 for e in test if _pool_entries(e.extras.get(POOL_ENTRY_FIELD)) & seen)


def split_by_pool(examples: list[Example], *, valid_share: float, test_share: float, seed: int) -> Split:
    """The split the data's ``split`` field names; listings without the field go by the seller hash."""
    parts: dict[str, list[Example]] = {name: [] for name in SPLIT_NAMES}
    unassigned = 0
    for example in examples:
        name = example.extras.get(SPLIT_FIELD)
        if name is None:
            unassigned += 1
            u = _unit_hash(example.group, seed)
            name = "test" if u < test_share else "valid" if u < test_share + valid_share else "train"
        elif name not in SPLIT_NAMES:
            raise DataError(
                f"listing {example.listing.id or example.listing.title!r}: {SPLIT_FIELD} must be one of "
                f"{list(SPLIT_NAMES)}, found {name!r}"
            )
        parts[name].append(example)
    leaks = count_pool_leaks(parts["train"], parts["test"])
    description = (
        f"by phrase pool (the data's {SPLIT_FIELD!r} field: no pool string of a test listing is used in training); "
        f"{leaks} test listings share a pool entry with training"
    )
    if unassigned:
        description += f"; {unassigned} listings without the field placed by seller hash (seed {seed})"
    return Split(train=parts["train"], valid=parts["valid"], test=parts["test"], description=description, mode="pool")


def inherit_split(review: Example, seed: Example) -> Example:
    """A reviewed copy of a seed listing keeps the seed's ``split`` and ``pool_entry``, so a review never moves a
    test listing's phrases into training."""
    kept = {key: seed.extras[key] for key in (SPLIT_FIELD, POOL_ENTRY_FIELD) if key in seed.extras}
    return Example(listing=review.listing, extras={**review.extras, **kept}) if kept else review


def split_examples(examples: list[Example], *, mode: str, valid_share: float, test_share: float, seed: int) -> Split:
    """The split of ``examples`` for a config's ``split`` mode; its ``mode`` says which it resolved to."""
    make = split_by_pool if resolve_split_mode(mode, examples) == "pool" else split_by_seller
    return make(examples, valid_share=valid_share, test_share=test_share, seed=seed)


def load_split(config: TrainConfig) -> Split:
    """The config's labelled data, sampled and split (by phrase pool or by seller) exactly as training does it."""
    loaded, dropped = drop_implausible_clean(
        load_examples(config.resolve(config.data_path), labels=config.labels),
        max_description_chars=config.text.max_description_chars,
    )
    examples = sample_examples(loaded, max_listings=config.max_listings, seed=config.seed)
    split = split_examples(
        examples, mode=config.split, valid_share=config.valid_share, test_share=config.test_share, seed=config.seed
    )
    if dropped:
        note = f"; {sum(dropped.values())} generated clean listings priced below 30% of their catalogue product dropped"
        split = replace(split, description=split.description + note)
    return split

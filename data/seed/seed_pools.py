"""The phrase pools of the seed dataset: their schema, and the loader that checks every file against it.

The pools are data (``pools/*.json`` beside this file, format in POOL_FORMAT.md): each file holds an ``about``
text and a list of pools, and each pool is validated by :class:`Pool` or, when ``"kind": "paired"``, by
:class:`PairedPool`. The loader adds the rules a model cannot check on its own: labels from
``model/labels.json`` (read as data), and over all files at once, no string in two pools and each ``goods``
once. A broken file stops the generator with a :class:`PoolError` naming the file, the pool and the field.

The validated pools go to the composer as plain dicts (``model_dump``), the form ``seed_split`` and
``seed_pairs`` read.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter, defaultdict
from functools import cache
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

POOLS_DIR = Path(__file__).resolve().parent / "pools"
DECORATIONS_FILE = Path(__file__).resolve().parent / "decorations.json"
# The label vocabulary is defined once, in the model package; read here as data, not imported.
LABELS_FILE = Path(__file__).resolve().parents[2] / "model" / "labels.json"
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
# The kinds of pool string a listing is composed from (also the split's unit, seed_split.py).
ORDINARY_KINDS = ("products", "title_extras", "descriptions", "social_posts")
PAIRED_KINDS = ("items", "title_extras", "descriptions", "social_posts", "used_extras", "used_descriptions",
                "used_posts")  # fmt: skip


class PoolError(ValueError):
    """A pool file that breaks the format: the message names the file, the pool and the field."""


def _checked_text(text: str) -> str:
    """A pool string: NFC, not blank, no stray whitespace, placeholders only ``{price}`` and ``{product}``."""
    if unicodedata.normalize("NFC", text) != text:
        raise ValueError(f"not NFC-normalised: {text!r}")
    if not text.strip() or text != text.strip():
        raise ValueError(f"blank or padded with spaces: {text!r}")
    unknown = set(PLACEHOLDER.findall(text)) - {"{price}", "{product}"}
    if unknown:
        raise ValueError(f"unknown placeholder {sorted(unknown)} in {text!r}")
    return text


def _ordered(pair: list[Any]) -> list[Any]:
    """A ``[min, max]`` range whose minimum is not above its maximum."""
    if pair[0] > pair[1]:
        raise ValueError(f"{pair}: the minimum is above the maximum")
    return pair


def _distinct(texts: list[str]) -> list[str]:
    """A list with no string twice."""
    repeated = sorted(text for text, count in Counter(texts).items() if count > 1)
    if repeated:
        raise ValueError(f"repeats {repeated}")
    return texts


Text = Annotated[str, AfterValidator(_checked_text)]
# At least one string per side of the split (train, valid, test), none twice.
Strings = Annotated[list[Text], Field(min_length=3), AfterValidator(_distinct)]
PriceRange = Annotated[list[Annotated[int, Field(gt=0)]], Field(min_length=2, max_length=2), AfterValidator(_ordered)]
ShareRange = Annotated[
    list[Annotated[float, Field(gt=0, lt=1)]], Field(min_length=2, max_length=2), AfterValidator(_ordered)
]


class _PoolBase(BaseModel):
    """What every pool has: its goods tag, its labels and the words of its platform fields."""

    model_config = ConfigDict(extra="forbid", strict=True)
    KINDS: ClassVar[tuple[str, ...]] = ORDINARY_KINDS

    goods: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    note: str = ""
    labels: list[str]
    hard_negative: bool
    category: Annotated[list[Text], Field(min_length=1)]
    brands: list[Text]
    title_extras: Strings
    descriptions: Strings
    social_posts: Strings

    def strings(self) -> dict[str, list[str]]:
        """Every composable string of the pool, by kind."""
        return {kind: [e.product if isinstance(e, PairItem) else e for e in getattr(self, kind)] for kind in self.KINDS}

    @field_validator("hard_negative")
    @classmethod
    def _clean_only(cls, hard_negative: bool, info: ValidationInfo) -> bool:
        labels = info.data.get("labels")
        if hard_negative and labels:
            raise ValueError(f"hard_negative is for clean pools (labels []), this one has labels {labels}")
        return hard_negative


class Pool(_PoolBase):
    """An ordinary pool: listings composed from its products, title extras, descriptions and posts."""

    price_vnd: PriceRange
    products: Strings


class PairItem(BaseModel):
    """One product of a paired pool with its genuine new and second-hand price ranges (VND, whole quantity)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    product: Text
    brand: Text
    new: PriceRange
    used: PriceRange | None
    fake_share: ShareRange | None = None


class PairedPool(_PoolBase):
    """A price-pair pool (written by seed_pairs.py): the same words at a genuine, a fake and a sale price."""

    KINDS: ClassVar[tuple[str, ...]] = PAIRED_KINDS

    kind: Literal["paired"]
    fake_labels: Annotated[list[str], Field(min_length=1)]
    items: Annotated[list[PairItem], Field(min_length=3)]
    used_extras: Strings
    used_descriptions: Strings
    used_posts: Strings

    @field_validator("items")
    @classmethod
    def _distinct_products(cls, items: list[PairItem]) -> list[PairItem]:
        _distinct([item.product for item in items])
        return items

    @field_validator("social_posts", "used_posts")
    @classmethod
    def _posts_name_the_price(cls, posts: list[str]) -> list[str]:
        missing = [post for post in posts if "{price}" not in post]
        if missing:
            raise ValueError(f"posts without {{price}}: {missing}")
        return posts


class PoolFile(BaseModel):
    """One pools file: what its pools are about, and the pools (validated one by one, see ``load_pool_file``)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    about: str
    pools: Annotated[list[dict[str, Any]], Field(min_length=1)]


class Decorations(BaseModel):
    """``decorations.json``: the words every seller uses, shared by clean and risky listings."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    about: str
    cities: Strings
    border_towns: Strings
    abroad: Strings
    title_prefixes: Strings
    title_suffixes: Strings
    marketplace_lines: Strings
    social_lines: Strings
    teencode: list[tuple[Text, Text]]  # (word, its teencode)
    emoji_standins: list[tuple[Text, Text]]  # (phrase, the emoji written instead)
    shop_words: Strings
    shop_names: Strings


@cache
def load_decorations(path: Path = DECORATIONS_FILE) -> Decorations:
    """The shared decorations, validated; a :class:`PoolError` names the file and the field at fault."""
    try:
        return Decorations.model_validate_json(path.read_bytes(), strict=False)
    except ValidationError as error:
        raise PoolError(f"{path.name}: {_field_errors(error)}") from None


def allowed_labels() -> frozenset[str]:
    """The labels a pool may carry: the default labels of ``model/labels.json``."""
    return frozenset(json.loads(LABELS_FILE.read_text(encoding="utf-8"))["default"])


def _where(path: Path, index: int, raw: Any) -> str:
    """``file, pool 'goods' (#n)`` for error messages."""
    goods = raw.get("goods") if isinstance(raw, dict) else None
    return f"{path.name}, pool {goods!r} (#{index + 1})"


def _field_errors(error: ValidationError) -> str:
    """Each failing field of a validation error as ``field: message``."""
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or '(pool)'}: {e['msg']}" for e in error.errors())


def load_pool_file(path: Path, labels: frozenset[str]) -> list[Pool | PairedPool]:
    """The pools of one file, each validated; a :class:`PoolError` names the file, pool and field at fault."""
    try:
        document = PoolFile.model_validate_json(path.read_bytes())
    except ValidationError as error:
        raise PoolError(f"{path.name}: {_field_errors(error)}") from None
    pools: list[Pool | PairedPool] = []
    for index, raw in enumerate(document.pools):
        model = PairedPool if raw.get("kind") == "paired" else Pool
        try:
            pool = model.model_validate(raw)
        except ValidationError as error:
            raise PoolError(f"{_where(path, index, raw)}: {_field_errors(error)}") from None
        unknown = sorted((set(pool.labels) | set(getattr(pool, "fake_labels", ()))) - labels)
        if unknown:
            known = f"{sorted(labels)} (model/labels.json)"
            raise PoolError(f"{_where(path, index, raw)}: labels: {unknown} not in {known}")
        pools.append(pool)
    return pools


def check_across_pools(pools: dict[str, list[Pool | PairedPool]]) -> None:
    """The rules over all files: each ``goods`` once, and no string in two pools (a phrase has one home)."""
    homes: dict[str, list[str]] = defaultdict(list)
    owners: dict[str, list[str]] = defaultdict(list)
    for name, file_pools in pools.items():
        for pool in file_pools:
            owners[pool.goods].append(name)
            for texts in pool.strings().values():
                for text in set(texts):
                    homes[text].append(f"{name}:{pool.goods}")
    twice = sorted(goods for goods, files in owners.items() if len(files) > 1)
    if twice:
        raise PoolError(f"goods used by more than one pool: {twice}")
    shared = {text: where for text, where in sorted(homes.items()) if len(where) > 1}
    if shared:
        listed = "; ".join(f"{text!r} in {', '.join(where)}" for text, where in list(shared.items())[:10])
        raise PoolError(f"{len(shared)} strings are in more than one pool (each belongs to one): {listed}")


def load_pool_models(directory: Path = POOLS_DIR) -> list[Pool | PairedPool]:
    """Every pool of every ``*.json`` file in ``directory`` (file name order), validated."""
    labels = allowed_labels()
    files = sorted(directory.glob("*.json"))
    if not files:
        raise PoolError(f"no pool files (*.json) in {directory}")
    pools = {path.name: load_pool_file(path, labels) for path in files}
    check_across_pools(pools)
    return [pool for file_pools in pools.values() for pool in file_pools]


def load_pools(directory: Path = POOLS_DIR) -> list[dict[str, Any]]:
    """Every pool, validated, as the plain dicts the composer reads (absent optional fields stay absent)."""
    return [pool.model_dump(exclude_unset=True) for pool in load_pool_models(directory)]

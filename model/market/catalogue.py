"""The product catalogue: genuine Vietnamese retail prices per product and variant, as data validated on load.

One JSON file per kind of goods in ``model/market/catalogue/`` (format: ``notes/market_contract.md``). Each entry
is validated by a pydantic model; a bad entry fails with its file, its index and id, and the field at fault.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from model.errors import CatalogueError

CATALOGUE_DIR = Path(__file__).with_name("catalogue")

PriceRange = tuple[Annotated[int, Field(gt=0)], Annotated[int, Field(gt=0)]]


class Product(BaseModel):
    """One product variant with its genuine price range (one unit of ``unit``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=120)
    brand: str = Field(min_length=1, max_length=80)
    line: str = Field(min_length=1, max_length=120)
    variant: str = Field(default="", max_length=60)
    aliases: list[Annotated[str, Field(min_length=2, max_length=80)]] = Field(min_length=1, max_length=12)
    unit: str = Field(min_length=1, max_length=30)
    price_vnd: PriceRange
    used_price_vnd: PriceRange | None = None
    year: int = Field(ge=2015, le=2030)
    source: str = Field(min_length=1, max_length=300)
    checked: bool = False

    @field_validator("aliases")
    @classmethod
    def _aliases_lower_case(cls, aliases: list[str]) -> list[str]:
        for alias in aliases:
            if alias != alias.strip().lower():
                raise ValueError(f"aliases are written in lower case without outer spaces, found {alias!r}")
        return aliases

    @model_validator(mode="after")
    def _ranges_ordered(self) -> Product:
        for name in ("price_vnd", "used_price_vnd"):
            value = getattr(self, name)
            if value is not None and value[0] > value[1]:
                raise ValueError(f"{name}: low {value[0]} is above high {value[1]}")
        return self

    @property
    def name(self) -> str:
        """The line and variant as a reviewer reads them: 'iPhone 15 Pro Max 256GB'."""
        return f"{self.line} {self.variant}".strip()


class CatalogueFile(BaseModel):
    """The header of one catalogue file (its products are validated one by one)."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(pattern=r"^[a-z_]+$")
    name_vi: str = Field(min_length=1)
    products: list[dict]


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: matchers cache their index per catalogue
class Catalogue:
    """Every product of every kind, with the kind of each."""

    products: tuple[Product, ...]
    kinds: dict[str, str]  # product id -> kind

    def __len__(self) -> int:
        return len(self.products)


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "(entry)"
    return f"field {field!r}: {first['msg']}"


def load_catalogue_file(path: Path) -> tuple[str, list[Product]]:
    """(kind, products) of one catalogue file; raises ``CatalogueError`` naming the file, entry and field."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CatalogueError(f"{path}: not a readable JSON file: {exc}") from exc
    try:
        header = CatalogueFile.model_validate(raw)
    except ValidationError as exc:
        raise CatalogueError(f"{path}: {_describe(exc)}") from exc
    products = []
    for index, entry in enumerate(header.products):
        try:
            products.append(Product.model_validate(entry))
        except ValidationError as exc:
            entry_id = entry.get("id") if isinstance(entry, dict) else None
            raise CatalogueError(f"{path}: entry {index} (id {entry_id!r}): {_describe(exc)}") from exc
    return header.kind, products


def load_catalogue(directory: Path | None = None) -> Catalogue:
    """Every ``*.json`` catalogue file of ``directory`` (default ``model/market/catalogue``), validated; cached.

    An absent directory is an empty catalogue. Ids must be unique across files.
    """
    # no resolve(): a file-system call per listing scored; no Path() of the default either (it is one already)
    return _load(CATALOGUE_DIR if directory is None else Path(directory))


@lru_cache(maxsize=8)
def _load(directory: Path) -> Catalogue:
    products: list[Product] = []
    kinds: dict[str, str] = {}
    where: dict[str, Path] = {}
    for path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
        kind, found = load_catalogue_file(path)
        for index, product in enumerate(found):
            if product.id in where:
                raise CatalogueError(
                    f"{path}: entry {index} (id {product.id!r}): field 'id': already used in {where[product.id]}"
                )
            where[product.id] = path
            kinds[product.id] = kind
            products.append(product)
    return Catalogue(products=tuple(products), kinds=kinds)


def catalogue_fingerprint(directory: Path | None = None) -> dict[str, object]:
    """What a model card records of the catalogue a model was trained with: product count and a SHA-256 of its files.

    The catalogue is read at scoring time, so a changed catalogue changes the price features without retraining;
    comparing this with the catalogue being served says whether that happened.
    """
    digest = hashlib.sha256()
    root = Path(directory or CATALOGUE_DIR)
    for path in sorted(root.glob("*.json")) if root.is_dir() else []:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return {"products": len(load_catalogue(root).products), "sha256": digest.hexdigest()}

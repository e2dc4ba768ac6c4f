"""Which catalogue product a listing sells: alias lookup, brand consistency, accessories refused, variant chosen.

Aliases are looked up as token n-grams in a dictionary (``model.market.phrases``): linear in the text, whatever
the catalogue's size. Only the title is read: descriptions list other goods ("tặng kèm", "shop còn bán"), and a
product named only there is left unmatched rather than mistaken. A listing that sells something *for*
a product ("ốp lưng iPhone 15 Pro Max", "sạc cho iPhone", "cường lực") matches nothing. The variant is the one the
text writes ("256GB", "0.7l"); when none is written, the cheapest variant of the line, so that a price is never
compared with a dearer variant than the one sold (fewer false alarms). A title that names goods of other kinds than
the product's ("Thắt lưng Gucci GG Marmont" is a belt, not the bag) matches nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from model.folding import fold_diacritics
from model.market.catalogue import Catalogue, Product
from model.market.phrases import PhraseIndex, tokenize
from model.market.quantity import Variant, parse_variant, read_variants
from model.market.words import load_words

# How many words before a product name are checked for "cho", "sạc", "ốp" (an accessory for the product).
BEFORE_WINDOW = 2


@dataclass(frozen=True)
class ProductMatch:
    """The catalogue product a listing sells, the alias that named it, and whether its variant was read."""

    product: Product
    alias: str
    variant_read: bool


@dataclass(frozen=True)
class _CatalogueIndex:
    aliases: PhraseIndex[tuple[str, str]]  # alias -> (brand, line)
    lines: dict[tuple[str, str], tuple[tuple[Product, Variant | None], ...]]  # cheapest first


@lru_cache(maxsize=8)  # keyed by catalogue objects (identity), a handful per process
def _catalogue_index(catalogue: Catalogue) -> _CatalogueIndex:
    lines: dict[tuple[str, str], list[Product]] = {}
    pairs: list[tuple[str, tuple[str, str]]] = []
    for product in catalogue.products:
        key = (product.brand, product.line)
        lines.setdefault(key, []).append(product)
        pairs += [(fold_diacritics(alias), key) for alias in product.aliases]
    return _CatalogueIndex(
        aliases=PhraseIndex.build(pairs),
        lines={
            key: tuple((p, parse_variant(p.variant)) for p in sorted(found, key=lambda p: p.price_vnd[0]))
            for key, found in lines.items()
        },
    )


@cache
def _accessory_indexes() -> tuple[PhraseIndex[bool], PhraseIndex[bool]]:
    words = load_words()["accessory"]
    anywhere = PhraseIndex.build((phrase, True) for phrase in words["anywhere"])
    before = PhraseIndex.build((phrase, True) for phrase in words["before"])
    return anywhere, before


@cache
def _goods_index() -> PhraseIndex[frozenset[str]]:
    return PhraseIndex.build(
        (word, frozenset(group["kinds"])) for group in load_words()["goods"] for word in group["words"]
    )


def named_kinds(normalized_title: str) -> list[frozenset[str]]:
    """The kinds of goods a normalised title names, one set of catalogue kinds per word ("giày" -> shoes)."""
    return [kinds for _start, _end, kinds in _goods_index().find(tokenize(normalized_title))]


def is_accessory_title(title_tokens: Sequence[str]) -> bool:
    """Whether a (folded) title names an accessory or part ("ốp lưng", "cường lực", "dây đeo", "chiết")."""
    return any(True for _ in _accessory_indexes()[0].find(title_tokens))


def _accessory_before(tokens: Sequence[str], start: int) -> bool:
    window = tokens[max(0, start - BEFORE_WINDOW) : start]
    return any(True for _ in _accessory_indexes()[1].find(window))


def _same_brand(listing_brand: str | None, product: Product) -> bool:
    return listing_brand is None or fold_diacritics(listing_brand).lower() == fold_diacritics(product.brand).lower()


def _find_line(
    tokens: Sequence[str], index: _CatalogueIndex, brand: str | None
) -> tuple[tuple[str, str], str] | bool | None:
    """The longest alias in ``tokens`` of a line of the listing's brand, unless an accessory word precedes it.

    None when no alias is written; False when aliases are written but none fits (another brand, an accessory).
    """
    found = sorted(index.aliases.find(tokens), key=lambda hit: (hit[0] - hit[1], hit[0]))
    if not found:
        return None
    for start, end, key in found:
        if not _same_brand(brand, index.lines[key][0][0]):
            continue
        if _accessory_before(tokens, start):
            return False
        return key, " ".join(tokens[start:end])
    return False


def _choose_variant(
    variants: tuple[tuple[Product, Variant | None], ...], written: tuple[Variant, ...]
) -> tuple[Product, bool] | None:
    """The cheapest variant of the line that the text writes, else the cheapest variant of the line.

    None when the text writes a variant of the line's kind that the catalogue does not have ("3x20ml" of a
    perfume sold in 50 and 100 ml): the product sold is not one the catalogue prices.
    """
    for product, variant in variants:
        if variant is not None and variant in written:
            return product, True
    kinds = {variant.kind for _product, variant in variants if variant is not None}
    if any(variant.kind in kinds for variant in written):
        return None
    return variants[0][0], False


def match_product(title_normalized: str, brand: str | None, catalogue: Catalogue) -> ProductMatch | None:
    """The catalogue product a listing's title (normalised: lower case, tone marks kept) names, or None.

    ``brand`` is the listing's canonical brand, if known: a product of another brand is not matched.
    """
    index = _catalogue_index(catalogue)
    if not index.lines:
        return None
    title_folded = fold_diacritics(title_normalized)
    title_tokens = tokenize(title_folded)
    # the aliases first: most titles name no product, and then the accessory words are not looked for (a title that
    # names an accessory matches nothing either way, so the order changes nothing else)
    line = _find_line(title_tokens, index, brand)
    if not line or is_accessory_title(title_tokens):
        return None
    key, alias = line  # type: ignore[misc]
    chosen = _choose_variant(index.lines[key], read_variants(title_folded))
    if chosen is None:
        return None
    named = named_kinds(title_normalized)
    if named and not any(catalogue.kinds.get(chosen[0].id) in kinds for kinds in named):
        return None
    return ProductMatch(product=chosen[0], alias=alias, variant_read=chosen[1])

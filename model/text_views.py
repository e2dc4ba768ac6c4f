"""A listing's text in the forms the scorers read (``TextViews``), and what is read off it directly: the brand,
the price, misspelt brands. Built once per listing, the same for training and serving."""

from __future__ import annotations

from dataclasses import dataclass

from model.brand_evasion import EvasiveBrand
from model.brands import brand_of, is_misspelt
from model.deobfuscation import first_price_mention
from model.lexicon import LexiconHit, load_lexicon
from model.schema import Listing
from model.signals import TextSignals
from model.text import read_text, segment_words


@dataclass(frozen=True)
class TextViews:
    """The text of one listing in the forms the scorers read, and what was read out of it."""

    raw: str
    surface: str  # as written: case, repeated letters, punctuation and emoji kept (markup and URLs removed)
    normalized: str
    folded: str
    segmented: str
    signals: TextSignals
    brands: tuple[tuple[str, str], ...]  # (as found in folded text, canonical brand)
    lexicon_hits: tuple[LexiconHit, ...]
    innocent_hits: int  # lexicon phrases that use risky words innocently ("cây ngà voi", "cỏ mèo")
    text_price: float | None  # the first price written in the text ("giá 350k"), if any
    evasive_brands: tuple[EvasiveBrand, ...] = ()  # brands written with symbols or hinted ("D!or", "khóa CC")


def build_listing_text(listing: Listing, *, max_description_chars: int) -> str:
    """Title, brand, category and the start of the description, as one string for the models."""
    parts = [listing.title, listing.brand or "", listing.category or ""]
    if listing.description:
        parts.append(listing.description[:max_description_chars])
    return " . ".join(part for part in parts if part)


def build_text_views(listing: Listing, *, max_description_chars: int, max_segmented_chars: int) -> TextViews:
    """Normalised, diacritic-folded and word-segmented views of a listing's text.

    Word segmentation is the slowest step of scoring, so only the first ``max_segmented_chars`` characters
    (title, brand, category and the start of the description) are segmented; 0 turns it off.
    """
    raw = build_listing_text(listing, max_description_chars=max_description_chars)
    read = read_text(raw)
    hits, innocent = load_lexicon().match_with_context(read.folded, raw)
    return TextViews(
        raw=raw,
        surface=read.surface,
        normalized=read.normalized,
        folded=read.folded,
        segmented=segment_words(read.normalized[:max_segmented_chars]) if max_segmented_chars > 0 else "",
        signals=read.signals,
        brands=read.brands,
        lexicon_hits=tuple(hits),
        innocent_hits=innocent,
        text_price=first_price_mention(read.normalized),
        evasive_brands=read.evasive_brands,
    )


def listing_brand(listing: Listing, views: TextViews) -> str | None:
    """The canonical brand of a listing: its brand field if that is a known brand, else the first one in its text."""
    if listing.brand:
        canonical = brand_of(listing.brand)
        if canonical:
            return canonical
    return views.brands[0][1] if views.brands else None


def listing_price(listing: Listing, views: TextViews) -> float | None:
    """The listing's price, or the first price written in its text when the price field is empty."""
    return listing.price if listing.price is not None else views.text_price


def misspelt_brands(views: TextViews) -> list[tuple[str, str]]:
    """(as written, canonical) for brands the text spells other than any known way ("rolexx", "lui vuiton")."""
    return [(written, canonical) for written, canonical in views.brands if is_misspelt(written)]

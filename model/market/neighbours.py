"""The learned price reference for listings the catalogue does not know: prices of similar genuine listings.

Fitted in training from clean listings (and the usable real listings): per canonical brand, a bounded set of
(title tokens, price). At scoring, the listings of the same brand whose titles share words with this one are
found through an inverted index (token -> entries), ranked by Jaccard similarity of title tokens; the median
price of the ``k`` most similar at or above ``min_similarity`` is the reference, and it counts only when it rests
on at least ``min_neighbours`` of them. Persisted in the model artifact as JSON (``to_dict`` / ``from_dict``).
"""

from __future__ import annotations

import hashlib
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from itertools import chain
from typing import Any

from model.folding import fold_diacritics
from model.market.match import is_accessory_title
from model.market.phrases import tokenize
from model.market.words import load_words
from model.text import normalize_text

MAX_TITLE_CHARS = 300
MAX_TITLE_TOKENS = 40
PER_BRAND_CAP = 300
K = 15
MIN_SIMILARITY = 0.3
MIN_NEIGHBOURS = 3
# Accessories of a brand's products ("dây đeo Apple Watch") are kept apart from the products themselves: each is
# compared only with its own kind, so a strap is never priced against watches, nor a watch against straps.
ACCESSORY_SUFFIX = " (phụ kiện)"


@cache
def _stop_words() -> frozenset[str]:
    return frozenset(load_words()["title_stop_words"])


def folded_title(title: str) -> str:
    """The form of a title the table reads: its first ``MAX_TITLE_CHARS`` characters normalised and folded."""
    return fold_diacritics(normalize_text(title[:MAX_TITLE_CHARS]))


def title_tokens(title: str) -> frozenset[str]:
    """The distinct words of a title that say what it is: folded, without stop words and single letters."""
    return folded_title_tokens(folded_title(title))


def folded_title_tokens(folded: str) -> frozenset[str]:
    """``title_tokens`` of a title already read by ``folded_title``: the price check has it, and reading a title
    costs more than the rest of the look-up."""
    stop = _stop_words()
    words = [token for token in tokenize(folded) if len(token) > 1 and token not in stop]
    return frozenset(list(dict.fromkeys(words))[:MAX_TITLE_TOKENS])


def neighbour_key(brand: str, title: str) -> str:
    """The table key of a listing: its brand, or its brand's accessories when the title names an accessory."""
    return folded_neighbour_key(brand, folded_title(title))


def folded_neighbour_key(brand: str, folded: str) -> str:
    """``neighbour_key`` of a title already read by ``folded_title``."""
    return brand + ACCESSORY_SUFFIX if is_accessory_title(tokenize(folded)) else brand


@dataclass(frozen=True)
class Neighbours:
    """The median price of similar listings of a brand, and how many it rests on."""

    median_price_vnd: float
    count: int
    mean_similarity: float


@dataclass(frozen=True, eq=False)
class NeighbourTable:
    """Per brand, (title tokens, price) of genuine listings; searched through a per-brand inverted index."""

    entries: dict[str, tuple[tuple[frozenset[str], float], ...]] = field(default_factory=dict)
    k: int = K
    min_similarity: float = MIN_SIMILARITY
    min_neighbours: int = MIN_NEIGHBOURS
    _postings: dict[str, dict[str, tuple[int, ...]]] = field(default_factory=dict, repr=False)
    _sizes: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False)  # per brand, tokens per row

    def __post_init__(self) -> None:
        for brand, rows in self.entries.items():
            postings: dict[str, list[int]] = {}
            for row, (tokens, _price) in enumerate(rows):
                for token in tokens:
                    postings.setdefault(token, []).append(row)
            self._postings[brand] = {token: tuple(rows) for token, rows in postings.items()}
            self._sizes[brand] = tuple(len(tokens) for tokens, _price in rows)

    def __len__(self) -> int:
        return sum(len(rows) for rows in self.entries.values())

    def nearest(self, brand: str, tokens: frozenset[str]) -> Neighbours | None:
        """The reference of a title's tokens among its brand's listings, or None when too few are similar."""
        postings, rows = self._postings.get(brand), self.entries.get(brand)
        if not postings or not rows or not tokens:
            return None
        # the rows sharing words with the title, and how many: counted by ``Counter`` in C (a word of the brand's
        # name is in nearly every row of the brand, so this is the look-up's longest loop)
        shared = Counter(chain.from_iterable([postings.get(token, ()) for token in tokens]))
        size, sizes, least = len(tokens), self._sizes[brand], self.min_similarity
        scored = []
        for row, common in shared.items():
            similarity = common / (size + sizes[row] - common)
            if similarity >= least:
                scored.append((similarity, row))
        if len(scored) < self.min_neighbours:
            return None
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        best = scored[: self.k]
        return Neighbours(
            median_price_vnd=float(statistics.median(rows[row][1] for _s, row in best)),
            count=len(best),
            mean_similarity=sum(s for s, _row in best) / len(best),
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form for the artifact: brand -> [[space-joined sorted tokens, price], ...]."""
        return {
            "k": self.k,
            "min_similarity": self.min_similarity,
            "min_neighbours": self.min_neighbours,
            "brands": {
                brand: [[" ".join(sorted(tokens)), price] for tokens, price in rows]
                for brand, rows in sorted(self.entries.items())
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> NeighbourTable:
        """The table ``to_dict`` wrote; an empty table for anything else (an older artifact's brand medians)."""
        if not data or not isinstance(data.get("brands"), dict):
            return cls()
        entries = {
            brand: tuple((frozenset(tokens.split()), float(price)) for tokens, price in rows)
            for brand, rows in data["brands"].items()
        }
        return cls(
            entries=entries,
            k=int(data.get("k", K)),
            min_similarity=float(data.get("min_similarity", MIN_SIMILARITY)),
            min_neighbours=int(data.get("min_neighbours", MIN_NEIGHBOURS)),
        )


def _stable_rank(tokens: frozenset[str], price: float) -> str:
    return hashlib.sha1(f"{' '.join(sorted(tokens))}|{price}".encode()).hexdigest()


def fit_neighbour_table(
    items: Iterable[tuple[str, str, float]], *, per_brand_cap: int = PER_BRAND_CAP
) -> NeighbourTable:
    """A table from (canonical brand, title, price) of genuine listings; at most ``per_brand_cap`` per brand.

    Keys are ``neighbour_key``s (a brand's accessories apart). Duplicates (same tokens and price) count once; a
    brand with more listings keeps a deterministic sample.
    """
    by_brand: dict[str, dict[tuple[frozenset[str], float], None]] = {}
    for brand, title, price in items:
        tokens = title_tokens(title)
        if brand and tokens and price > 0:
            by_brand.setdefault(neighbour_key(brand, title), {})[(tokens, float(price))] = None
    entries = {}
    for brand, rows in sorted(by_brand.items()):
        kept = sorted(rows, key=lambda row: _stable_rank(*row))[:per_brand_cap]
        entries[brand] = tuple(kept)
    return NeighbourTable(entries=entries)

"""Brand names, canonicalised: sellers misspell brands on purpose ("Rolexx", "Lui Vuiton", "Addidas").

Brands come from ``lexicon/brands.json``. Matching works on diacritic-folded, lower-cased text: exact names and
aliases first, then close misspellings (edit distance that grows with the name's length) of names of five
letters or more of non-Vietnamese names, so everyday words are not turned into brands.

Reading is linear in the text and its memory bounded: a spelling longer than any brand's (plus the widest
misspelling allowed) is refused before any work and never cached, words are remembered (``_brands_of_words``) only
up to that length and ``WORD_BRANDS_SIZE`` of them, and at most ``MAX_BRANDS_FOUND`` distinct brand spellings are
read out of one text, so rewriting them stays a bounded number of passes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import compress, pairwise
from operator import itemgetter
from pathlib import Path

from model.folding import fold_diacritics
from model.spelling import VIETNAMESE, allowed_distance, edit_distance, fuzzy_ok, second_initial

BRANDS_FILE = Path(__file__).with_name("lexicon") / "brands.json"
_TOKEN = re.compile(r"[a-z0-9&']+")
_NOT_TOKEN = bytes(c if re.fullmatch(_TOKEN, chr(c)) else ord(" ") for c in range(256))  # for ``_tokens``
# Distinct (as written, brand) pairs read out of one text: a real listing names one or two brands; a text naming
# more is a list of brands or an attack, and every further one would cost a pass over the text.
MAX_BRANDS_FOUND = 16
MATCH_CACHE_SIZE = 65_536
WORD_BRANDS_SIZE = 65_536
_word_brands: dict[str, str] = {}  # word -> the brand it names alone, "" for none (``_brands_of_words``)


@dataclass(frozen=True)
class BrandIndex:
    """Folded spellings -> canonical brand name, split by how many words the spelling has."""

    exact: dict[str, str]
    fuzzy_one: dict[int, list[tuple[str, str]]]  # length -> [(spelling, canonical)] of one-word names
    fuzzy_two: dict[int, list[tuple[str, str]]]  # the same for two-word names
    kinds: dict[str, str]
    min_price_vnd: dict[str, float]  # canonical -> lowest price of a genuine new item, where one is known

    @property
    def longest_match(self) -> int:
        """The longest spelling that can match a brand: the longest spelling plus the widest misspelling."""
        longest = max((len(spelling) for spelling in self.exact), default=0)
        return longest + allowed_distance(longest + 3)


def _fold(text: str) -> str:

    return fold_diacritics(text).lower()


@cache
def load_brand_index() -> BrandIndex:
    """The brand index from ``brands.json`` (empty if the file is absent)."""
    exact: dict[str, str] = {}
    fuzzy_one: dict[int, list[tuple[str, str]]] = {}
    fuzzy_two: dict[int, list[tuple[str, str]]] = {}
    kinds: dict[str, str] = {}
    min_price: dict[str, float] = {}
    if BRANDS_FILE.is_file():
        for brand in json.loads(BRANDS_FILE.read_text(encoding="utf-8"))["brands"]:
            canonical = brand["name"]
            kinds[canonical] = brand.get("kind", "")
            if brand.get("min_price_vnd"):
                min_price[canonical] = float(brand["min_price_vnd"])
            vietnamese = bool(VIETNAMESE.search(canonical.lower()))
            for written in {canonical, *brand.get("aliases", [])}:
                spelling = _fold(written)
                exact[spelling] = canonical
                if not vietnamese and fuzzy_ok(written, spelling):
                    target = fuzzy_one if " " not in spelling else fuzzy_two
                    target.setdefault(len(spelling), []).append((spelling, canonical))
    return BrandIndex(exact=exact, fuzzy_one=fuzzy_one, fuzzy_two=fuzzy_two, kinds=kinds, min_price_vnd=min_price)


def match_brand(spelling: str) -> str | None:
    """The canonical brand a folded one- or two-word spelling stands for, exactly or as a close misspelling.

    A spelling too long to be any brand is answered at once and not cached: cache keys stay short.
    """
    if len(spelling) > _longest_match():
        return None
    return _match_brand(spelling)


@cache
def _longest_match() -> int:
    return load_brand_index().longest_match


@lru_cache(maxsize=MATCH_CACHE_SIZE)
def _match_brand(spelling: str) -> str | None:
    index = load_brand_index()
    if spelling in index.exact:
        return index.exact[spelling]
    compact = spelling.replace(" ", "")
    if len(compact) < 6 or compact.isdigit():
        return None
    return _closest_misspelt(spelling)


def _closest_misspelt(spelling: str) -> str | None:
    """The brand whose fuzzy spelling is closest to ``spelling`` within the allowed distance (the first in the
    index's order at the smallest distance), if any."""
    two_words = " " in spelling
    widest = allowed_distance(len(spelling) + 3)
    letters, initials = set(spelling), (spelling[0], second_initial(spelling) if two_words else "")
    by_length = _fuzzy_candidates().get((two_words, *initials))
    if by_length is None:  # most words: no brand spelling has their initials
        return None
    best: tuple[int, str] | None = None
    for length in range(len(spelling) - widest, len(spelling) + widest + 1):
        for candidate, canonical, candidate_letters in by_length.get(length, ()):
            limit = allowed_distance(max(len(spelling), len(candidate)))
            if len(letters ^ candidate_letters) > 2 * limit:  # cheap bound before the full distance
                continue
            distance = edit_distance(spelling, candidate, limit)
            if distance <= limit and (best is None or distance < best[0]):
                best = (distance, canonical)
    return best[1] if best else None


@cache
def _fuzzy_candidates() -> dict[tuple[bool, str, str], dict[int, tuple[tuple[str, str, frozenset[str]], ...]]]:
    """The spellings misspellings may match, grouped by (two words?, first letter, first letter of the second word or
    "" for one word) and then by length, each with its canonical brand and its letters: a misspelling keeps its
    initials, so only the candidates of its group are compared with it (in the index's order), not every one of a
    length."""
    index = load_brand_index()
    groups: dict[tuple[bool, str, str], dict[int, list[tuple[str, str, frozenset[str]]]]] = {}
    for two_words, table in ((False, index.fuzzy_one), (True, index.fuzzy_two)):
        for length, spellings in table.items():
            for spelling, canonical in spellings:
                key = (two_words, spelling[0], second_initial(spelling) if two_words else "")
                group = groups.setdefault(key, {}).setdefault(length, [])
                group.append((spelling, canonical, frozenset(spelling)))
    return {key: {length: tuple(group) for length, group in by_length.items()} for key, by_length in groups.items()}


def brand_of(text: str) -> str | None:
    """The canonical brand a free-text brand field names ('ROLEXX ' -> 'Rolex'), if it names a known one."""
    return match_brand(" ".join(_fold(text).split()))


def brand_min_price(canonical: str) -> float | None:
    """The lowest price of a genuine new item of a brand (``min_price_vnd`` in brands.json), if known."""
    return load_brand_index().min_price_vnd.get(canonical)


def is_misspelt(written: str) -> bool:
    """Whether a brand found in folded text was written other than as any of its known spellings.

    Spaces, apostrophes and hyphens do not count ("bitis hunter" is Biti's Hunter, "rayban" is Ray-Ban).
    """
    return _compact(written) not in _compact_spellings()


def _compact(spelling: str) -> str:
    return re.sub(r"[^a-z0-9&]", "", spelling)


@cache
def _compact_spellings() -> frozenset[str]:
    return frozenset(_compact(spelling) for spelling in load_brand_index().exact)


def _add_found(found: dict[tuple[str, str], None], written: str, canonical: str) -> bool:
    """Add a brand spelling to an ordered set of them; False (nothing added) once ``MAX_BRANDS_FOUND`` are in."""
    if len(found) >= MAX_BRANDS_FOUND and (written, canonical) not in found:
        return False
    found[(written, canonical)] = None
    return True


@cache
def _initials() -> tuple[frozenset[str], frozenset[tuple[str, str]]]:
    """First letters a one-word spelling, and first letters of both words a two-word spelling, needs to match any
    brand (exactly or misspelt: fuzzy matching keeps the initials). Most words fail this test in a set lookup."""
    index = load_brand_index()
    spellings = [*index.exact, *(s for group in index.fuzzy_two.values() for s, _ in group)]
    one = frozenset(spelling[0] for spelling in index.exact if " " not in spelling)
    two = frozenset((spelling[0], second_initial(spelling)) for spelling in spellings if " " in spelling)
    return one | {spelling[0] for group in index.fuzzy_one.values() for spelling, _ in group}, two


def _tokens(text: str) -> list[str]:
    """``_TOKEN.findall(text)`` in C passes: each character beyond ASCII made "?", then every character outside the
    token characters a space (``bytes.translate``, a table lookup per byte), the rest split at the spaces. The regex
    tries each position of the text in turn, three times slower."""
    return text.encode("ascii", "replace").translate(_NOT_TOKEN).decode("ascii").split()


def _brands_of_words(tokens: list[str]) -> list[str]:
    """The brand each word names alone ("" for none), in the words' order.

    Listings are written in a few thousand words, so each word's answer is remembered (``_word_brands``) and looked
    up in C (``map(dict.get)``) where testing its initials cost a Python call per word. A word longer than any brand
    spelling names none and is not remembered; the memory is emptied when it holds ``WORD_BRANDS_SIZE`` words.
    """
    brands = list(map(_word_brands.get, tokens))
    if None in brands:  # words not seen yet
        one, _two = _initials()
        exact = load_brand_index().exact
        for i, token in enumerate(tokens):
            if brands[i] is None:
                named = token in exact or (len(token) >= 6 and token[0] in one)
                brands[i] = (match_brand(token) if named else None) or ""
                if len(token) <= _longest_match():
                    if len(_word_brands) >= WORD_BRANDS_SIZE:
                        _word_brands.clear()
                    _word_brands[token] = brands[i]
    return brands


def _brands_of_pairs(tokens: list[str]) -> dict[tuple[str, str], str]:
    """Each distinct pair of adjacent words that names a brand -> that brand.

    Only pairs whose initials could be a brand's are matched, and they are picked in C (a string of the words' first
    letters, each two adjacent ones looked up in a set), so Python sees only those, a fifth of the pairs; a pair that
    recurs is answered from ``match_brand``'s cache.
    """
    _one, two = _initials()
    initials = "".join(map(itemgetter(0), tokens))
    # zip rather than pairwise: zip reuses its tuple once the set lookup has let go of it (a third faster here)
    flags = map(two.__contains__, zip(initials, initials[1:], strict=False))  # noqa: RUF007
    found = {}
    for first, second in compress(pairwise(tokens), flags):
        canonical = match_brand(f"{first} {second}")
        if canonical:
            found[(first, second)] = canonical
    return found


def find_brands(folded_text: str) -> list[tuple[str, str]]:
    """(as written, canonical brand) for each distinct brand spelling in folded lower-case text, two-word names
    first, in the order found; at most ``MAX_BRANDS_FOUND`` of them.

    Text repeats its words, so each word and pair is matched once (remembered), and a pair only when its initials
    could be a brand's; the words' positions are walked only when some brand was found. The words are ``_TOKEN``'s
    matches (``_tokens``).
    """
    tokens = _tokens(folded_text)
    found: dict[tuple[str, str], None] = {}  # an ordered set
    used: set[int] = set()
    pairs = _brands_of_pairs(tokens)
    if pairs:
        for i in range(len(tokens) - 1):
            canonical = pairs.get((tokens[i], tokens[i + 1]))
            if canonical:
                if not _add_found(found, f"{tokens[i]} {tokens[i + 1]}", canonical):
                    return list(found)
                used.update((i, i + 1))
    singles = _brands_of_words(tokens)
    if any(singles):
        for i, canonical in enumerate(singles):
            if canonical and i not in used and not _add_found(found, tokens[i], canonical):
                break
    return list(found)


def canonicalize_brands(folded_text: str, found: Sequence[tuple[str, str]] | None = None) -> str:
    """Misspelt brand names in folded text replaced by their canonical folded spelling ('rolexx' -> 'rolex').

    One pass over the text per distinct spelling, and there are at most ``MAX_BRANDS_FOUND`` of them.
    """
    for written, canonical in dict.fromkeys(find_brands(folded_text) if found is None else found):
        target = _fold(canonical)
        if written != target:
            folded_text = re.sub(rf"(?<![a-z0-9]){re.escape(written)}(?![a-z0-9])", target, folded_text)
    return folded_text

"""Brands written to slip past a filter: digits and symbols inside the name, and abbreviations hinted in context.

Sellers write "D!or", "St0ne 1sland", "4dida5" or "G.U.C.C.I", and "khóa CC" (Chanel's clasp), "kính R.B"
(Ray-Ban), "ví G.G" (Gucci). ``reveal_brands`` rewrites these in the folded text to the brand's folded spelling, so
the brand index finds them like any other, and says which were written evasively.

Two rules keep everyday words and model numbers out:
- a word with digits or symbols is de-leeted and kept only if the result is *exactly* a brand spelling of at least
  ``MIN_DELEETED_LETTERS`` letters (never a misspelling of one), alone or with its neighbour; a word that already
  is a brand spelling as written ("3ce", "g7", "555") is left alone, so "iphone 15", "mp3", "4g", "5s" and "b12"
  never become brands;
- an abbreviation ("cc", "rb", "gg") counts only after a word of the brand's goods among the
  words before it (``model/brand_hints.py``; the abbreviations and their context words are data).

Linear in the text: one scan for substitutes beside letters (each word holding one is read once, and a word
longer than any brand spelling is skipped whole), one scan for abbreviations with a fixed window of words looked at
before each, words and pairs de-leeted once (a bounded cache: they are no longer than a brand), at most
``MAX_BRANDS_FOUND`` distinct spellings rewritten, and the text rebuilt in one pass. A word's neighbours are looked
for only when the word, de-leeted, is a word of some two-word brand (``_may_pair``): most evasive-looking words are
sizes and codes ("30cm", "a4") that pair with nothing.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache

from model.brand_hints import Span, hinted_spans
from model.brands import MAX_BRANDS_FOUND, load_brand_index
from model.folding import fold_diacritics

# a de-leeted word must be a brand spelling of at least this many letters: "m4c" or "j3t" are more likely codes
MIN_DELEETED_LETTERS = 4
# words and pairs of words (each no longer than a brand spelling) already de-leeted: "a4", "100ml" recur everywhere
WORD_CACHE_SIZE = 8192
# characters sellers put for letters; "1", "|" may stand for "i" or "l", so both readings are tried
_LEET = str.maketrans({"4": "a", "@": "a", "3": "e", "0": "o", "5": "s", "$": "s", "7": "t", "!": "i"})
_AMBIGUOUS = ("1|", "il")
_SEPARATORS = str.maketrans("", "", ".-_*")
# punctuation around a word, taken off before it is read ("(d!or)," -> "d!or"); "!" only at the end, where it
# is an exclamation rather than a letter
_LEADING = "\"'([{<,;:.-_*"
_TRAILING = "\"')]}>,;:.!?-_*"
# a word that may be a brand written with substitutes: letters, digits, the substitute symbols and separators only
_EVASIVE_WORD = re.compile(r"[a-z0-9@$!|.\-_*]++")
_LETTERS = re.compile(r"[a-z]")
# letters then a run of digits, or digits then letters: a model or size code ("sk1-1", "b12", "10ve"), not a name
# with letters swapped for digits ("d10r", "chan3l", "adida5" keep a letter after the digits or one digit only)
_MODEL_CODE = re.compile(r"[a-z]++\d{2,}+|\d{2,}+[a-z]++")


@dataclass(frozen=True)
class EvasiveBrand:
    """A brand the seller wrote evasively."""

    written: str  # as in the folded text ("d!or", "stone 1sland", "r.b", "cc")
    canonical: str  # the brand's name ("Dior")
    how: str  # "symbols" (digits, symbols or separated letters in the name) or "hint" (abbreviation in context)


def _fold(text: str) -> str:
    return " ".join(fold_diacritics(text.lower()).split())


@cache
def _longest_spelling() -> int:
    return max((len(spelling) for spelling in load_brand_index().exact), default=0)


def _deleet(word: str) -> tuple[str, ...]:
    """The readings of a word with its substitutes read as letters and separators dropped ("st0ne" -> "stone")."""
    plain = word.translate(_SEPARATORS).translate(_LEET)
    if not any(ch in plain for ch in _AMBIGUOUS[0]):
        return (plain,)
    return tuple(plain.translate(str.maketrans(_AMBIGUOUS[0], letter * 2)) for letter in _AMBIGUOUS[1])


def _is_evasive_word(word: str) -> bool:
    """Letters mixed with digits, substitute symbols or separators: a word that may hide a brand."""
    return (
        not word.isalpha()
        and len(word) <= _longest_spelling()
        and _EVASIVE_WORD.fullmatch(word) is not None
        and len(_LETTERS.findall(word)) >= 2
    )


@lru_cache(maxsize=WORD_CACHE_SIZE)  # words of at most a brand's length: the cache stays small
def _brand_of_word(word: str) -> str | None:
    """The brand a single evasive word spells exactly once de-leeted, if any."""
    exact = load_brand_index().exact
    if word in exact or _MODEL_CODE.fullmatch(word.translate(_SEPARATORS)):  # "3ce", "sk2"; "sk1-1", "k55"
        return None
    for reading in _deleet(word):
        if len(reading) >= MIN_DELEETED_LETTERS and reading.isalpha() and reading in exact:
            return exact[reading]
    return None


@lru_cache(maxsize=WORD_CACHE_SIZE)
def _brand_of_pair(first: str, second: str) -> str | None:
    """The two-word brand a pair of words spells exactly, one of them or both de-leeted ("stone 1sland")."""
    exact = load_brand_index().exact
    if f"{first} {second}" in exact or any(_MODEL_CODE.fullmatch(w.translate(_SEPARATORS)) for w in (first, second)):
        return None
    for one in _deleet(first) if _is_evasive_word(first) else (first,):
        for two in _deleet(second) if _is_evasive_word(second) else (second,):
            spelling = f"{one} {two}"
            if spelling in exact and (one + two).isalpha():
                return exact[spelling]
    return None


def _core(chunk: str) -> tuple[str, str, str]:
    """(punctuation before, the word, punctuation after) of a space-separated chunk of text."""
    word = chunk.lstrip(_LEADING)
    before = chunk[: len(chunk) - len(word)]
    core = word.rstrip(_TRAILING)
    return before, core, word[len(core) :]


# chunks of at most twice a brand spelling's length plus punctuation (``_mixed_words``): the cache stays small
@lru_cache(maxsize=WORD_CACHE_SIZE)
def _evasive_core(chunk: str) -> tuple[int, str] | None:
    """(where in the chunk it starts, the word) of a space-separated chunk whose word may hide a brand
    (``_is_evasive_word``); None for any other chunk. Chunks such as "30cm", "a4" or "(d!or)," recur everywhere."""
    before, core, _after = _core(chunk)
    return (len(before), core) if core and _is_evasive_word(core) else None


@cache
def _two_word_parts() -> frozenset[str]:
    """The words of the brand spellings of exactly two words ("stone", "island")."""
    spellings = load_brand_index().exact
    return frozenset(word for spelling in spellings if spelling.count(" ") == 1 for word in spelling.split(" "))


@lru_cache(maxsize=WORD_CACHE_SIZE)  # evasive words, at most a brand's length
def _may_pair(core: str) -> bool:
    """Whether an evasive word may spell a two-word brand with a neighbour: only if one of its readings is a word of
    such a spelling. ``_brand_of_pair`` reads an evasive word only as its readings, and a pair spells a brand only as
    "first second" exactly, so with none of them a word of a two-word spelling every pair with it is None, and the
    neighbours need not be looked for."""
    return any(reading in _two_word_parts() for reading in _deleet(core))


# a digit, substitute symbol or separator beside a letter ("d!or", "st0ne", "l.v"); written to start with the
# substitute, which is rarer than a letter, so the engine tests few positions beyond their first character
_MIXED = re.compile(r"[0-9@$!|.\-_*](?:(?<=[a-z][0-9@$!|.\-_*])|(?=[a-z]))")


def _neighbour(text: str, start: int, end: int, *, after: bool) -> tuple[int, int, str] | None:
    """(start, end, word) of the word next to ``text[start:end]`` across one space, with nothing but letters,
    digits and substitutes at the touching side; None when there is none or it is longer than any brand word."""
    reach = _longest_spelling() + 8
    if after:
        if end + 1 >= len(text) or text[end] != " ":
            return None
        stop = text.find(" ", end + 1, end + 1 + reach)
        stop = len(text) if stop == -1 and end + 1 + reach >= len(text) else stop
        if stop == -1:
            return None
        word = text[end + 1 : stop].rstrip(_TRAILING)
        return (end + 1, end + 1 + len(word), word) if word and word[0] not in _LEADING else None
    if start < 2 or text[start - 1] != " ":
        return None
    low = max(0, start - 1 - reach)
    begin = text.rfind(" ", low, start - 1) + 1
    if begin == 0 and low > 0:
        return None
    word = text[begin : start - 1].lstrip(_LEADING)
    return (start - 1 - len(word), start - 1, word) if word and word[-1] not in _TRAILING else None


def _mixed_words(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each space-separated word that mixes letters with substitutes, once per word, in order.

    A word longer than any brand spelling (plus punctuation) is skipped whole, with one search for its end, so a
    text without spaces costs one pass however many substitutes it holds.
    """
    reach = _longest_spelling() + 8
    done = 0
    for m in _MIXED.finditer(text):
        at = m.start()
        if at < done:
            continue
        start = text.rfind(" ", max(0, at - reach), at) + 1
        end = text.find(" ", at, at + reach)
        end = len(text) if end == -1 and at + reach >= len(text) else end
        if (start == 0 and at > reach) or end == -1:  # too long to be a brand
            found = text.find(" ", at)
            done = len(text) if found == -1 else found
            continue
        done = end
        yield start, end


def _spelled_spans(text: str) -> list[Span]:
    """Words (or a word and its neighbour) that spell a brand once de-leeted, in text order, not overlapping."""
    spans: list[Span] = []
    reached = 0
    for start, end in _mixed_words(text):
        evasive = _evasive_core(text[start:end])
        if evasive is None:
            continue
        offset, core = evasive
        first, last = start + offset, start + offset + len(core)
        if first < reached:
            continue
        span = None
        if _may_pair(core):
            previous = _neighbour(text, first, last, after=False)
            if previous and previous[0] >= reached and (brand := _brand_of_pair(previous[2], core)):
                span = (previous[0], last, f"{previous[2]} {core}", brand)
            following = None if span else _neighbour(text, first, last, after=True)
            if following and (brand := _brand_of_pair(core, following[2])):
                span = (first, following[1], f"{core} {following[2]}", brand)
        if span is None and (brand := _brand_of_word(core)):
            span = (first, last, core, brand)
        if span is not None:
            spans.append((*span, "symbols"))
            reached = span[1]
    return spans


def reveal_brands(folded_text: str) -> tuple[str, list[EvasiveBrand]]:
    """Folded text with evasively written brands spelled as the brand ("tui d!or" -> "tui dior"), and those brands
    (at most ``MAX_BRANDS_FOUND`` distinct spellings; further ones are left as written)."""
    spelled, hinted = _spelled_spans(folded_text), hinted_spans(folded_text)
    spans = list(heapq.merge(spelled, hinted)) if spelled and hinted else spelled or hinted  # each in text order
    if not spans:
        return folded_text, []
    found: dict[str, EvasiveBrand] = {}
    out: list[str] = []
    done = 0
    for first, last, written, brand, how in spans:
        if first < done or (written not in found and len(found) >= MAX_BRANDS_FOUND):
            continue
        found.setdefault(written, EvasiveBrand(written=written, canonical=brand, how=how))
        out += (folded_text[done:first], _fold(brand))
        done = last
    out.append(folded_text[done:])
    return "".join(out), list(found.values())


def brands_spelled_away(
    brands: tuple[tuple[str, str], ...], folded_as_written: str, known: list[EvasiveBrand]
) -> list[EvasiveBrand]:
    """Brands found only once the text was deobfuscated ("chan3l", "g.u.c.c.i", "g u c c i" became "chanel",
    "gucci"): their spelling is not a word of ``folded_as_written``, the folded text before deobfuscation.

    One search per brand, and there are at most ``MAX_BRANDS_FOUND`` of them; brands already in ``known`` are
    skipped.
    """
    seen = {brand.canonical for brand in known}
    spelled_away = []
    for written, canonical in brands:
        if canonical in seen:
            continue
        if re.search(rf"(?<![a-z0-9]){re.escape(written)}(?![a-z0-9])", folded_as_written) is None:
            seen.add(canonical)
            spelled_away.append(EvasiveBrand(written=written, canonical=canonical, how="symbols"))
    return spelled_away


def written_form(brand: EvasiveBrand, original: str) -> str:
    """The brand as the seller wrote it in ``original`` ("D!or", "St0ne 1sland", "G.U.C.C.I", "CC"), for a reason
    a reviewer reads; the folded spelling when it cannot be found."""
    from model.lexicon import find_written_form

    return find_written_form(brand.written, original, whole_word=True) or brand.written

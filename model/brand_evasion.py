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
  ``HINT_WINDOW_WORDS`` words before it; the abbreviations and their context words are data
  (``lexicon/brand_hints.json``).

Linear in the text: one split on spaces, each distinct word de-leeted once (a word longer than any brand spelling
is skipped before any work), a fixed window of words looked at per abbreviation, at most ``MAX_BRANDS_FOUND``
distinct spellings rewritten, and the text rebuilt in one pass.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path

from model.brands import MAX_BRANDS_FOUND, load_brand_index
from model.text import fold_diacritics

HINTS_FILE = Path(__file__).with_name("lexicon") / "brand_hints.json"
# a de-leeted word must be a brand spelling of at least this many letters: "m4c" or "j3t" are more likely codes
MIN_DELEETED_LETTERS = 4
# an abbreviation is a brand only after a context word among this many words before it
HINT_WINDOW_WORDS = 3
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


@dataclass(frozen=True)
class BrandHints:
    """Abbreviation as written (every separator variant) -> (canonical brand, its folded context words)."""

    abbreviations: dict[str, tuple[str, frozenset[str]]]


def _fold(text: str) -> str:
    return " ".join(fold_diacritics(text.lower()).split())


@cache
def load_brand_hints(path: Path = HINTS_FILE) -> BrandHints:
    """The hint table from ``brand_hints.json`` (empty if absent); a hint naming an unknown brand is an error."""
    if not path.is_file():
        return BrandHints(abbreviations={})
    known = set(load_brand_index().kinds)
    table: dict[str, tuple[str, frozenset[str]]] = {}
    for entry in json.loads(path.read_text(encoding="utf-8"))["hints"]:
        if entry["brand"] not in known:
            raise ValueError(f"{path.name}: hint brand {entry['brand']!r} is not a name in brands.json")
        context = frozenset(_fold(word) for word in entry["context"])
        for abbreviation in entry["abbreviations"]:
            letters = _fold(abbreviation).replace(" ", "")
            for joiner in ("", ".", "-"):
                table[joiner.join(letters)] = (entry["brand"], context)
    return BrandHints(abbreviations=table)


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


def _brand_of_word(word: str) -> str | None:
    """The brand a single evasive word spells exactly once de-leeted, if any."""
    exact = load_brand_index().exact
    if word in exact or _MODEL_CODE.fullmatch(word.translate(_SEPARATORS)):  # "3ce", "sk2"; "sk1-1", "k55"
        return None
    for reading in _deleet(word):
        if len(reading) >= MIN_DELEETED_LETTERS and reading.isalpha() and reading in exact:
            return exact[reading]
    return None


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


def _hinted_brand(cores: list[str], index: int, hints: BrandHints) -> str | None:
    """The brand an abbreviation stands for when a context word of that brand is among the words before it."""
    brand, context = hints.abbreviations[cores[index]]
    window = cores[max(0, index - HINT_WINDOW_WORDS) : index]
    pairs = (f"{a} {b}" for a, b in pairwise(window))
    return brand if any(word in context for word in (*window, *pairs)) else None


def _brand_at(cores: list[str], index: int, joined: list[bool], hints: BrandHints) -> tuple[int, str, str] | None:
    """(words taken, brand, how) for an evasive brand starting at word ``index``, if one starts there."""
    core = cores[index]
    evasive = _is_evasive_word(core)
    if index + 1 < len(cores) and joined[index] and (evasive or _is_evasive_word(cores[index + 1])):
        canonical = _brand_of_pair(core, cores[index + 1])
        if canonical:
            return 2, canonical, "symbols"
    if evasive:
        canonical = _brand_of_word(core)
        if canonical:
            return 1, canonical, "symbols"
    if core in hints.abbreviations and core not in load_brand_index().exact:
        canonical = _hinted_brand(cores, index, hints)
        if canonical:
            return 1, canonical, "hint"
    return None


def reveal_brands(folded_text: str) -> tuple[str, list[EvasiveBrand]]:
    """Folded text with evasively written brands spelled as the brand ("tui d!or" -> "tui dior"), and those brands
    (at most ``MAX_BRANDS_FOUND`` distinct spellings; further ones are left as written)."""
    hints = load_brand_hints()
    if not _might_hide_a_brand(folded_text, hints):
        return folded_text, []
    chunks = folded_text.split(" ")
    parts = [_core(chunk) for chunk in chunks]
    cores = [core for _before, core, _after in parts]
    # two words are read as one name only when nothing but a space stands between them ("stone 1sland")
    joined = [not parts[i][2] and not parts[i + 1][0] for i in range(len(parts) - 1)] + [False]
    found: dict[str, EvasiveBrand] = {}
    out: list[str] = []
    index = 0
    while index < len(chunks):
        at = _brand_at(cores, index, joined, hints) if cores[index] else None
        if at is not None:
            taken, canonical, how = at
            written = " ".join(cores[index : index + taken])
            if written in found or len(found) < MAX_BRANDS_FOUND:
                found.setdefault(written, EvasiveBrand(written=written, canonical=canonical, how=how))
                out.append(parts[index][0] + _fold(canonical) + parts[index + taken - 1][2])
                index += taken
                continue
        out.append(chunks[index])
        index += 1
    return " ".join(out), list(found.values())


# a letter beside a digit, substitute symbol or separator: without one, no word hides a brand by spelling
_MIXED = re.compile(r"[a-z][0-9@$!|.\-_*]|[0-9@$!|.\-_*][a-z]")


def _might_hide_a_brand(folded_text: str, hints: BrandHints) -> bool:
    """A quick scan in C: whether any word mixes letters with substitutes, or an abbreviation of a hint appears."""
    if _MIXED.search(folded_text):
        return True
    pattern = _hint_pattern()
    return pattern is not None and pattern.search(folded_text) is not None


@cache
def _hint_pattern() -> re.Pattern[str] | None:
    from model.patterns import compile_word_pattern

    return compile_word_pattern(load_brand_hints().abbreviations)


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

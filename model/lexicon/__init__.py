"""The risk lexicon: terms, code words and emoji per goods category, each category with its label and legal basis.

The lexicon is data (``risk_lexicon.json`` beside this file): extending it needs no code change. Terms are
matched on the diacritic-folded, normalised text at word boundaries; each hit becomes a model feature and,
when it supports a flag, evidence for reviewers with the term as the seller wrote it.

Matching is linear in the text: terms and innocent phrases are found together in one Aho–Corasick pass
(``model.patterns.WordMatchers``), a hit inside an innocent phrase is found by bisection, and the original text is
folded once, only when some term was found, and then searched once per distinct term found (not once per hit, and at
most ``MAX_TONE_CHECKS`` of them), with small patterns that start with a plain letter, so the engine skips to where
that letter is.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from pathlib import Path

from model.folding import fold_diacritics
from model.patterns import WordMatcher, WordMatchers

LEXICON_FILE = Path(__file__).with_name("risk_lexicon.json")
# Vietnamese letters grouped by the plain letter they fold to, to find a term as written in the original text.
_VIETNAMESE_LETTERS = "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵdđbcfghjklmnpqrstvwxz"
_SUBSTITUTES = {"a": "4@", "e": "3", "i": "1!|", "l": "1|", "o": "0", "s": "5$", "t": "7"}
# Separators between the words of a term as written ("bóng  .  cười"): bounded, so evidence stays short.
_WORD_GAP = r"[\s.\-_*]{0,16}"
# Written-form patterns kept compiled: the lexicon's terms plus misspelt brands, which sellers choose freely.
WRITTEN_PATTERN_CACHE_SIZE = 4096
# Distinct terms of one text whose tone marks are checked in the original: each check is a pass over the text, and
# a real listing holds a handful of terms. A text stuffed with more keeps the rest as hits without the check.
MAX_TONE_CHECKS = 64


def _fold(text: str) -> str:
    return fold_diacritics(text.lower())


@dataclass(frozen=True)
class LexiconCategory:
    """One goods category of the lexicon."""

    id: str
    label: str
    name_vi: str
    legal_basis: tuple[str, ...]
    terms: tuple[str, ...]
    code_words: tuple[str, ...]
    emoji: tuple[str, ...]
    innocent: tuple[str, ...] = ()


@dataclass(frozen=True)
class LexiconHit:
    """A lexicon entry found in a listing."""

    category: str
    term: str  # the entry as the lexicon writes it
    kind: str  # "term", "code_word" or "emoji"


@dataclass(frozen=True)
class Lexicon:
    """Categories plus the compiled matchers."""

    categories: tuple[LexiconCategory, ...]
    entries: dict[str, list[tuple[str, str, str]]]  # folded spelling -> [(category, term, kind)]
    emoji: dict[str, list[tuple[str, str]]]  # emoji -> [(category, emoji)]
    terms: WordMatcher  # the folded spellings of ``entries``, each with its entries
    innocent: WordMatcher  # folded phrases in which risky words are used innocently

    @cached_property
    def terms_and_innocent(self) -> WordMatchers:
        """``terms`` and ``innocent`` in one pass over the text: two passes cost twice as much, hits or none."""
        return WordMatchers.build({"terms": self.terms, "innocent": self.innocent})

    @cached_property  # read for every listing scored
    def category_ids(self) -> tuple[str, ...]:
        """Category ids in file order: the order of the lexicon features."""
        return tuple(category.id for category in self.categories)

    def category(self, category_id: str) -> LexiconCategory:
        """A category by id."""
        return next(c for c in self.categories if c.id == category_id)

    def match(self, folded_text: str, raw_text: str = "") -> list[LexiconHit]:
        """Every entry found: terms and code words in folded text, emoji in the raw text."""
        return self.match_with_context(folded_text, raw_text)[0]

    def match_with_context(self, folded_text: str, raw_text: str = "") -> tuple[list[LexiconHit], int]:
        """(entries found, innocent phrases found); a term inside an innocent phrase ("cây ngà voi") is no hit."""
        found = self.terms_and_innocent.find(folded_text)
        innocent = [(start, end) for start, end, _phrase, _value in found["innocent"]]
        innocent_starts = [first for first, _last in innocent]  # sorted, and the spans do not overlap
        agrees: dict[str, bool] = {}  # the original text is searched once per distinct term, not once per hit
        hits: list[LexiconHit] = []
        for start, end, _spelling, owners in found["terms"]:
            place = bisect_right(innocent_starts, start) - 1  # the only innocent span that can hold the hit
            if place >= 0 and end <= innocent[place][1]:
                continue
            for category, term, kind in owners:
                if raw_text and term not in agrees and len(agrees) < MAX_TONE_CHECKS:
                    agrees[term] = tones_agree_somewhere(term, raw_text)
                if not agrees.get(term, True):
                    continue
                hits.append(LexiconHit(category=category, term=term, kind=kind))
        for symbol, owners in self.emoji.items():
            if symbol in raw_text:
                hits.extend(LexiconHit(category=category, term=term, kind="emoji") for category, term in owners)
        return hits, len(innocent)


@cache
def load_lexicon(path: Path = LEXICON_FILE) -> Lexicon:
    """The lexicon from its JSON file (an empty lexicon if the file is absent)."""
    if not path.is_file():
        return Lexicon(categories=(), entries={}, emoji={}, terms=WordMatcher.build(()), innocent=WordMatcher.build(()))
    raw = json.loads(path.read_text(encoding="utf-8"))
    categories = tuple(
        LexiconCategory(
            id=item["id"],
            label=item["label"],
            name_vi=item["name_vi"],
            legal_basis=tuple(item.get("legal_basis", [])),
            terms=tuple(item.get("terms", [])),
            code_words=tuple(item.get("code_words", [])),
            emoji=tuple(item.get("emoji", [])),
            innocent=tuple(item.get("innocent", [])),
        )
        for item in raw["categories"]
    )
    entries: dict[str, list[tuple[str, str, str]]] = {}
    emoji: dict[str, list[tuple[str, str]]] = {}
    for category in categories:
        for kind, words in (("term", category.terms), ("code_word", category.code_words)):
            for word in words:
                folded = " ".join(_fold(word).split())
                if folded and (category.id, word, kind) not in entries.get(folded, []):
                    entries.setdefault(folded, []).append((category.id, word, kind))
        for symbol in category.emoji:
            emoji.setdefault(symbol, []).append((category.id, symbol))
    innocent = {" ".join(_fold(phrase).split()) for category in categories for phrase in category.innocent}
    return Lexicon(
        categories=categories,
        entries=entries,
        emoji=emoji,
        terms=WordMatcher.build(entries),
        innocent=WordMatcher.build(sorted(innocent)),
    )


@cache
def _letter_table() -> dict[int, str]:
    """Every Vietnamese letter, either case, to its plain lower-case letter: one character for one."""
    table: dict[int, str] = {}
    for letter in _VIETNAMESE_LETTERS:
        plain = _fold(letter)
        table[ord(letter)] = plain
        table[ord(letter.upper())] = plain
    return table


@lru_cache(maxsize=4)  # one listing's text is searched once per term it holds: fold it once
def _plain_letters(original: str) -> str:
    """``original`` with its Vietnamese letters lower-cased and folded ("Bóng" -> "bong"), positions unchanged.

    Listing text is NFC, so a letter and its marks are one character: offsets into this string are offsets into
    ``original``, and the term as written is ``original[match.start():match.end()]``.
    """
    return original.translate(_letter_table())


@lru_cache(maxsize=WRITTEN_PATTERN_CACHE_SIZE)
def _written_pattern(term: str) -> re.Pattern[str]:
    """A pattern that finds a term in ``_plain_letters`` of the original text, whatever its tone marks, case,
    separators or digit tricks.

    Matching on plain letters keeps each pattern small (cheap to compile) and starting with a plain letter, so the
    engine skips straight to the places where the term's first letter is: a search costs little more than a scan.
    """
    plain_letters = set(_letter_table().values())
    parts = []
    for ch in _fold(term):
        if ch == " ":
            parts.append(_WORD_GAP)
        elif ch.isalpha():
            letters = ch if ch in plain_letters else ch + ch.upper()
            parts.append("[" + re.escape(letters + _SUBSTITUTES.get(ch, "")) + r"][.\-_* ]?")
        else:
            parts.append(re.escape(ch))
    return re.compile("".join(parts).rstrip("?").removesuffix(r"[.\-_* ]"))


def _tones_agree(written: str, term: str) -> bool:
    """Whether letters the seller wrote with tone marks carry the term's marks ("giá" is not "giả").

    Letters written without marks agree with any ("gia" may be either), so undiacritised posts still match.
    """
    letters = [ch for ch in written.lower() if ch.isalpha()]
    expected = [ch for ch in term.lower() if ch.isalpha()]
    if len(letters) != len(expected):  # digits standing for letters ("c4n"): nothing to compare
        return True
    return all(ch == want or _fold(ch) == ch for ch, want in zip(letters, expected, strict=True))


def tones_agree_somewhere(term: str, original: str) -> bool:
    """False only when every place the term is written in ``original`` has tone marks of another word.

    Matching on folded text finds "hàng giả" (counterfeit) in "hàng giá rẻ" (cheap goods); the original text
    tells them apart. A term that cannot be found as written (it came from teencode or a brand alias) passes.
    """
    found = False
    for m in _written_pattern(term).finditer(_plain_letters(original)):
        before = original[m.start() - 1] if m.start() > 0 else " "
        after = original[m.end()] if m.end() < len(original) else " "
        if before.isalnum() or after.isalnum():
            continue
        found = True
        if _tones_agree(original[m.start() : m.end()], term):
            return True
    return not found


def find_written_form(term: str, original: str, *, whole_word: bool = False) -> str | None:
    """The term as the seller wrote it in the original text ('B.Ó.N.G cười' for 'bóng cười'), if found.

    ``whole_word`` skips places inside a longer word (an abbreviation "cc" is not the one inside "accessories").
    """
    if not term or not original:
        return None
    for m in _written_pattern(term).finditer(_plain_letters(original)):
        before = original[m.start() - 1] if m.start() > 0 else " "
        after = original[m.end()] if m.end() < len(original) else " "
        if not whole_word or not (before.isalnum() or after.isalnum()):
            return original[m.start() : m.end()].strip(" .-_*")
    return None

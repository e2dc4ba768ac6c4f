r"""Undoing the tricks sellers use to slip past filters: separated letters, digits for letters, teencode, units.

Each transform is a small pure function on lower-cased text, safe on any string and idempotent. Every pattern
here is linear in its input (sellers write what breaks scanners): a number starts only where a digit run starts,
and its digits are matched possessively (``\d++``), so a long digit run is read once, never once per starting
digit with backtracking over the rest of it. Patterns start with the character they need (a digit, a substitute,
"k") where they can, so the engine skips the rest of the text, and a pass is skipped when a scan in C finds
nothing it could change.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from model.patterns import WordMatcher

TEENCODE_FILE = Path(__file__).with_name("lexicon") / "teencode.json"

_LETTER = r"[^\W\d_]"
# "b.ó.n.g", "g-u-c-c-i", "c*ầ*n": three or more single letters joined by a separator inside one token
_DOTTED = re.compile(rf"(?<!\w){_LETTER}(?:[.\-_*•·]{_LETTER}){{2,}}(?!\w)")
# a separator between two letters, found by jumping from separator to separator: without one, no "b.ó.n.g"
_SEPARATED_LETTER = re.compile(rf"[.\-_*•·](?<={_LETTER}[.\-_*•·])(?={_LETTER})")
# "b ó n g": three or more single letters separated by single spaces
_SPACED = re.compile(rf"(?<!\S){_LETTER}(?: {_LETTER}){{2,}}(?!\S)")
# the last two of those letters, found by jumping from space to space: without them, no "b ó n g". Written as
# "space, a character, space" first: most words are longer than one character, so most spaces fail on the cheap
# third comparison before the letter class is tested (a look-behind over the first letter); twice as fast as
# `` {_LETTER} {_LETTER}(?!\S)``, the same matches (``tests/model/test_text2_steps.py``).
_SPACED_END = re.compile(rf" [^ ] (?<= {_LETTER} ){_LETTER}(?!\S)")
_LEET = {"4": "a", "@": "a", "3": "e", "1": "i", "0": "o", "5": "s", "$": "s", "7": "t"}
# a substitute character between two letters: "c4n", "b0ng", "c@n". Written to start with the substitute itself
# (the letter before it is checked by a look-behind over both), so the engine jumps from substitute to substitute;
# possessive, since a letter never follows a substitute that the run gave back.
_LEET_INSIDE = re.compile(rf"[4@3105$7](?<={_LETTER}[4@3105$7])[4@3105$7]*+(?={_LETTER})")
# a single substitute ending a word after at least one letter: "s4", "c0"
_LEET_END = re.compile(rf"(?<={_LETTER})[4@3105$7](?![\w@$])")
# "350", "1.5", "1,5", from the start of a digit run only (the look-behind over the first digit and the one
# before it), possessive (nothing after it can start with a digit, "." or ",", so giving digits back never
# helps). Without both, a run of n digits costs n² steps; starting with a digit, the engine jumps to the digits.
_NUMBER = r"\d(?<!\d\d)\d*+(?:[.,]\d++)?+"
_THOUSANDS = re.compile(rf"({_NUMBER})\s?k\b")
_MILLIONS = re.compile(rf"({_NUMBER})\s?tr(\d{{1,3}})?\b")
_LONE_K = re.compile(r"k(?<![\w.,]k)(?!\w)")
_DIGIT = re.compile(r"\d")
# what every match of ``_MILLIONS`` and ``_THOUSANDS`` holds: a number's last digit, perhaps a space, the unit
_DIGIT_UNIT = re.compile(r"\d\s?(?:tr|k)")


def join_separated_letters(text: str) -> str:
    """'b.ó.n.g c.ư.ờ.i' -> 'bóng cười', 'g u c c i' -> 'gucci'."""
    if _SEPARATED_LETTER.search(text):  # a quick scan first: most text has no letter.letter at all
        text = _DOTTED.sub(lambda m: re.sub(r"[.\-_*•·]", "", m.group(0)), text)
    if _SPACED_END.search(text) is None:
        return text
    return _SPACED.sub(lambda m: m.group(0).replace(" ", ""), text)


def replace_substituted_letters(text: str) -> str:
    """Digits and symbols standing for letters inside a word: 'c4n s4' -> 'can sa', 'b0ng' -> 'bong'.

    Characters between two letters are replaced, so prices, sizes and model numbers (100ml, f1, 1:1) are left
    alone. A substitute ending a word ('s4') cannot be told from a code (Galaxy S4) on its own, so it is read
    as a letter only when the same text also hides letters inside a word: then the seller is spelling this way.
    """
    replaced = _LEET_INSIDE.sub(lambda m: "".join(_LEET[ch] for ch in m.group(0)), text)
    if replaced == text:
        return text
    return _LEET_END.sub(lambda m: _LEET[m.group(0)], replaced)


def expand_units(text: str) -> str:
    """Prices as sellers write them, in words: '350k' -> '350 nghìn', '1tr2' -> '1 triệu 2'.

    Most texts have no number with a unit after it: one scan from the first digit says so (then neither pattern can
    match, and ``_MILLIONS`` changes nothing that ``_THOUSANDS`` could then match).
    """
    first = _DIGIT.search(text)
    if first is None or _DIGIT_UNIT.search(text, first.start()) is None:
        return text
    text = _MILLIONS.sub(lambda m: f"{m.group(1)} triệu" + (f" {m.group(2)}" if m.group(2) else ""), text)
    return _THOUSANDS.sub(lambda m: f"{m.group(1)} nghìn", text)


@cache
def load_teencode() -> dict[str, str]:
    """Whole-word teencode -> full form, from ``lexicon/teencode.json`` (empty if the file is absent)."""
    if not TEENCODE_FILE.is_file():
        return {}
    words = json.loads(TEENCODE_FILE.read_text(encoding="utf-8"))["words"]
    # a replacement that is itself a key would make expansion depend on how often it runs
    return {key: value for key, value in words.items() if value not in words}


def expand_teencode(text: str) -> str:
    """Whole-word teencode replaced by full words ('ko' -> 'không', 'sp' -> 'sản phẩm'); a lone 'k' is 'không'."""
    text = _teencode_matcher().replace(text)
    return _LONE_K.sub("không", text) if "k" in text else text


@cache
def _teencode_matcher() -> WordMatcher:
    """Every teencode word, found whole in one pass (much faster than a lookup per word)."""
    return WordMatcher.build(load_teencode())


def deobfuscate(text: str) -> str:
    """All of the above, in the order that lets each see the previous one's output (lower-cased input)."""
    return expand_teencode(expand_units(replace_substituted_letters(join_separated_letters(text))))


# A price as written or as read ("350k" / "350 nghìn", "1tr2" / "1 triệu 2", "1.500.000đ"). Each alternative marks
# with an empty group where its number ends, and the group's name says which unit applies. Folded spellings are
# included for text read without tone marks. Linear for the same reasons as ``_NUMBER``: one start per digit run
# (the look-behind over the first digit and the one before it), possessive repeats. Starting with a digit, the
# engine jumps from digit to digit (with a look-ahead ``(?=\d)`` first, it tried every position: 1.6 times as long).
_PRICE = re.compile(
    r"\d(?<![\w.,]\d)(?:"
    r"\d*+(?:[.,]\d++)?+(?P<millions>)\s?(?:triệu|trieu|tr|củ)(?:\s?(?P<fraction>\d{1,3})(?!\d))?"
    r"|\d*+(?:[.,]\d++)?+(?P<thousands>)\s?(?:nghìn|nghin|ngàn|ngan|k)"
    r"|(?:\d{0,2}(?:[.,]\d{3})++|\d{3,9})(?P<dong>)\s?(?:đồng|dong|vnđ|vnd|đ|₫)"
    r")(?!\w)"
)


def find_price_mentions(text: str) -> list[float]:
    """Prices written in the text, in VND and in the order written: 'giá 350k', '1tr2', '1 triệu 2', '1.500.000đ'.

    Used for listings whose price field is empty (social posts write the price in the text).
    """
    return [_price(m) for m in _PRICE.finditer(text)]


def first_price_mention(text: str) -> float | None:
    """The first of ``find_price_mentions``, if any (the text is scanned no further than its first price)."""
    m = _PRICE.search(text)
    return None if m is None else _price(m)


def _price(m: re.Match[str]) -> float:
    """The price in VND of a ``_PRICE`` match: the number runs from the match's start to its unit's group."""
    if m.start("millions") >= 0:
        fraction = float("0." + m.group("fraction")) if m.group("fraction") else 0.0
        return (float(m.string[m.start() : m.end("millions")].replace(",", ".")) + fraction) * 1_000_000
    if m.start("thousands") >= 0:
        return float(m.string[m.start() : m.end("thousands")].replace(",", ".")) * 1_000
    return float(re.sub(r"[.,]", "", m.string[m.start() : m.end("dong")]))

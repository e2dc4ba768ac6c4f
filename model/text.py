"""Text processing shared by training and serving: normalisation, a diacritic-folded view, word segments.

Every function here is pure and total: it accepts any string and never raises, and runs in time linear in its
input (bounded or possessive repeats only; see ``tests/model/test_linear_time.py``). The folded view lets
undiacritised posts ("bong cuoi") meet accented ones ("bóng cười"); the accented view keeps the tone
marks that tell "giá" (price) from "già" (old); the surface view keeps the text as it was written (case,
repeated letters, punctuation, emoji), which is how a post looks rather than what it says.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from model.brand_evasion import EvasiveBrand, brands_spelled_away, reveal_brands
from model.brand_tones import drop_other_words
from model.brands import canonicalize_brands, find_brands
from model.deobfuscation import deobfuscate
from model.folding import fold_diacritics, nfc
from model.signals import TextSignals, extract_signals

# A tag never spans another "<": each character is then scanned from one "<" only, so a flood of "<" is linear
# (with ``[^>]`` every "<" would rescan the next 500 characters).
_TAG = re.compile(r"<[^<>]{0,500}>")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
# Three or more of the same letter ("xịnnnn", "đẹppp") collapse to one; digits are left alone (1000000). Written
# as "a character twice, both letters, then more of it": a pair is rare, so most positions fail on a cheap
# comparison before the letter class is tested (five times faster than ``([^\W\d_])\1{2,}``, the same matches).
_REPEAT = re.compile(r"(.)\1(?<=[^\W\d_]{2})\1+", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# two spaces or more (starting with a plain " ", so the engine jumps from space to space)
_SPACES = re.compile(r"  +")


def collapse_spaces(text: str) -> str:
    """Runs of whitespace as one space, none at either end (``str.split`` splits where ``\\s`` matches, in C).

    No-break spaces (in one listing in six) are read as spaces first; then most text is printable, and every
    whitespace character but " " is unprintable (``tests/model/test_text_steps.py`` checks all of Unicode), so runs of
    " " are all there is to collapse: one scan for them, twice as fast as splitting the text into words and joining.
    """
    text = text.replace("\xa0", " ")
    return _collapse_printable(text) if text.isprintable() else " ".join(text.split())


def _collapse_printable(text: str) -> str:
    """``collapse_spaces`` of a printable text (its only whitespace is " ")."""
    return (_SPACES.sub(" ", text) if "  " in text else text).strip(" ")


def strip_markup(text: str) -> str:
    """Remove HTML tags and entities and URLs, which carry no risk signal of their own.

    Entities are decoded before tags are removed, repeatedly, so doubly escaped markup
    ("&amp;lt;b&amp;gt;") goes too and a second pass finds nothing left to strip.
    """
    for _ in range(10):
        decoded = _TAG.sub(" ", html.unescape(text))
        if decoded == text:
            break
        text = decoded
    # "&", "<" or ">" left over would decode into new markup on a second pass: keep them as plain spaces
    text = text.replace("&", " & ").replace("<", " ").replace(">", " ")
    # a URL holds "://" or "www." (no other character matches "w" when case is ignored): scans in C first, and the
    # text is lower-cased only when it holds the end of a "www." ("w." or "W.")
    if "://" in text or (("w." in text or "W." in text) and "www." in text.lower()):
        return _URL.sub(" ", text)
    return text


def surface_text(text: str) -> str:
    """The text as written: NFC, markup, URLs and control characters removed, whitespace collapsed.

    Case, repeated letters, punctuation and emoji are kept ("SIÊU RẺ!!!", "đẹppppp 😍").
    """
    text = strip_markup(nfc(text)).replace("\xa0", " ")
    if text.isprintable():  # control characters are unprintable: nothing for ``_CONTROL`` to take out
        return _collapse_printable(text)
    return collapse_spaces(_CONTROL.sub(" ", text))


def _normalize_surface(surface: str) -> str:
    """Lower case and repeated letters collapsed: the normalised form of a surface text.

    A surface text's spaces are collapsed already, and stay so: lower case and NFC make whitespace of no other
    character and leave " " alone (``tests/model/test_text_steps.py`` checks every character), and ``_REPEAT``
    shortens runs of a letter (never a space) to one letter, never to none.
    """
    return _REPEAT.sub(r"\1", nfc(surface.lower()))


def normalize_text(text: str) -> str:
    """NFC, markup and URLs stripped, lower case, repeated letters and whitespace collapsed."""
    return _normalize_surface(surface_text(text))


@dataclass(frozen=True)
class ReadText:
    """A listing's text as the models read it, and what was read out of it on the way."""

    surface: str
    normalized: str
    folded: str
    signals: TextSignals
    brands: tuple[tuple[str, str], ...]
    # brands the seller wrote with digits, symbols or separated letters ("D!or", "chan3l") or hinted ("khóa CC")
    evasive_brands: tuple[EvasiveBrand, ...] = ()


def read_text(text: str) -> ReadText:
    """The full reading: normalise, take out contact details, undo obfuscation and teencode, fold, fix brands.

    ``surface`` is the text as written (see ``surface_text``); ``normalized`` keeps the tone marks; ``folded``
    has none and spells misspelt, obfuscated and hinted brands canonically ("d!or", "khoa cc" -> "dior",
    "khoa chanel"); ``evasive_brands`` says which brands were written that way.
    """
    surface = surface_text(text)
    normalized = as_written = _normalize_surface(surface)
    phones: list[str] = []
    handles: list[str] = []
    banks: list[str] = []
    # Undoing one trick can reveal another ("c@n" becomes a word only after "@" is read as "a"), so the
    # steps repeat until nothing changes: that also makes reading its own output a no-op.
    for _ in range(5):
        stripped, found = extract_signals(normalized)
        phones += found.phones
        handles += found.handles
        banks += found.bank_accounts
        undone = deobfuscate(stripped)
        if undone == normalized:  # nothing taken out, nothing undone: ``normalized`` is normal already
            break
        # deobfuscate only lower-cases and rewrites letters and digits: repeats and spaces are all it can disturb
        again = collapse_spaces(_REPEAT.sub(r"\1", undone))
        if again == normalized:
            break
        normalized = again
    # most texts hand out no contact details: then the last pass's answer is the shared empty one, equal to a new one
    signals = (
        TextSignals(phones=tuple(phones), handles=tuple(handles), bank_accounts=tuple(banks))
        if phones or handles or banks
        else found
    )
    folded, evasive = reveal_brands(fold_diacritics(normalized))
    brands = tuple(drop_other_words(find_brands(folded), as_written))  # "mặc" is not MAC
    if brands and normalized != as_written:  # undoing tricks may have spelled a brand out ("chan3l")
        evasive += brands_spelled_away(brands, fold_diacritics(as_written), evasive)
    return ReadText(
        surface=surface,
        normalized=normalized,
        folded=canonicalize_brands(folded, brands),
        signals=signals,
        brands=brands,
        evasive_brands=tuple(evasive),
    )


def segment_words(text: str) -> str:
    """Vietnamese word segmentation (underthesea), multi-syllable words joined by '_'.

    underthesea takes seconds to import, so it is imported on first use, not at module import.
    """
    if not text:
        return ""
    from model.torch_free import import_without_torch

    word_tokenize = import_without_torch("underthesea").word_tokenize

    try:
        tokens: Sequence[str] = word_tokenize(text)
    except Exception:  # pragma: no cover - underthesea fails on rare inputs; fall back to syllables
        return text
    return " ".join(token.replace(" ", "_") for token in tokens)

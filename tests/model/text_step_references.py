"""The text steps of ``read_text`` and ``build_text_views`` as they were before issue 15 made them faster, kept as
their specification (``test_text_steps.py``, ``test_text2_steps.py``, and ``test_reading_equivalence.py`` through
``use_references``): whitespace collapsed by splitting and joining, control characters taken out of any text, contact
details looked for one word at a time, both unit patterns run on any text with a digit, every price read to find the
first, each word list found in a pass of its own, and the price and spaced-letters patterns as first written."""

from __future__ import annotations

import re
from typing import Any

import pytest

import model.deobfuscation
import model.identifiers
import model.signals
import model.text
import model.text_views
from model.folding import nfc
from model.identifiers import ContactDetails
from model.patterns import WordMatchers
from model.signals import TextSignals

# ``model.deobfuscation._PRICE`` as first written: each number in a named group of its unit
REFERENCE_PRICE = re.compile(
    r"(?=\d)(?<![\w.,])(?:"
    r"(?P<millions>\d++(?:[.,]\d++)?+)\s?(?:triệu|trieu|tr|củ)(?:\s?(?P<fraction>\d{1,3})(?!\d))?"
    r"|(?P<thousands>\d++(?:[.,]\d++)?+)\s?(?:nghìn|nghin|ngàn|ngan|k)"
    r"|(?P<dong>\d{1,3}(?:[.,]\d{3})++|\d{4,10})\s?(?:đồng|dong|vnđ|vnd|đ|₫)"
    r")(?!\w)"
)


def reference_collapse_spaces(text: str) -> str:
    """Runs of whitespace as one space, none at either end: the words split apart and joined again (the old way)."""
    return " ".join(text.split())


def reference_surface_text(text: str) -> str:
    """``surface_text`` taking out control characters and collapsing whitespace however the text looks (the old way)."""
    return reference_collapse_spaces(model.text._CONTROL.sub(" ", model.text.strip_markup(nfc(text))))


def reference_normalize_surface(surface: str) -> str:
    """``_normalize_surface`` collapsing the spaces again after lower case and repeated letters (the old way)."""
    return reference_collapse_spaces(model.text._REPEAT.sub(r"\1", nfc(surface.lower())))


def reference_find_contact_details(text: str) -> tuple[str, ContactDetails]:
    """``find_contact_details`` checking for each account word, "@" and each app with ``in`` (the old way)."""
    ids = model.identifiers
    banks: list[str] = []
    phones: list[str] = []
    handles: list[tuple[str, str]] = []
    if any(word in text for word in ids.load_contact_data().account_words):
        text = ids._take(ids._account_patterns()[0], text, banks, lambda m: re.sub(r"\D", "", m.group(1)))
    if ids._DIGIT.search(text):
        text = ids._take(ids._PHONE, text, phones, lambda m: re.sub(r"[\s.\-]", "", m.group(0)))
    if "@" in text or any(app in text for app in ids.FEATURE_HANDLE_APPS):

        def keep(m: re.Match[str]) -> tuple[str, str] | None:
            return None if m.group("handle").isdigit() else (m.group("app") or "", m.group("handle"))

        text = ids._take(ids._FEATURE_HANDLE, text, handles, keep)
    return text, ContactDetails(phones=tuple(phones), handles=tuple(handles), bank_accounts=tuple(banks))


def reference_extract_signals(text: str) -> tuple[str, TextSignals]:
    """``extract_signals`` by ``reference_find_contact_details``, a new ``TextSignals`` every time (the old way)."""
    text, found = reference_find_contact_details(text)
    handles = tuple(handle for _app, handle in found.handles)
    return text, TextSignals(phones=found.phones, handles=handles, bank_accounts=found.bank_accounts)


def reference_expand_units(text: str) -> str:
    """``expand_units`` with both patterns run on any text with a digit (the old way)."""
    deob = model.deobfuscation
    if deob._DIGIT.search(text) is None:
        return text
    text = deob._MILLIONS.sub(lambda m: f"{m.group(1)} triệu" + (f" {m.group(2)}" if m.group(2) else ""), text)
    return deob._THOUSANDS.sub(lambda m: f"{m.group(1)} nghìn", text)


def reference_find_price_mentions(text: str) -> list[float]:
    """``find_price_mentions`` reading each number from its named group (the old way; the old ``_PRICE`` only)."""
    found: list[float] = []
    for m in REFERENCE_PRICE.finditer(text):
        if m.group("millions"):
            fraction = float("0." + m.group("fraction")) if m.group("fraction") else 0.0
            found.append((float(m.group("millions").replace(",", ".")) + fraction) * 1_000_000)
        elif m.group("thousands"):
            found.append(float(m.group("thousands").replace(",", ".")) * 1_000)
        else:
            found.append(float(re.sub(r"[.,]", "", m.group("dong"))))
    return found


def reference_first_price_mention(text: str) -> float | None:
    """The first of every price found (the old way)."""
    return next(iter(reference_find_price_mentions(text)), None)


def reference_word_matchers_find(self: WordMatchers, text: str) -> dict[str, list[tuple[int, int, str, Any]]]:
    """What ``WordMatchers.find`` finds: each list's own ``find``, one pass per list (the old way)."""
    return {name: list(matcher.find(text)) for name, matcher in self.matchers.items()}


_LETTER = r"[^\W\d_]"
# ``model.deobfuscation._SPACED_END`` as first written: a space, a letter, a space, a letter, then no more word
REFERENCE_SPACED_END = re.compile(rf" {_LETTER} {_LETTER}(?!\S)")


def use_text_step_references(monkeypatch: pytest.MonkeyPatch) -> None:
    """The text steps of ``read_text`` and ``build_text_views`` as they were, in place of the fast ones."""
    monkeypatch.setattr(model.text, "collapse_spaces", reference_collapse_spaces)
    monkeypatch.setattr(model.text, "surface_text", reference_surface_text)
    monkeypatch.setattr(model.text, "_normalize_surface", reference_normalize_surface)
    monkeypatch.setattr(model.identifiers, "find_contact_details", reference_find_contact_details)
    monkeypatch.setattr(model.signals, "find_contact_details", reference_find_contact_details)
    monkeypatch.setattr(model.text, "extract_signals", reference_extract_signals)
    monkeypatch.setattr(model.deobfuscation, "expand_units", reference_expand_units)
    monkeypatch.setattr(model.text_views, "first_price_mention", reference_first_price_mention)
    monkeypatch.setattr(WordMatchers, "find", reference_word_matchers_find)
    monkeypatch.setattr(model.deobfuscation, "_PRICE", REFERENCE_PRICE)
    monkeypatch.setattr(model.deobfuscation, "_SPACED_END", REFERENCE_SPACED_END)

"""Contact and payment details in listing text, extracted as structured signals instead of text tokens.

Sellers of risky goods move buyers off the platform: a phone number, a Zalo or Telegram handle, a bank
account. Those are strong signals but useless as words (every number is different), so they are taken out
of the text and counted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

# Input is lower-case text (model.text lower-cases before this step), so no pattern needs IGNORECASE,
# which is several times slower on Unicode text. Every repeat is bounded (the text's spaces are already collapsed,
# so ``\s{0,3}`` loses nothing), which keeps each pattern linear in its input whatever a seller writes.
# Vietnamese mobile numbers: 0 or +84 then 9 digits, written with dots, spaces or dashes, or masked with x.
_PHONE = re.compile(r"(?<![\w.])(?:\+?84|0)(?:[\s.\-]?[\dx]){9}(?![\w])")
_DIGIT = re.compile(r"\d")
_HANDLE_APPS = ("zalo", "zl", "tele", "tg", "fb", "facebook", "ig", "insta", "wechat", "line")
_HANDLE = re.compile(
    r"(?:(?<!\w)(?:" + "|".join(_HANDLE_APPS) + r")(?:\s{0,3}[:：]\s{0,3}@?|\s{0,3}@)|(?<![\w.@])@)([a-z0-9_.]{3,32})"
)
_BANK_WORDS = ("stk", "số tk", "so tk", "số tài khoản", "so tai khoan", "tài khoản", "tai khoan", "ck qua")
_BANK_WORDS += ("chuyển khoản", "chuyen khoan")
_BANK = re.compile(r"(?:" + "|".join(_BANK_WORDS) + r")\s{0,3}[:：]?\s{0,3}((?:\d[\s.\-]?){6,18}\d)")


@dataclass(frozen=True)
class TextSignals:
    """What was taken out of a listing's text."""

    phones: tuple[str, ...] = field(default_factory=tuple)
    handles: tuple[str, ...] = field(default_factory=tuple)
    bank_accounts: tuple[str, ...] = field(default_factory=tuple)


def _take(pattern: re.Pattern[str], text: str, found: list[str], clean: Callable[[re.Match[str]], str | None]) -> str:
    """Replace each match by a space in one pass, keeping what ``clean`` makes of it (None: keep nothing)."""

    def replace(match: re.Match[str]) -> str:
        value = clean(match)
        if value is not None:
            found.append(value)
        return " "

    return pattern.sub(replace, text)


def extract_signals(text: str) -> tuple[str, TextSignals]:
    """(text without contact details, the details found), for lower-case text.

    Cheap substring checks come first: most listings hold no bank account or handle, and a regex scan of
    every position costs more than looking for the few words that must be there.
    """
    banks: list[str] = []
    phones: list[str] = []
    handles: list[str] = []
    has_digit = _DIGIT.search(text) is not None  # both need digits
    if has_digit and any(word in text for word in _BANK_WORDS):
        text = _take(_BANK, text, banks, lambda m: re.sub(r"\D", "", m.group(1)))
    if has_digit:
        text = _take(_PHONE, text, phones, lambda m: re.sub(r"[\s.\-]", "", m.group(0)))
    if "@" in text or any(app in text for app in _HANDLE_APPS):
        text = _take(_HANDLE, text, handles, lambda m: None if m.group(1).isdigit() else m.group(1))
    return text, TextSignals(phones=tuple(phones), handles=tuple(handles), bank_accounts=tuple(banks))

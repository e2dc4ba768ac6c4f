"""Contact and payment details in listing text, extracted as structured signals instead of text tokens.

Sellers of risky goods move buyers off the platform: a phone number, a Zalo or Telegram handle, a bank
account. Those are strong signals but useless as words (every number is different), so they are taken out
of the text and counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Vietnamese mobile numbers: 0 or +84 then 9 digits, written with dots, spaces or dashes, or masked with x.
_PHONE = re.compile(r"(?<![\w.])(?:\+?84|0)(?:[\s.\-]?[\dx]){9}(?![\w])", re.IGNORECASE)
_HANDLE = re.compile(
    r"(?:(?<!\w)(?:zalo|zl|tele|telegram|tg|fb|facebook|ig|insta|wechat|line)(?:\s*[:：]\s*@?|\s*@)|(?<![\w.@])@)"
    r"([a-z0-9_.]{3,32})",
    re.IGNORECASE,
)
_BANK = re.compile(
    r"(?:stk|số tk|so tk|số tài khoản|so tai khoan|tài khoản|tai khoan|ck qua|chuyển khoản|chuyen khoan)"
    r"\s*[:：]?\s*((?:\d[\s.\-]?){6,18}\d)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class TextSignals:
    """What was taken out of a listing's text."""

    phones: tuple[str, ...] = field(default_factory=tuple)
    handles: tuple[str, ...] = field(default_factory=tuple)
    bank_accounts: tuple[str, ...] = field(default_factory=tuple)


def extract_signals(text: str) -> tuple[str, TextSignals]:
    """(text without contact details, the details found), for lower- or mixed-case text."""
    banks = tuple(re.sub(r"\D", "", m.group(1)) for m in _BANK.finditer(text))
    text = _BANK.sub(" ", text)
    phones = tuple(re.sub(r"[\s.\-]", "", m.group(0)) for m in _PHONE.finditer(text))
    text = _PHONE.sub(" ", text)
    handles = tuple(m.group(1).lower() for m in _HANDLE.finditer(text) if not m.group(1).isdigit())
    text = _HANDLE.sub(" ", text)
    return text, TextSignals(phones=phones, handles=handles, bank_accounts=banks)

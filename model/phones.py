"""Phone numbers however sellers write them: separators, +84, keycap emoji, full-width digits, digits as words,
a number split between title and description. One pass over tokens: linear in the text."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from model.contacts import load_contact_data

# the mobile networks' prefixes since the 2018 renumbering (03x, 05x, 07x, 08x, 09x in use)
_MOBILE_PREFIX = re.compile(r"3[2-9]|5[2689]|7[06-9]|8[1-9]|9\d")
_MAX_GAP = 4  # separators between two pieces of one number: "0912 - 345", "0️⃣9️⃣", "(+84) 912"


@dataclass(frozen=True)
class PhoneNumber:
    """A phone number found in text: E.164 and the span it was written in."""

    e164: str
    start: int
    end: int


def phone_e164(digits: str) -> str | None:
    """E.164 of a Vietnamese mobile (0[35789] + 8 digits) or landline (02 + 9 digits) number, else None."""
    if digits.startswith("84"):
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        return None
    if (len(national) == 9 and _MOBILE_PREFIX.match(national)) or (len(national) == 10 and national[0] == "2"):
        return "+84" + national
    return None


@cache
def _digitish() -> re.Pattern[str]:
    """Numbers, and digit words standing alone between non-letters: the only tokens a phone number is made of
    (any other word between two of them breaks the run, as a gap that holds letters)."""
    words = "|".join(map(re.escape, sorted(load_contact_data().digit_words, key=len, reverse=True)))
    return re.compile(rf"\d+|(?<![^\W\d_])(?:{words})(?![^\W\d_])")


def _digit_tokens(text: str) -> list[tuple[int, int, str]]:
    """(start, end, digits) of each number or digit word in ``text``."""
    words = load_contact_data().digit_words
    tokens: list[tuple[int, int, str]] = []
    for match in _digitish().finditer(text):
        token = match.group()
        if token[0].isdigit():
            digits = token if token.isascii() else "".join(str(unicodedata.digit(ch, 0)) for ch in token)
        else:
            digits = words[token]
        tokens.append((match.start(), match.end(), digits))
    return tokens


def find_phone_numbers(text: str) -> list[PhoneNumber]:
    """Every recoverable phone number in lower-case ``text``: digits with any separators ("0912.345.678",
    "+84 912 345 678", "0️⃣9️⃣…"), digits written as words ("không chín một hai…", also mixed with figures).

    One pass over the tokens: a number is a run of digit tokens with at most ``_MAX_GAP`` separator characters
    between them, and from each token at most 12 digits are gathered, so the work is linear in the text.
    """
    tokens = _digit_tokens(text)
    found: list[PhoneNumber] = []
    i = 0
    while i < len(tokens):
        start, _end, digits = tokens[i]
        glued = start > 0 and text[start - 1].isalpha()  # "sp0912345678" is a product code
        if glued or not digits.startswith(("0", "84")):
            i += 1
            continue
        gathered, j, match = "", i, None
        while j < len(tokens) and len(gathered) < 12:
            if j > i and not _is_gap(text, tokens[j - 1][1], tokens[j][0]):
                break
            gathered += tokens[j][2]
            e164 = phone_e164(gathered)
            if e164:
                match = PhoneNumber(e164, start, tokens[j][1])
                break
            j += 1
        if match:
            found.append(match)
            i = j + 1
        else:
            i += 1
    return found


def _is_gap(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] only separates two pieces of a number (a few non-word characters)."""
    return end - start <= _MAX_GAP and not any(ch.isalnum() for ch in text[start:end])

"""Spelling distances for brand names: the edit distance a misspelling may be from a brand's spelling, and
which spellings may be misspelt at all (Vietnamese and short names must be written exactly)."""

from __future__ import annotations

import re

# letters only Vietnamese writes (Hermès or Château are not Vietnamese names)
VIETNAMESE = re.compile("[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịĩọỏốồổỗộớờởỡợụủũứừửữựỳỵỷỹ]")


def fuzzy_ok(written: str, spelling: str) -> bool:
    """Whether misspellings of a brand spelling may be matched at all.

    Vietnamese brand names (written with tone marks: "Trung Nguyên", "Nam Ngư") are made of syllables that
    differ from everyday words by a letter, so only their exact spellings count; so do short names, and
    two-word names with a short word ("Ray Ban"), for the same reason.
    """
    words = spelling.split()
    if VIETNAMESE.search(written.lower()) or len(words) > 2 or any(len(word) < 4 for word in words):
        return False
    return len(spelling.replace(" ", "")) >= 5


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of two strings, or ``limit + 1`` as soon as it must exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ch in enumerate(a, start=1):
        current = [i]
        for j, other in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ch != other)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def second_initial(spelling: str) -> str:
    """First letter of the second word ('' for one word)."""
    _, _, rest = spelling.partition(" ")
    return rest[:1]


def allowed_distance(length: int) -> int:
    """How many edits a misspelling of a spelling this long may be from it."""
    return 1 if length < 9 else 2 if length < 12 else 3

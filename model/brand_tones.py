"""Brand spellings that are also Vietnamese words once folded: "mặc" (to wear) and "mác" (a label) fold to "mac",
MAC's spelling. The tone marks of the original text tell them apart (``drop_other_words``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache

from model.brands import BRANDS_FILE
from model.folding import fold_diacritics
from model.lexicon import tones_agree_somewhere


@cache
def _accented_spellings() -> dict[str, str]:
    """Folded spelling -> the spelling as brands.json writes it, tone marks kept ("bo huc" -> "bò húc")."""
    spellings: dict[str, str] = {}
    if BRANDS_FILE.is_file():
        for brand in json.loads(BRANDS_FILE.read_text(encoding="utf-8"))["brands"]:
            for written in (brand["name"], *brand.get("aliases", [])):
                spellings.setdefault(fold_diacritics(written).lower(), written.lower())
    return spellings


def drop_other_words(found: Sequence[tuple[str, str]], original: str) -> list[tuple[str, str]]:
    """Brands found in folded text, less those the seller wrote only as a Vietnamese word with other tone marks.

    "mặc" (to wear) and "mác" (a label) fold to "mac", which is MAC's spelling; the original text tells them apart,
    as it tells "giá" from "giả" for the lexicon. A spelling written without marks anywhere is kept; so is a
    misspelling, or a brand the text spells only with tricks, which cannot be compared letter for letter. At most
    ``MAX_BRANDS_FOUND`` searches of ``original``, each linear.
    """
    kept = []
    for written, canonical in found:
        accented = _accented_spellings().get(written)
        if accented is None or tones_agree_somewhere(accented, original):
            kept.append((written, canonical))
    return kept

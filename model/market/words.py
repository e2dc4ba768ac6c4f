"""The market readers' word lists (``words.json``), loaded once: data, not code."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

WORDS_FILE = Path(__file__).with_name("words.json")


@cache
def load_words() -> dict[str, Any]:
    """The parsed ``words.json`` (condition phrases, accessory words, unit synonyms, title stop words)."""
    return json.loads(WORDS_FILE.read_text(encoding="utf-8"))

"""How listing text becomes n-gram features: the text views the vectorizers read, the n-gram settings, and the
unfitted TF-IDF vectorizers (``model.linear`` fits and applies them; ``training`` configures them)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from model.limits import FEATURE_DESCRIPTION_CHARS

# Which text view each vectorizer reads, in feature-matrix order.
TEXT_VIEWS = {"words": "normalized", "segments": "segmented", "chars": "folded", "surface_chars": "surface"}


@dataclass(frozen=True)
class TextFeatureConfig:
    """How listing text becomes n-gram features."""

    word_ngram_max: int = 2
    char_ngram_min: int = 2
    char_ngram_max: int = 5
    min_df: int = 2
    max_word_features: int = 200_000
    max_char_features: int = 300_000
    # underthesea word segments as a third n-gram view: off, because syllable 1-2-grams already cover Vietnamese
    # compounds (macro AP 0.991 with and without, measured 2026-11-23) and segmentation costs ~1 ms per listing.
    use_word_segments: bool = False
    max_description_chars: int = FEATURE_DESCRIPTION_CHARS
    # word segmentation (underthesea) is slow: only the first characters of the text are segmented
    max_segmented_chars: int = 120
    # character n-grams of lengths 1..N of the text as written (case, repeats, punctuation, emoji); 0 = off
    surface_char_ngram_max: int = 0


def make_vectorizers(config: TextFeatureConfig) -> dict[str, TfidfVectorizer]:
    """Unfitted vectorizers for the text views the config asks for."""
    common = {"sublinear_tf": True, "min_df": config.min_df, "dtype": np.float32, "lowercase": False}
    vectorizers = {
        "words": TfidfVectorizer(
            analyzer="word",
            token_pattern=r"[^\s.,;:!?()\[\]\"']+",
            ngram_range=(1, config.word_ngram_max),
            max_features=config.max_word_features,
            **common,
        ),
        "chars": TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(config.char_ngram_min, config.char_ngram_max),
            max_features=config.max_char_features,
            **common,
        ),
    }
    if config.use_word_segments:
        vectorizers["segments"] = TfidfVectorizer(
            analyzer="word",
            token_pattern=r"\S*_\S+",
            ngram_range=(1, 1),
            max_features=config.max_word_features,
            **common,
        )
    if config.surface_char_ngram_max > 0:
        vectorizers["surface_chars"] = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(1, config.surface_char_ngram_max),
            max_features=config.max_char_features,
            **common,
        )
    return {name: vectorizers[name] for name in TEXT_VIEWS if name in vectorizers}

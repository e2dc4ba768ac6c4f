"""Reasons a reviewer can check come first: lexicon matches, then the price against its reference, then words the
model learned, then metadata."""

from model.predictor import MAX_REASONS, order_reasons
from model.schema import Reason


def _reason(kind: str, evidence: str, weight: float, normalized: str | None = None) -> Reason:
    return Reason(kind=kind, label="counterfeit", evidence=evidence, normalized=normalized, weight=weight, text="…")


def test_price_comes_before_learned_words_and_lexicon_first() -> None:
    reasons = [
        _reason("term", "max", 0.22),
        _reason("metadata", "new_seller", 0.5),
        _reason("price", "3.000.000 ₫", 8.86),
        _reason("term", "seal", 0.13),
        _reason("term", "Rep 1:1", 0.05, normalized="rep 1:1"),
    ]
    ordered = [r.evidence for r in order_reasons(reasons)]
    assert ordered == ["Rep 1:1", "3.000.000 ₫", "max", "seal", "new_seller"][:MAX_REASONS]


def test_a_lexicon_term_is_not_repeated_as_a_learned_word() -> None:
    reasons = [_reason("term", "esse", 0.9), _reason("term", "Esse", 0.1, normalized="esse")]
    assert [r.evidence for r in order_reasons(reasons)] == ["Esse"]

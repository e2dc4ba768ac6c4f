"""The cached n-gram TF-IDF transform gives the fitted scikit-learn vectorizer's rows exactly."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from model.errors import ArtifactError
from model.ngrams import NgramTfidf
from model.text_vectorizers import TextFeatureConfig, make_vectorizers

CORPUS = [
    "đồng hồ rolex submariner rep 1:1 siêu cấp . giá 1 triệu 5",
    "dong ho rolex chinh hang , bao hanh 5 nam",
    "bóng bay mặt cười trang trí sinh nhật  set 30 quả",
    "bong cuoi binh 8l giao nhanh noi thanh",
    "a b c . x",
    "thuốc lá esse không tem cây 10 bao giá sỉ",
]


@pytest.fixture(scope="module")
def fitted() -> dict[str, TfidfVectorizer]:
    vectorizers = make_vectorizers(TextFeatureConfig(min_df=1, use_word_segments=True, surface_char_ngram_max=5))
    assert set(vectorizers) == {"words", "segments", "chars", "surface_chars"}
    for vectorizer in vectorizers.values():
        vectorizer.fit([*CORPUS, "bong_bay mat_cuoi", "dong_ho rolex", "SIÊU RẺ!!! đẹppppp 😍 Rolex"])
    return vectorizers


def _assert_same_rows(vectorizer: TfidfVectorizer, documents: list[str]) -> None:
    expected = vectorizer.transform(documents).toarray()
    found = NgramTfidf(vectorizer).transform(documents)
    assert found.dtype == expected.dtype and found.shape == expected.shape
    np.testing.assert_allclose(found.toarray(), expected, rtol=1e-5, atol=1e-6)


def test_rows_equal_scikit_learn_on_the_corpus(fitted: dict[str, TfidfVectorizer]) -> None:
    for vectorizer in fitted.values():
        _assert_same_rows(vectorizer, [*CORPUS, "", "   ", "chữ lạ hoàn toàn"])


@settings(max_examples=60, deadline=None)
@given(documents=st.lists(st.text(alphabet="abcdhorlmnxyđóờRÊ😍 .,:!1\n\t", max_size=60), min_size=1, max_size=4))
def test_rows_equal_scikit_learn_on_any_text(fitted: dict[str, TfidfVectorizer], documents: list[str]) -> None:
    for vectorizer in fitted.values():
        _assert_same_rows(vectorizer, documents)


def test_unsupported_vectorizers_are_refused() -> None:
    with pytest.raises(ArtifactError, match="analyzer"):
        NgramTfidf(TfidfVectorizer(analyzer="char").fit(CORPUS))


@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 3), (2, 3), (3, 3)])
def test_word_ngrams_found_by_integer_keys_equal_scikit_learn(ngram_range: tuple[int, int]) -> None:
    """Word n-grams are matched as integer keys of token ids (``WordGramIndex``); none spans two documents."""
    vectorizer = TfidfVectorizer(
        analyzer="word", token_pattern=r"[^\s.,;:!?]+", ngram_range=ngram_range, lowercase=False, sublinear_tf=True
    ).fit(CORPUS)
    # the end of one document and the start of the next form an n-gram of the corpus: it must not be counted
    _assert_same_rows(vectorizer, ["thuốc lá esse", "không tem cây", "bong cuoi binh 8l bong cuoi", "", "x a b c"])
    _assert_same_rows(vectorizer, [*CORPUS, "giá 1 triệu 5 giá 1 triệu"])

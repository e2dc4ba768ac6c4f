"""The cached n-gram TF-IDF transform gives the fitted scikit-learn vectorizer's rows exactly."""

from collections import Counter
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

import model.ngrams
from model.errors import ArtifactError
from model.ngrams import MAX_CACHED_WORD_CHARS, NgramTfidf, WordBlobs, _counts
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


_ANY_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from("aăâđêôơưAĐ0189 \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u2003\u2028\u3000\u200b.,;:!?()[]\"'-/_%&…"),
        st.sampled_from("\u0301\u0300\u0303\u0309\u0323\u0306😍🔥\U0001f1fb\U0001f1f3"),  # combining marks, emoji
        st.characters(),
    ),
    max_size=80,
)


@settings(max_examples=300, deadline=None)
@given(text=_ANY_TEXT)
def test_split_tokens_equal_the_token_pattern(fitted: dict[str, TfidfVectorizer], text: str) -> None:
    """Punctuation replaced by spaces and ``str.split`` give the tokens that ``findall`` gives (``\\s`` is the
    whitespace of ``str.split``)."""
    tfidf = NgramTfidf(fitted["words"])
    assert tfidf._separators is not None  # the words vectorizer's pattern takes the split path
    assert tfidf._tokens(text) == tfidf.token_pattern.findall(text)


@settings(max_examples=100, deadline=None)
@given(rows=st.lists(st.lists(st.integers(0, 40), max_size=30), max_size=6))
def test_counts_sorted_by_scipy_or_numpy_equal_a_counter(rows: list[list[int]]) -> None:
    """``_counts`` sorts a batch by scipy's counting sorts and a few documents by numpy: both count each column."""
    columns = np.asarray([column for row in rows for column in row], dtype=np.int32)
    starts = np.cumsum([0, *map(len, rows)])
    for n_columns in (41, 10**6):  # 41: scipy's sorts (3 · occurrences >= columns, unless few); 10**6: numpy's
        counts, indices, indptr = _counts(columns, starts, n_columns)
        for row, (start, end) in zip(rows, pairwise(indptr), strict=True):
            expected = sorted(Counter(row).items())
            assert list(zip(indices[start:end].tolist(), counts[start:end].tolist(), strict=True)) == expected


def test_word_cache_is_bounded_and_keeps_words_in_use(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache holds at most ``WORD_CACHE_SIZE`` words of at most ``MAX_CACHED_WORD_CHARS`` characters; a word
    read again survives the turn of a generation."""
    monkeypatch.setattr(model.ngrams, "WORD_CACHE_SIZE", 8)
    computed: list[str] = []
    cache = WordBlobs(lambda word: computed.append(word) or word.encode())
    assert cache["x" * (MAX_CACHED_WORD_CHARS + 1)] == b"x" * (MAX_CACHED_WORD_CHARS + 1)
    assert len(cache) == 0  # a long word is computed, never kept
    for index in range(100):
        assert cache[f"w{index}"] == f"w{index}".encode()
        assert cache["kept"] == b"kept"
        assert len(cache) + len(cache._old) <= 8
    assert computed.count("kept") == 1  # read again each time, so moved back before its generation was dropped
    assert cache["w0"] == b"w0" and computed.count("w0") == 2  # long unread: computed again


def test_word_ngrams_joined_as_strings_when_the_keys_do_not_fit(fitted: dict[str, TfidfVectorizer]) -> None:
    """Where token ids would overflow the integer keys, n-grams are joined and looked up as strings: same rows."""
    vectorizer = fitted["words"]
    tfidf = NgramTfidf(vectorizer)
    assert tfidf._word_grams is not None
    tfidf._word_grams.usable = False
    documents = [*CORPUS, "", "giá 1 triệu 5 giá 1 triệu"]
    np.testing.assert_allclose(
        tfidf.transform(documents).toarray(), vectorizer.transform(documents).toarray(), rtol=1e-5, atol=1e-6
    )

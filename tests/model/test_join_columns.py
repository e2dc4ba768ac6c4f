"""The feature matrix joined in place (``model.linear._join_columns``) equals scipy's ``hstack`` of its blocks."""

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from model.linear import _join_columns
from tests.model.reading_references import reference_join_columns


def _assert_same(found: sp.csr_matrix, expected: sp.csr_matrix) -> None:
    assert found.shape == expected.shape and found.dtype == expected.dtype == np.float32
    assert np.array_equal(found.indptr, expected.indptr) and np.array_equal(found.indices, expected.indices)
    assert np.array_equal(found.data, expected.data, equal_nan=True)


@settings(max_examples=100, deadline=None)
@given(
    n_rows=st.integers(0, 6),
    widths=st.lists(st.integers(1, 9), min_size=0, max_size=3),
    dense_width=st.integers(1, 5),
    seed=st.integers(0, 2**32 - 1),
)
def test_joined_rows_equal_hstack(n_rows: int, widths: list[int], dense_width: int, seed: int) -> None:
    """Sparse blocks (some rows empty) then a dense block whose zeros are left out and whose NaNs are kept."""
    rng = np.random.default_rng(seed)
    blocks = [
        sp.random(n_rows, width, density=0.4, format="csr", dtype=np.float32, random_state=rng) for width in widths
    ]
    dense = rng.choice(np.asarray([0.0, 0.0, 1.5, -2.0, np.nan], dtype=np.float32), size=(n_rows, dense_width))
    _assert_same(_join_columns(blocks, dense), reference_join_columns(blocks, dense))


def test_rows_of_a_single_listing() -> None:
    block = sp.csr_matrix(np.asarray([[0.0, 0.25, 0.0, 0.5]], dtype=np.float32))
    dense = np.asarray([[0.0, 3.0]], dtype=np.float32)
    joined = _join_columns([block, block], dense)
    assert joined.toarray().tolist() == [[0.0, 0.25, 0.0, 0.5, 0.0, 0.25, 0.0, 0.5, 0.0, 3.0]]
    _assert_same(joined, reference_join_columns([block, block], dense))

"""MinHash signatures of many shingle sets at once, equal bit for bit to ``datasketch``'s affine32 scheme.

``datasketch.MinHash`` builds one object per set and hashes each shingle with a Python call (``sha1_hash32``);
for a batch of listings that per-object and per-shingle overhead costs more than the hashing itself. Here every
shingle of a batch is hashed in one comprehension and permuted in one numpy expression, and each set's minimum
is a segment reduction, so a signature is what ``MinHash(scheme="affine32")`` + ``update_batch`` would give:

- a shingle's hash is the first 4 bytes, little-endian, of the SHA-1 of its UTF-8 bytes (``sha1_hash32``);
- it is pre-mixed by the MurmurHash3 finalizer (``_fmix``, 32-bit) and permuted as ``a * h + b`` in uint32
  (wrapping around, as datasketch computes it);
- a set's value per permutation is the least over its shingles; an empty set keeps datasketch's start value,
  2³²−1 everywhere.

``tests/model/test_near_duplicates_batch.py`` checks the equality against ``datasketch`` itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import sha1

import numpy as np

EMPTY_VALUE = np.uint32(0xFFFFFFFF)  # datasketch's start value of every affine32 hash value
# Shingles permuted at a time: 1024 x 128 values of 4 bytes is 512 KiB, which stays in cache (twice as fast as
# 4096 at a time) and bounds the memory a batch of long texts needs.
CHUNK_ROWS = 1024
_FMIX_1 = np.uint32(0x85EBCA6B)  # the MurmurHash3 finalizer's constants (datasketch's ``_fmix``, width 32)
_FMIX_2 = np.uint32(0xC2B2AE35)


def shingle_hashes(grams: Sequence[str]) -> np.ndarray:
    """The 32-bit hash of each shingle, as datasketch's default ``sha1_hash32``: SHA-1, first 4 bytes, little
    endian (a SHA-1 digest is 20 bytes, so every fifth uint32 of the joined digests)."""
    digests = b"".join([sha1(gram.encode("utf-8")).digest() for gram in grams])
    return np.frombuffer(digests, dtype="<u4")[::5].astype(np.uint32)


def _fmix32(values: np.ndarray) -> np.ndarray:
    """The MurmurHash3 32-bit finalizer (uint32, multiplications wrap around), as ``datasketch.minhash._fmix``."""
    values = values ^ (values >> np.uint32(16))
    values = values * _FMIX_1
    values = values ^ (values >> np.uint32(13))
    values = values * _FMIX_2
    return values ^ (values >> np.uint32(16))


def segment_minhashes(hashes: np.ndarray, sizes: Sequence[int], permutations: np.ndarray) -> np.ndarray:
    """(len(sizes), num_perm) uint32: the MinHash values of consecutive segments of ``hashes`` (``sizes[i]``
    shingle hashes each, a size may be 0), under affine32 ``permutations`` (datasketch's (2, num_perm) array).

    Whole segments are permuted about ``CHUNK_ROWS`` shingles at a time; a segment longer than that alone, in
    pieces of ``CHUNK_ROWS`` shingles whose minimums are combined. The values are laid out one permutation per
    row (a reduction along contiguous memory is faster than across rows).
    """
    a = np.asarray(permutations[0], dtype=np.uint32)[:, None]
    b = np.asarray(permutations[1], dtype=np.uint32)[:, None]
    mixed = _fmix32(np.asarray(hashes, dtype=np.uint32))
    sizes_array = np.asarray(sizes, dtype=np.int64)
    result = np.full((len(sizes_array), len(a)), EMPTY_VALUE, dtype=np.uint32)
    filled = np.flatnonzero(sizes_array)  # an empty segment keeps the start value
    ends = np.cumsum(sizes_array[filled])
    starts = ends - sizes_array[filled]
    first = 0
    while first < len(filled):
        last = max(first + 1, int(np.searchsorted(ends, starts[first] + CHUNK_ROWS, side="right")))
        segments = filled[first:last]
        if len(segments) == 1:  # one long text: its rows a chunk at a time
            for row in range(starts[first], ends[first], CHUNK_ROWS):
                piece = a * mixed[None, row : min(ends[first], row + CHUNK_ROWS)] + b
                result[segments[0]] = np.minimum(result[segments[0]], piece.min(axis=1))
        else:
            columns = a * mixed[None, starts[first] : ends[last - 1]] + b
            result[segments] = np.minimum.reduceat(columns, starts[first:last] - starts[first], axis=1).T
        first = last
    return result

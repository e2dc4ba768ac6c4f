"""The batch text fingerprints equal, byte for byte, what datasketch's own MinHash (affine32, 128 permutations,
seed 13) and a plain splitmix64 give per listing: signatures, full signatures, shingle counts and band keys, on
the seed listings, short texts, empty descriptions, texts whose shingles are all stop-listed, and a mixed batch;
segments longer than a chunk and empty segments included."""

from __future__ import annotations

import numpy as np
import pytest
from datasketch import MinHash

from model import minhash
from model.contacts import Identifier
from model.identifiers import extract_identifiers
from model.near_duplicates import (
    MIN_SHINGLES,
    MINHASH_SEED,
    NUM_PERM,
    SHINGLE_WORDS,
    TextFingerprint,
    _lsh_shape,
    _permutations,
    fingerprint_text,
    fingerprint_texts,
    load_stop_shingles,
    shingle_words,
    signature_bands,
)
from model.schema import Listing
from training.dataset import load_listings, seed_listings

_MASK = (1 << 64) - 1
TEXT = "bình khí cười loại lít hàng chuẩn bên em chuyên sỉ lẻ số lượng lớn cho quán bar và tiệc sinh nhật"
WORDS = TEXT.split()


def datasketch_values(grams: set[str]) -> np.ndarray:
    """The MinHash of ``grams`` as datasketch computes it (its start values when ``grams`` is empty)."""
    sketch = MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED, scheme="affine32")
    sketch.update_batch([gram.encode("utf-8") for gram in grams])
    return np.asarray(sketch.hashvalues, dtype="<u4")


def splitmix_band_keys(values: np.ndarray) -> tuple[int, ...]:
    """The band keys computed one Python int at a time: splitmix64 steps over each band's rows."""
    bands, rows = _lsh_shape()
    keys = []
    for band in range(bands):
        key = ((band + 1) * 0x9E3779B97F4A7C15) & _MASK
        for value in values[band * rows : (band + 1) * rows]:
            key ^= int(value)
            key = ((key ^ (key >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
            key = ((key ^ (key >> 27)) * 0x94D049BB133111EB) & _MASK
            key ^= key >> 31
        keys.append(key - (1 << 64) if key >= 1 << 63 else key)
    return tuple(keys)


def reference(
    listing: Listing, stop: frozenset[str], identifiers: tuple[Identifier, ...] | None = None
) -> TextFingerprint:
    """What ``fingerprint_text`` gave before the batch path: datasketch MinHash objects, one listing at a time."""
    found = extract_identifiers(listing) if identifiers is None else identifiers
    words = shingle_words(listing, found)
    every = {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(max(0, len(words) - SHINGLE_WORDS + 1))}
    kept = every - stop
    if len(kept) < MIN_SHINGLES:
        return TextFingerprint(len(kept), None, ())
    values = datasketch_values(kept)
    full = datasketch_values(every)
    return TextFingerprint(len(kept), values.tobytes(), splitmix_band_keys(values), full.tobytes())


def batch(listings: list[Listing], stop: frozenset[str]) -> list[TextFingerprint]:
    return fingerprint_texts(listings, [extract_identifiers(listing) for listing in listings], stop)


def listing(text: str, title: str = "Hàng mới") -> Listing:
    return Listing(title=title, description=text, seller={"name": "Shop A"})


def words(count: int, start: int = 0) -> str:
    return " ".join(f"{WORDS[(start + i) % len(WORDS)]} {WORDS[(start + 3 * i) % len(WORDS)]}" for i in range(count))


def odd_listings() -> tuple[list[Listing], frozenset[str]]:
    """Short texts, empty descriptions, all shingles stop-listed, some stop-listed, exactly MIN_SHINGLES kept."""
    stop_listed = listing(words(12, 5))
    stop = frozenset(_shingles_of(stop_listed) | _shingles_of(listing(words(3))))
    texts = [
        listing("", title="Giày"),
        Listing(title="Áo thun nam cổ tròn cotton"),
        listing("hàng đẹp"),
        stop_listed,
        listing(words(3) + " " + words(9, 7)),  # its first shingles stop-listed, the rest kept
        listing(
            " ".join(WORDS[: MIN_SHINGLES + 1]), title="x"
        ),  # with "x", MIN_SHINGLES + 2 words: MIN_SHINGLES 3-grams
        listing(" ".join(WORDS[:MIN_SHINGLES]), title="x"),
        listing(words(40, 2)),
    ]
    return texts, stop


def _shingles_of(item: Listing) -> set[str]:
    found = shingle_words(item, extract_identifiers(item))
    return {" ".join(found[i : i + SHINGLE_WORDS]) for i in range(len(found) - SHINGLE_WORDS + 1)}


def test_the_seed_listings_match_datasketch() -> None:
    listings = load_listings(seed_listings())[::2]  # every other one: the reference takes 0.3 ms a listing
    stop = load_stop_shingles()
    found = [extract_identifiers(item) for item in listings]
    expected = [reference(item, stop, identifiers) for item, identifiers in zip(listings, found, strict=True)]
    assert fingerprint_texts(listings, found, stop) == expected
    assert sum(f.signature is not None for f in expected) > len(expected) // 2
    assert any(f.signature != f.full_signature for f in expected if f.signature)


def test_short_empty_and_stop_listed_texts_match_datasketch() -> None:
    listings, stop = odd_listings()
    expected = [reference(item, stop) for item in listings]
    assert [fingerprint_text(item, extract_identifiers(item), stop) for item in listings] == expected
    assert batch(listings, stop) == expected
    assert expected[3] == TextFingerprint(0, None, ())  # every shingle stop-listed
    assert expected[4].signature != expected[4].full_signature
    assert [f.shingle_count for f in expected[5:7]] == [MIN_SHINGLES, MIN_SHINGLES - 1]
    assert expected[5].signature and not expected[6].signature


def test_a_mixed_batch_in_small_chunks_matches_datasketch(monkeypatch: pytest.MonkeyPatch) -> None:
    odd, stop = odd_listings()
    seed = load_listings(seed_listings())[:60]
    listings = [item for pair in zip(seed, odd * 8, strict=False) for item in pair] + [listing(words(300))]
    expected = [reference(item, stop) for item in listings]
    assert batch(listings, stop) == expected
    monkeypatch.setattr(minhash, "CHUNK_ROWS", 7)  # a few texts a chunk, a long one in pieces
    assert batch(listings, stop) == expected
    assert batch([], stop) == []


@pytest.mark.parametrize("chunk_rows", [1, 3, 1024])
def test_segments_match_datasketch_empty_ones_included(monkeypatch: pytest.MonkeyPatch, chunk_rows: int) -> None:
    monkeypatch.setattr(minhash, "CHUNK_ROWS", chunk_rows)
    sets = [set(), {"a b c"}, set(), {f"x{i} y z" for i in range(50)}, {"a b c", "d e f"}, set()]
    grams = [gram for group in sets for gram in group]
    values = minhash.segment_minhashes(minhash.shingle_hashes(grams), [len(s) for s in sets], _permutations())
    assert values.dtype == np.uint32
    assert [row.tobytes() for row in values] == [datasketch_values(group).tobytes() for group in sets]


def test_stored_signatures_keep_their_band_keys() -> None:
    item = listing(words(40, 2))
    found = fingerprint_text(item, extract_identifiers(item), frozenset())
    assert found.signature
    assert (
        signature_bands(found.signature) == found.buckets == splitmix_band_keys(np.frombuffer(found.signature, "<u4"))
    )
    assert signature_bands(None) == ()

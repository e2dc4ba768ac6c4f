"""Near-duplicate listing text: the same post on many pages with another shop name, found with MinHash and LSH.

A listing's text (title and description) is read without its identifiers, its shop name and its numbers
(``model.text`` normalisation, tone marks folded), cut into word 3-grams ("shingles"), and shingles that honest
shops share are dropped: a stop-list learned from clean listings (shingles written by several unrelated sellers:
shipping boilerplate, "freeship toàn quốc", a brand's official description). What is left is summarised by a
MinHash signature (``datasketch``'s affine32 scheme, 128 permutations; computed for a whole batch at once by
``model.minhash``, bit for bit what datasketch gives) and cut into LSH bands whose keys are stored, so finding
the candidates of a new listing is an indexed lookup; a candidate is a near-duplicate when the signatures'
estimated Jaccard similarity reaches ``NEAR_DUPLICATE_THRESHOLD``. Texts with fewer than ``MIN_SHINGLES``
shingles left say too little to be called duplicates and get no bands.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from datasketch import MinHash, MinHashLSH
from pydantic import BaseModel, Field

from model.folding import fold_diacritics
from model.identifiers import Identifier
from model.minhash import segment_minhashes, shingle_hashes
from model.schema import Listing
from model.text import normalize_text

STOP_SHINGLES_FILE = Path(__file__).with_name("stop_shingles.json")
NUM_PERM = 128
MINHASH_SEED = 13
SHINGLE_WORDS = 3
# Chosen on the test world of `make bench-cases` (see the README): the similarity above which two listings are
# called near-duplicates, and the fewest shingles a text needs to be compared at all.
NEAR_DUPLICATE_THRESHOLD = 0.5
MIN_SHINGLES = 8
# The LSH bands are cut from the first 64 of the 128 values: 14 bands instead of 25, so each new listing writes and
# probes 14 bucket keys (the cost of linking with a million listings stored is mostly those); the candidates are
# then verified on all 128 values. Chosen with `make bench-cases` and `make bench-cases-speed` (README).
LSH_PERM = 64
_WORD = re.compile(r"[^\W\d_]+")


class StopShingles(BaseModel):
    """``stop_shingles.json``: shingles that unrelated honest sellers share, and how they were learned."""

    description: str
    learned_from: list[str]
    min_sellers: int = Field(ge=2)
    shingles: list[str]


@cache
def load_stop_shingles(path: Path = STOP_SHINGLES_FILE) -> frozenset[str]:
    """The stop-list (committed default: learned from the seed's clean listings), as a set."""
    return frozenset(StopShingles.model_validate_json(Path(path).read_text(encoding="utf-8")).shingles)


@dataclass(frozen=True)
class TextFingerprint:
    """What near-duplicate search keeps of a listing's text."""

    shingle_count: int  # shingles kept (not in the stop-list): what ``signature`` summarises
    signature: bytes | None  # NUM_PERM little-endian uint32 MinHash values; None when the text is too short
    buckets: tuple[int, ...]  # LSH band keys (signed 64-bit), one per band; empty when the text is too short
    full_signature: bytes | None = None  # MinHash of all the shingles, stop-listed ones included

    @property
    def summary(self) -> TextSummary:
        """What deciding "near-duplicate" needs of this text."""
        return TextSummary(self.signature, self.full_signature)


@dataclass(frozen=True)
class TextSummary:
    """A stored text's two signatures: of the shingles kept after the stop-list, and of all of them."""

    signature: bytes | None
    full_signature: bytes | None


@cache
def _lsh_shape() -> tuple[int, int]:
    """(bands, rows per band) that datasketch finds best for the threshold over the first ``LSH_PERM`` values
    (equal false-positive and -negative weights): 14 bands of 4."""
    lsh = MinHashLSH(threshold=NEAR_DUPLICATE_THRESHOLD, num_perm=LSH_PERM)
    return lsh.b, lsh.r


@cache
def _permutations() -> np.ndarray:
    return MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED, scheme="affine32").permutations


def shingle_words(listing: Listing, identifiers: Iterable[Identifier] = ()) -> list[str]:
    """The words of a listing's title and description, folded, without identifiers, shop name and numbers."""
    text = normalize_text(f"{listing.title}\n{listing.description or ''}")
    removed = [identifier.written for identifier in identifiers]
    if listing.seller and listing.seller.name:
        removed.append(normalize_text(listing.seller.name))
    for written in sorted({w.lower() for w in removed if w and w.strip()}, key=len, reverse=True):
        text = text.replace(written, " ")
    return _WORD.findall(fold_diacritics(text))


def shingles(words: Sequence[str], stop: frozenset[str] = frozenset()) -> set[str]:
    """Word 3-grams of ``words`` that are not in ``stop``."""
    # zip stops at the shortest tail: one n-gram per start with SHINGLE_WORDS words from it, none for fewer words
    grams = set(map(" ".join, zip(*(words[i:] for i in range(SHINGLE_WORDS)), strict=False)))
    return grams - stop


_MIX = np.uint64(0x9E3779B97F4A7C15)  # splitmix64's constants: a fast, well-mixed 64-bit hash
_MIX_A = np.uint64(0xBF58476D1CE4E5B9)
_MIX_B = np.uint64(0x94D049BB133111EB)


def band_keys(hashvalues: np.ndarray) -> tuple[int, ...]:
    """One signed 64-bit key per LSH band: a hash of the band's index and its rows of the signature (splitmix64
    steps over the rows, all bands at once)."""
    return _band_keys_of(np.asarray(hashvalues, dtype="<u4")[None, :])[0]


def _band_keys_of(signatures: np.ndarray) -> list[tuple[int, ...]]:
    """``band_keys`` of each row of an (n, NUM_PERM) array of signatures, all rows at once."""
    bands, rows = _lsh_shape()
    values = signatures[:, : bands * rows].astype(np.uint64).reshape(len(signatures), bands, rows)
    with np.errstate(over="ignore"):
        keys = np.broadcast_to((np.arange(bands, dtype=np.uint64) + np.uint64(1)) * _MIX, values.shape[:2])
        for column in range(rows):
            keys = keys ^ values[:, :, column]
            keys = (keys ^ (keys >> np.uint64(30))) * _MIX_A
            keys = (keys ^ (keys >> np.uint64(27))) * _MIX_B
            keys = keys ^ (keys >> np.uint64(31))
    return [tuple(row) for row in keys.view(np.int64).tolist()]


def signature_bands(signature: bytes | None) -> tuple[int, ...]:
    """The LSH band keys of a stored signature (none for a text too short to have one)."""
    return band_keys(np.frombuffer(signature, dtype="<u4")) if signature else ()


def fingerprint_text(
    listing: Listing, identifiers: Iterable[Identifier] = (), stop: frozenset[str] | None = None
) -> TextFingerprint:
    """The MinHash signature and LSH band keys of a listing's text (none when fewer than MIN_SHINGLES)."""
    return fingerprint_texts([listing], [identifiers], stop)[0]


def fingerprint_texts(
    listings: Sequence[Listing], identifiers: Sequence[Iterable[Identifier]], stop: frozenset[str] | None = None
) -> list[TextFingerprint]:
    """``fingerprint_text`` of each listing (``identifiers[i]`` are listing i's), computed for the whole batch at
    once: the shingles of every text long enough are hashed and permuted together (``model.minhash``, equal to
    datasketch's MinHash) and their band keys cut in one pass, which costs far less than a MinHash per text.

    Each text gives two segments, its kept shingles and its stop-listed ones: the kept segment's MinHash is the
    signature, and the least of both the full signature (the MinHash of the union).
    """
    stop = load_stop_shingles() if stop is None else stop
    counts: list[int] = []
    grams: list[str] = []
    sizes: list[int] = []
    for listing, found in zip(listings, identifiers, strict=True):
        every = shingles(shingle_words(listing, found))
        kept = every - stop
        counts.append(len(kept))
        if len(kept) >= MIN_SHINGLES:
            stopped = every - kept
            grams += kept
            grams += stopped
            sizes += (len(kept), len(stopped))
    values = segment_minhashes(shingle_hashes(grams), sizes, _permutations()).reshape(-1, 2, NUM_PERM)
    signatures = values[:, 0].astype("<u4")
    full_signatures = np.minimum(values[:, 0], values[:, 1]).astype("<u4")
    bands = iter(_band_keys_of(signatures))
    rows = iter(zip(signatures, full_signatures, strict=True))
    fingerprints = []
    for count in counts:
        if count < MIN_SHINGLES:
            fingerprints.append(TextFingerprint(count, None, ()))
            continue
        signature, full = next(rows)
        fingerprints.append(TextFingerprint(count, signature.tobytes(), next(bands), full.tobytes()))
    return fingerprints


def similarity(signature_a: bytes, signature_b: bytes) -> float:
    """Estimated Jaccard similarity of two texts: the share of equal MinHash values."""
    a = np.frombuffer(signature_a, dtype="<u4")
    b = np.frombuffer(signature_b, dtype="<u4")
    return float(np.count_nonzero(a == b)) / len(a) if len(a) == len(b) and len(a) else 0.0


def is_near_duplicate(a: TextSummary, b: TextSummary) -> bool:
    """Whether two texts are near-duplicates: alike in what is left after the stop-list, and alike as written.

    The second test stops a post that copies an honest shop's description into stock phrases of its own: the
    copy alone makes what is left after the stop-list look alike, the whole texts do not.
    """
    if not (a.signature and b.signature and a.full_signature and b.full_signature):
        return False
    threshold = NEAR_DUPLICATE_THRESHOLD
    return (
        similarity(a.signature, b.signature) >= threshold
        and similarity(a.full_signature, b.full_signature) >= threshold
    )


def learn_stop_shingles(listings: Iterable[Listing], *, min_sellers: int) -> list[str]:
    """Shingles that at least ``min_sellers`` different sellers wrote: text honest shops share.

    A listing without a seller id or name counts as a seller of its own.
    """
    sellers: dict[str, set[str]] = defaultdict(set)
    for index, listing in enumerate(listings):
        seller = listing.seller
        who = (seller.id or seller.name) if seller else None
        key = f"{listing.platform}:{who}" if who else f"listing:{index}"
        for gram in shingles(shingle_words(listing)):
            if len(sellers[gram]) < min_sellers:
                sellers[gram].add(key)
    return sorted(gram for gram, who in sellers.items() if len(who) >= min_sellers)

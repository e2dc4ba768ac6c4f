"""The faster price check, features and score loop give what the straightforward ones they replaced gave (issue 15:
identical scores and reasons). The straightforward ones are kept in ``scoring_references.py`` as the specification.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import model.market.neighbours as neighbours
from model.features import PRICE_FEATURES, build_signal_values
from model.market.catalogue import load_catalogue
from model.market.match import match_product
from model.market.neighbours import NeighbourTable, fit_neighbour_table
from model.market.reference import check_price, fold_title, normalize_title
from model.metadata_features import (
    _LISTING_FIELDS,
    _SELLER_FIELDS,
    _is_abroad,
    _own_value,
    build_metadata_matrix,
    read_metadata,
    ships_from_abroad,
)
from model.predictor import EXPLAINED_KINDS, Predictor
from model.schema import PLATFORMS, Listing, Score
from model.text_views import build_text_views, listing_brand
from tests.model.scoring_references import (
    reference_check_price,
    reference_contributions,
    reference_match_product,
    reference_metadata_matrix,
    reference_nearest,
    reference_price_values,
    reference_read_metadata,
    reference_signal_values,
    use_scoring_references,
)
from training.dataset import SEED_LISTINGS, find_shared_dir, load_listings

SAMPLE = 300
# Vietnamese (precomposed and with combining marks), emoji, digits, punctuation, markup, spaces of every kind
_LETTERS = "aăâbcdđeêghiklmnoôơpqrstuưvxyAĐƯ áàảãạếộữ\u0301\u0323 \t\n0123456789.,-/%&<>#;!?😀🇻🇳_"
_TEXT = st.text(alphabet=st.sampled_from(list(_LETTERS)), max_size=80) | st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=400
)


def _sample() -> list[Listing]:
    listings = load_listings(SEED_LISTINGS)[::5][:SAMPLE]
    shared = find_shared_dir()
    real = shared / "data" / "real-listings" / "tiki_fashion.jsonl" if shared else None
    if real is not None and real.is_file():
        listings += load_listings(real)[:SAMPLE]
    return listings


def _scores(predictor: Predictor, listings: Sequence[Listing]) -> list[dict[str, Any]]:
    scores: list[Score] = []
    for start in range(0, len(listings), 64):
        scores += predictor.score(listings[start : start + 64])
    return [score.model_dump() for score in scores]


def test_scores_and_reasons_equal_the_straightforward_path(trained: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    listings = _sample()
    predictor = Predictor.load(trained.model_dir)
    every = replace(predictor, cutoffs=replace(predictor.cutoffs, medium=0.0))  # every listing explained
    fast = _scores(predictor, listings), _scores(every, listings)
    use_scoring_references(monkeypatch)
    predictor = Predictor.load(trained.model_dir)
    every = replace(predictor, cutoffs=replace(predictor.cutoffs, medium=0.0))
    slow = _scores(predictor, listings), _scores(every, listings)
    assert fast == slow  # the same floats, strings and reasons, not merely close
    explained = [sum(bool(score["reasons"]) for score in scores) for scores in fast]
    assert 0 < explained[0] < explained[1] and explained[1] > len(listings) // 2  # the reasons are exercised


def test_price_checks_matches_and_features_equal_the_references(trained: Any) -> None:
    scorer = Predictor.load(trained.model_dir).linear
    listings = _sample()
    views = scorer.build_views(listings)
    table = fit_neighbour_table(
        (brand, listing.title, listing.price)
        for listing, view in zip(listings, views, strict=True)
        if (brand := listing_brand(listing, view)) and listing.price
    )
    checked = 0
    for reference in (scorer.price_reference, table, None):
        for listing, view in zip(listings, views, strict=True):
            check = check_price(listing, view, reference)
            assert check == reference_check_price(listing, view, reference)
            assert [feature.compute(check) for feature in PRICE_FEATURES] == reference_price_values(check)
            checked += check is not None
    assert checked > 100
    catalogue = load_catalogue()
    for listing, view in zip(listings, views, strict=True):
        title, brand = normalize_title(listing.title), listing_brand(listing, view)
        assert match_product(title, brand, catalogue) == reference_match_product(title, brand, catalogue)
        assert match_product(title, None, catalogue) == reference_match_product(title, None, catalogue)
    assert np.array_equal(build_metadata_matrix(listings), reference_metadata_matrix(listings))
    for reading in scorer.read(listings, views):
        assert build_signal_values(reading) == reference_signal_values(reading)


def test_contributions_equal_the_reference(trained: Any) -> None:
    scorer = Predictor.load(trained.model_dir).linear
    listings = _sample()[::3]
    features = scorer.transform(listings)
    kinds_tried = (EXPLAINED_KINDS, frozenset({"chars", "signals"}), frozenset({"metadata"}), frozenset())
    for row in range(len(listings)):
        for output in range(len(scorer.outputs)):
            for kinds in kinds_tried:
                fast = scorer.contributions(features, row, output, kinds=kinds)
                assert fast == reference_contributions(scorer, features, row, output, kinds=kinds)


def test_nearest_equals_counting_one_row_at_a_time() -> None:
    listings = load_listings(SEED_LISTINGS)
    items = []
    for listing in listings:
        brand = listing_brand(listing, build_text_views(listing, max_description_chars=0, max_segmented_chars=0))
        if brand and listing.price:
            items.append((brand, listing.title, listing.price))
    for table in (fit_neighbour_table(items), fit_neighbour_table(items, per_brand_cap=5), NeighbourTable()):
        table = NeighbourTable.from_dict({**table.to_dict(), "min_similarity": 0.1})  # more rows compared
        for brand, title, _price in items:
            key, tokens = neighbours.neighbour_key(brand, title), neighbours.title_tokens(title)
            assert table.nearest(key, tokens) == reference_nearest(table, key, tokens)


@settings(max_examples=300, deadline=None)
@given(title=_TEXT, brand=st.sampled_from(["Apple", "Gucci", "Rolex"]))
def test_a_folded_title_is_read_as_the_neighbour_table_reads_it(title: str, brand: str) -> None:
    # the price check hands the table the title it folded for the matcher: it must be the one the table folds
    assert fold_title(title) == neighbours.folded_title(title)
    assert neighbours.folded_title_tokens(fold_title(title)) == neighbours.title_tokens(title)
    assert neighbours.folded_neighbour_key(brand, fold_title(title)) == neighbours.neighbour_key(brand, title)


@settings(max_examples=300, deadline=None)
@given(place=_TEXT | st.sampled_from(["Hà Nội", "Nước ngoài", "TP. Hồ Chí Minh", "Trung Quốc", "  HÀN QUỐC "]))
def test_the_remembered_place_of_origin_is_the_one_read(place: str) -> None:
    expected = _is_abroad(place) if place else None
    assert ships_from_abroad(place) is expected
    assert ships_from_abroad(place) is expected  # remembered


_COUNT = st.none() | st.integers(min_value=0, max_value=2**63 - 1)
_SELLER = st.none() | st.fixed_dictionaries(
    {},
    optional={
        "account_age_days": _COUNT,
        "follower_count": _COUNT,
        "rating": st.none() | st.floats(min_value=0, max_value=5),
        "listing_count": _COUNT,
        "is_official": st.none() | st.booleans(),
    },
)
_OPTIONAL_TEXT = st.none() | _TEXT.filter(lambda text: "\x00" not in text)
_LISTING = st.fixed_dictionaries(
    {"title": st.just("Áo thun nam")},
    optional={
        "price": st.none() | st.floats(min_value=0, max_value=1e12),
        "sold_count": _COUNT,
        "image_count": _COUNT,
        "seller": _SELLER,
        "ships_from": _OPTIONAL_TEXT.map(lambda text: text and text[:200]),
        "platform": st.none() | st.sampled_from([*PLATFORMS, " Shopee ", "TIKI", "", "chợ tốt"]),
        "description": _OPTIONAL_TEXT,
        "brand": st.none() | st.sampled_from(["Rolex", "rolexx", "OEM", "", "Gucci "]),
    },
).map(lambda fields: Listing(**fields))


@settings(max_examples=200, deadline=None)
@given(listings=st.lists(_LISTING, max_size=5))
def test_metadata_read_once_equals_each_feature_reading_the_listing(listings: list[Listing]) -> None:
    for listing in listings:
        metadata = read_metadata(listing)
        assert metadata == reference_read_metadata(listing)
        for field in (*_LISTING_FIELDS, *_SELLER_FIELDS):  # what a reason shows is what the feature read
            assert _own_value(field)(listing) is getattr(metadata, field)
    assert np.array_equal(build_metadata_matrix(listings), reference_metadata_matrix(listings))

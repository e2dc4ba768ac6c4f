"""The straightforward implementations that the faster price check, features and score loop replaced, kept as their
specification (``test_scoring_equivalence.py``, and ``test_reading_equivalence.py`` through ``use_references``):
the price check reading the title again for its neighbours, the matcher looking for accessory words before aliases,
the neighbour look-up counting shared words one by one, metadata features each reading the listing for itself,
signal values read feature by feature from the registry, contributions placed in their blocks one at a time, and
the score loop reading its probabilities one numpy scalar at a time. ``use_scoring_references`` puts them all back.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

import numpy as np
import pytest
import scipy.sparse as sp

import model.linear
import model.market.reference
import model.metadata_features
import model.reading
from model.brands import brand_min_price
from model.feature_base import Contribution
from model.features import FAR_BELOW_LOG_RATIO, signal_features
from model.folding import fold_diacritics
from model.linear import ANY_OUTPUT, LinearScorer
from model.market.catalogue import Catalogue, load_catalogue
from model.market.match import (
    ProductMatch,
    _catalogue_index,
    _choose_variant,
    _find_line,
    is_accessory_title,
    named_kinds,
)
from model.market.neighbours import Neighbours, NeighbourTable, neighbour_key, title_tokens
from model.market.phrases import tokenize
from model.market.quantity import Quantity, read_quantity, read_variants
from model.market.reference import (
    SOURCES,
    PriceCheck,
    is_partial_price,
    normalize_title,
    read_condition,
    used_range,
)
from model.metadata_features import METADATA_FEATURES, ListingMetadata, _is_abroad
from model.predictor import EXPLAINED_KINDS, Predictor, order_reasons
from model.reading import ListingReading
from model.reasons import build_reasons
from model.schema import Listing, Reason, Score
from model.text_views import TextViews, listing_brand, listing_price


def reference_match_product(title_normalized: str, brand: str | None, catalogue: Catalogue) -> ProductMatch | None:
    """``match_product`` looking for accessory words before aliases (the old order)."""
    index = _catalogue_index(catalogue)
    if not index.lines:
        return None
    title_folded = fold_diacritics(title_normalized)
    title_tokens = tokenize(title_folded)
    if is_accessory_title(title_tokens):
        return None
    line = _find_line(title_tokens, index, brand)
    if not line:
        return None
    key, alias = line  # type: ignore[misc]
    chosen = _choose_variant(index.lines[key], read_variants(title_folded))
    if chosen is None:
        return None
    named = named_kinds(title_normalized)
    if named and not any(catalogue.kinds.get(chosen[0].id) in kinds for kinds in named):
        return None
    return ProductMatch(product=chosen[0], alias=alias, variant_read=chosen[1])


def reference_check_price(
    listing: Listing, views: TextViews, neighbours: NeighbourTable | None, *, catalogue: Catalogue | None = None
) -> PriceCheck | None:
    """``check_price`` reading the title again for its neighbour key and words (the old way)."""
    price = listing_price(listing, views)
    if price is None or not price > 0 or not math.isfinite(price):
        return None
    brand = listing_brand(listing, views)
    normalized_title = normalize_title(listing.title)
    match = reference_match_product(normalized_title, brand, catalogue if catalogue is not None else load_catalogue())
    if (match is None and brand is None) or is_partial_price(views.normalized):
        return None
    condition = read_condition(views.normalized)
    title = fold_diacritics(normalized_title)
    if match is not None:
        product = match.product
        quantity = read_quantity(title.replace(match.alias, " ", 1), product.unit)
        used = condition.state == "used"
        low, high = used_range(product.price_vnd, product.used_price_vnd) if used else product.price_vnd
        return PriceCheck(
            "catalogue", product.name, product.brand, price, quantity, product.unit, condition,
            float(low), float(high), used, product.year, 0, product.id,
        )  # fmt: skip
    if brand is None:
        return None
    key = neighbour_key(brand, listing.title)
    found = neighbours.nearest(key, title_tokens(listing.title)) if neighbours is not None else None
    if found is not None:
        median = found.median_price_vnd
        return PriceCheck(
            "neighbours", brand, brand, price, Quantity(), "", condition, median, median, False, None, found.count
        )
    floor = brand_min_price(brand)
    if floor is not None and condition.state != "used" and not is_accessory_title(tokenize(title)):
        return PriceCheck("brand_min", brand, brand, price, Quantity(), "", condition, floor, floor, False, None, 0)
    return None


def reference_nearest(self: NeighbourTable, brand: str, tokens: frozenset[str]) -> Neighbours | None:
    """``NeighbourTable.nearest`` counting shared words one row at a time (the old way)."""
    postings, rows = self._postings.get(brand), self.entries.get(brand)
    if not postings or not rows or not tokens:
        return None
    shared: dict[int, int] = {}
    for token in tokens:
        for row in postings.get(token, ()):
            shared[row] = shared.get(row, 0) + 1
    scored = []
    for row, common in shared.items():
        similarity = common / (len(tokens) + len(rows[row][0]) - common)
        if similarity >= self.min_similarity:
            scored.append((similarity, row))
    if len(scored) < self.min_neighbours:
        return None
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    best = scored[: self.k]
    return Neighbours(
        median_price_vnd=float(statistics.median(rows[row][1] for _s, row in best)),
        count=len(best),
        mean_similarity=sum(s for s, _row in best) / len(best),
    )


def reference_price_values(c: PriceCheck | None) -> list[float]:
    """The price features of a check as each was written before they were written once for checks and readings."""
    return [
        *(min(max(-c.log_ratio, -2.0), 5.0) if c is not None and c.source == source else 0.0 for source in SOURCES),
        float(c is not None and c.log_ratio < FAR_BELOW_LOG_RATIO),
        *(float(c is not None and c.source == source) for source in SOURCES),
        float(c is None),
        float(c is not None and c.condition.state == "used"),
        float(c is not None and c.condition.state == "new"),
        math.log(c.quantity.count) if c is not None else 0.0,
    ]


def reference_read_metadata(listing: Listing) -> ListingMetadata:
    """``read_metadata`` reading each value by name, and where the listing ships from without a cache."""
    seller = listing.seller
    return ListingMetadata(
        price=listing.price,
        sold_count=listing.sold_count,
        image_count=listing.image_count,
        account_age_days=seller.account_age_days if seller else None,
        follower_count=seller.follower_count if seller else None,
        rating=seller.rating if seller else None,
        listing_count=seller.listing_count if seller else None,
        is_official=seller.is_official if seller else None,
        abroad=_is_abroad(listing.ships_from) if listing.ships_from else None,
        platform=(listing.platform or "").strip().lower(),
        described=bool(listing.description),
        brand=listing.brand,
    )


def reference_metadata_matrix(listings: Sequence[Listing]) -> np.ndarray:
    """The metadata matrix row by row, each feature reading the listing for itself (the old cost, the same values)."""
    rows = [
        [feature.compute(reference_read_metadata(listing)) for feature in METADATA_FEATURES] for listing in listings
    ]
    return np.asarray(rows, dtype=np.float32).reshape(len(listings), len(METADATA_FEATURES))


def reference_signal_values(reading: ListingReading) -> list[float]:
    """The signal values feature by feature, from the registry itself (the old loop)."""
    return [feature.compute(reading) for feature in signal_features()]


def reference_contributions(
    self: LinearScorer, features: sp.csr_matrix, row: int, output: int, *, kinds: frozenset[str], limit: int = 30
) -> list[Contribution]:
    """``LinearScorer.contributions`` placing each contribution in its block one at a time (the old way)."""
    blocks = [block for block in self.feature_blocks() if block.kind in kinds]
    first, last = features.indptr[row], features.indptr[row + 1]
    columns, values = features.indices[first:last], features.data[first:last]
    keep = np.zeros(len(columns), dtype=bool)
    for block in blocks:
        keep |= (columns >= block.start) & (columns < block.start + len(block.names))
    columns, values = columns[keep], values[keep]
    contribution = values * self.weights[columns, output]
    order = [i for i in np.argsort(-contribution)[:limit] if contribution[i] > 0]
    starts = np.asarray([block.start for block in blocks])
    label = self.outputs[output]
    result = []
    for i in order:
        block = blocks[int(np.searchsorted(starts, columns[i], side="right")) - 1]
        column = columns[i] - block.start
        feature = block.features[column] if block.features else None
        name = str(block.names[column])
        result.append(Contribution(block.kind, name, float(values[i]), float(contribution[i]), label, feature))
    return result


def reference_scores(
    self: Predictor,
    listings: Sequence[Listing],
    probabilities: np.ndarray,
    features: sp.csr_matrix,
    readings: Sequence[ListingReading],
    truncated: Sequence[bool],
    *,
    with_reasons: bool,
) -> list[Score]:
    """``Predictor.score``'s loop over listings reading one numpy scalar at a time (the old way)."""
    labels = self.linear.labels
    any_index = self.linear.outputs.index(ANY_OUTPUT)
    scores = []
    for row_index, listing in enumerate(listings):
        row = probabilities[row_index]
        per_label = {label: float(row[i]) for i, label in enumerate(labels)}
        risk = float(max(row[any_index], max(per_label.values())))
        flagged = [label for label in labels if per_label[label] >= self.thresholds[label]]
        priority = self.cutoffs.priority(risk)
        reasons: list[Reason] = []
        if with_reasons and (flagged or priority != "low"):
            explain = flagged or [max(per_label, key=per_label.__getitem__)]
            for label in explain:
                contributions = self.linear.contributions(
                    features, row_index, labels.index(label), kinds=EXPLAINED_KINDS
                )
                reasons += build_reasons(contributions, label=label, reading=readings[row_index])
            reasons = order_reasons(reasons)
        if truncated[row_index]:
            reasons.append(self._truncation_reason())
        scores.append(
            Score(
                listing_id=listing.id,
                model_version=self.version,
                risk=round(risk, 6),
                probabilities={label: round(p, 6) for label, p in per_label.items()},
                flagged=flagged,
                priority=priority,
                reasons=reasons,
                read_truncated=truncated[row_index],
            )
        )
    return scores


def use_scoring_references(monkeypatch: pytest.MonkeyPatch) -> None:
    """Put every straightforward implementation of the scoring path back in place of the fast one."""
    monkeypatch.setattr(model.reading, "check_price", reference_check_price)
    monkeypatch.setattr(model.market.reference, "match_product", reference_match_product)
    monkeypatch.setattr(NeighbourTable, "nearest", reference_nearest)
    monkeypatch.setattr(model.metadata_features, "read_metadata", reference_read_metadata)
    monkeypatch.setattr(model.linear, "build_metadata_matrix", reference_metadata_matrix)
    monkeypatch.setattr(model.linear, "build_signal_values", reference_signal_values)
    monkeypatch.setattr(LinearScorer, "contributions", reference_contributions)
    monkeypatch.setattr(Predictor, "_scores", reference_scores)

"""Generated clean listings whose price the catalogue contradicts are dropped before training and evaluation.

The seed generator draws a pool's prices from one range for the whole pool, so a clean pool of genuine
electronics can produce "Sony WH-1000XM5 chính hãng" at 340.000 ₫: a label no officer would give. Such a
listing teaches the price features that a genuine flagship at a tenth of its price is lawful. A clean listing
that came from the generator (it carries ``pool_entry``) and whose unit price is below 30% of the genuine range
of the catalogue product it names is dropped from every split, counted, and recorded in the model card.
Reviewed and real listings are never dropped: a person's label stands.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence

from model.features import FAR_BELOW_LOG_RATIO
from model.market.reference import check_price
from model.text_views import build_text_views
from training.dataset import Example

log = logging.getLogger(__name__)
GENERATED_FIELD = "pool_entry"


def implausible_clean(example: Example, *, max_description_chars: int) -> bool:
    """Whether a generated clean listing costs less than 30% of the catalogue product it names."""
    if example.listing.labels or GENERATED_FIELD not in example.extras:
        return False
    views = build_text_views(example.listing, max_description_chars=max_description_chars, max_segmented_chars=0)
    check = check_price(example.listing, views, None)
    return check is not None and check.source == "catalogue" and check.log_ratio < FAR_BELOW_LOG_RATIO


def drop_implausible_clean(
    examples: Sequence[Example], *, max_description_chars: int
) -> tuple[list[Example], dict[str, int]]:
    """The examples without generated clean listings the catalogue contradicts, and how many went per goods pool."""
    kept: list[Example] = []
    dropped: Counter[str] = Counter()
    for example in examples:
        if implausible_clean(example, max_description_chars=max_description_chars):
            dropped[str(example.extras.get("goods", "?"))] += 1
        else:
            kept.append(example)
    if dropped:
        log.info(
            "dropped %d generated clean listings priced below 30%% of their catalogue product", sum(dropped.values())
        )
    return kept, dict(sorted(dropped.items()))

"""Features carry their own explanation: names and values come from one registry, and a renamed feature keeps its
reason because reasons ask the feature, never match its name. The evidence is read once per listing."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import model.features
import model.reading
from model.artifact import LINEAR_CONFIG_FILE
from model.errors import ArtifactError
from model.explanations import Explanation, Silent
from model.feature_base import Contribution, Feature
from model.features import signal_features
from model.linear import LinearScorer
from model.metadata_features import METADATA_FEATURE_NAMES, METADATA_FEATURES, build_metadata_features
from model.predictor import EXPLAINED_KINDS, Predictor
from model.reading import read_listing
from model.reasons import build_reasons
from model.schema import Listing
from model.text_views import build_text_views

LISTING = Listing(
    title="Bóng cười bình 8L giá 350k, ib zalo 0912 345 678",
    price=350_000.0,
    seller={"account_age_days": 3, "follower_count": 2},
)
# The features that move a score but give a reviewer nothing to check. A new feature is explained, or listed here.
SILENT = {
    "account_age_missing",
    "followers_missing",
    "rating_missing",
    "listing_count_missing",
    "official_missing",
    "abroad_missing",
    "sold_missing",
    "images_missing",
    "platform_shopee",
    "platform_lazada",
    "platform_tiki",
    "platform_tiktok",
    "platform_facebook",
    "platform_zalo",
    "platform_website",
    "platform_other",
    "platform_missing",
    "price_only_in_text",
    "lexicon_innocent_context",
}


def _reading(listing: Listing = LISTING) -> model.features.ListingReading:
    views = build_text_views(listing, max_description_chars=500, max_segmented_chars=0)
    return read_listing(listing, views, None)


def _contribution(kind: str, feature: Feature[Any], value: float, weight: float) -> Contribution:
    return Contribution(kind, feature.name, value, weight, "prohibited", feature)


def test_names_and_values_come_from_one_registry() -> None:
    assert tuple(feature.name for feature in METADATA_FEATURES) == METADATA_FEATURE_NAMES
    assert len(build_metadata_features(LISTING)) == len(METADATA_FEATURES)
    names = [*METADATA_FEATURE_NAMES, *(feature.name for feature in signal_features())]
    assert len(names) == len(set(names)), "feature names must be unique across the metadata and signal blocks"


def test_every_feature_is_explained_or_deliberately_silent() -> None:
    features = [*METADATA_FEATURES, *signal_features()]
    assert all(isinstance(feature.explanation, Explanation) for feature in features)
    silent = {feature.name for feature in features if isinstance(feature.explanation, Silent)}
    assert silent == SILENT, "a new feature needs an explanation (model.explanations), or a Silent one listed here"
    assert all(feature.explanation.why for feature in features if isinstance(feature.explanation, Silent))


def test_a_renamed_feature_keeps_its_reason() -> None:
    reading = _reading()
    account_new = next(feature for feature in METADATA_FEATURES if feature.name == "account_new")
    renamed = replace(account_new, name="seller_joined_lately")
    [reason] = build_reasons([_contribution("metadata", renamed, 1.0, 0.3)], label="prohibited", reading=reading)
    assert reason.text == "Tài khoản người bán mới (dưới 30 ngày)." and reason.evidence == "seller_joined_lately"
    [hit] = reading.views.lexicon_hits  # "bóng cười"
    lexicon = next(feature for feature in signal_features() if feature.name == f"lexicon_{hit.category}")
    renamed = replace(lexicon, name="whatever_name")
    [reason] = build_reasons([_contribution("signals", renamed, 1.0, 0.5)], label="prohibited", reading=reading)
    assert reason.normalized == hit.term and reason.legal_basis
    contacts = next(feature for feature in signal_features() if feature.name == "has_messaging_handle")
    [reason] = build_reasons(
        [_contribution("signals", replace(contacts, name="zalo_left"), 1.0, 0.2)], label="prohibited", reading=reading
    )
    assert reason.text == "Tin đăng để lại tài khoản Zalo/Telegram để giao dịch ngoài sàn."


def test_an_innocent_context_raising_a_score_gives_no_reason() -> None:
    """It used to be read as a lexicon category named "innocent_context", which does not exist (StopIteration)."""
    innocent = next(feature for feature in signal_features() if feature.name == "lexicon_innocent_context")
    contribution = _contribution("signals", innocent, 1.0, 0.4)
    assert build_reasons([contribution], label="prohibited", reading=_reading()) == []


def test_contributions_carry_their_feature_and_label(trained: Any) -> None:
    scorer = Predictor.load(trained.model_dir).linear
    features = scorer.transform([LISTING])
    for output, label in enumerate(scorer.outputs):
        for contribution in scorer.contributions(features, 0, output, kinds=EXPLAINED_KINDS):
            assert contribution.label == label and contribution.weight > 0
            if contribution.kind in {"metadata", "signals"}:
                assert contribution.feature is not None and contribution.feature.name == contribution.name
            else:
                assert contribution.feature is None


def test_the_price_is_checked_once_per_listing(trained: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    check_price = model.reading.check_price
    monkeypatch.setattr(model.reading, "check_price", lambda *args: calls.append(1) or check_price(*args))
    predictor = Predictor.load(trained.model_dir)
    predictor.cutoffs = replace(predictor.cutoffs, medium=0.0)  # every listing is explained
    [score] = predictor.score([LISTING])
    assert score.reasons and len(calls) == 1


@pytest.mark.parametrize("block", ["metadata", "signal"])
def test_a_model_trained_with_other_features_is_refused(trained: Any, tmp_path: Path, block: str) -> None:
    folder = tmp_path / "model"
    shutil.copytree(trained.model_dir, folder)
    config = json.loads((folder / LINEAR_CONFIG_FILE).read_text(encoding="utf-8"))
    config[f"{block}_features"] = config[f"{block}_features"][:-1]
    (folder / LINEAR_CONFIG_FILE).write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(ArtifactError, match=f"trained with {block} features .* retrain with `make train`"):
        LinearScorer.load(folder)


def test_a_new_unofficial_seller_of_a_known_brand_is_a_reason_naming_the_brand() -> None:
    listing = Listing(title="Đồng hồ nam", brand="rolex", seller={"account_age_days": 4, "is_official": False})
    feature = next(feature for feature in METADATA_FEATURES if feature.name == "new_seller_branded")
    [reason] = build_reasons(
        [_contribution("metadata", feature, 2.5, 0.3)], label="counterfeit", reading=_reading(listing)
    )
    assert reason.kind == "metadata" and reason.evidence == "new_seller_branded"
    assert reason.text == (
        "Tài khoản người bán mới (dưới 30 ngày), không phải shop chính hãng, bán hàng hiệu Rolex: "
        "kiểu shop mở nhanh để bán hàng nhái."
    )
    # switched off (standardised below its mean), it says nothing even when its weight makes it count
    assert (
        build_reasons([_contribution("metadata", feature, -0.1, 0.01)], label="counterfeit", reading=_reading(listing))
        == []
    )

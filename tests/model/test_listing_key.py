"""One listing identity for serving and training (model.listing_key)."""

from __future__ import annotations

import json

from model.listing_key import listing_key
from model.schema import Listing
from serving.storage import listings
from training import retrain_data


def test_serving_and_training_use_the_same_key() -> None:
    assert listings.listing_key is listing_key is retrain_data.listing_key


def test_key_is_a_json_array_of_id_else_url_else_content() -> None:
    with_id = Listing(id="42", platform="shopee", title="Áo thun", url="https://shopee.vn/a")
    assert json.loads(listing_key(with_id)) == ["id", "shopee", "42"]
    assert listing_key(with_id) == '["id","shopee","42"]'  # the form stored in listings.key (migration 0003)
    with_url = Listing(title="Áo thun", url="https://shopee.vn/a")
    assert json.loads(listing_key(with_url, "ignored")) == ["url", "https://shopee.vn/a"]
    bare = Listing(title="Áo thun")
    assert json.loads(listing_key(bare, "abc")) == ["sha256", "abc"]
    kind, digest = json.loads(listing_key(bare))
    assert kind == "sha256" and len(digest) == 64
    assert listing_key(bare) == listing_key(bare.model_copy(update={"labels": ["counterfeit"]}))  # labels aside
    assert listing_key(bare) != listing_key(Listing(title="Áo thun nam"))

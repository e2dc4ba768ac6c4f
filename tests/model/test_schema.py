"""The listing and score contracts: what is accepted, what is refused and why."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from pydantic import ValidationError

from model.errors import LabelError
from model.labels import check_labels, default_labels, describe_label, load_label_catalog
from model.schema import Listing, Score

CONTRACT_DIR = Path(__file__).resolve().parents[3] / "shared" / "contract"


def test_only_title_is_required_and_extra_fields_are_ignored() -> None:
    listing = Listing.model_validate({"title": "Áo thun", "source": "crawler-7", "goods": "fashion"})
    assert listing.title == "Áo thun"
    assert listing.price is None and listing.seller is None and listing.labels == []
    assert not hasattr(listing, "source")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": 123}, "title"),
        ({"title": "x", "price": -1}, "price"),
        ({"title": "x", "price": "rẻ"}, "price"),
        ({"title": "x", "price": float("nan")}, "price"),
        ({"title": "x", "seller": {"rating": 7}}, "seller.rating"),
        ({"title": "x", "seller": {"account_age_days": -3}}, "seller.account_age_days"),
        ({"title": "x", "sold_count": 1.5}, "sold_count"),
        ({"title": "x", "labels": ["drugs"]}, "labels"),
    ],
)
def test_bad_listings_are_refused_naming_the_field(payload: dict, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        Listing.model_validate(payload)
    fields = {".".join(str(p) for p in error["loc"]) for error in info.value.errors()}
    assert field in fields


def test_text_is_nfc_normalised_at_the_boundary() -> None:
    decomposed = unicodedata.normalize("NFD", "Bóng cười")
    listing = Listing(title=decomposed, seller={"name": unicodedata.normalize("NFD", "Shop Hà Nội")})
    assert listing.title == "Bóng cười"
    assert listing.seller is not None and listing.seller.name == "Shop Hà Nội"


def test_label_set_is_defined_once_and_checked() -> None:
    assert default_labels() == ("counterfeit", "smuggled", "prohibited")
    assert set(default_labels()) <= set(load_label_catalog())
    assert "giả" in describe_label("counterfeit")
    assert check_labels(["smuggled", "smuggled"], allowed=default_labels()) == ["smuggled"]
    with pytest.raises(LabelError, match="expected one of"):
        check_labels(["expired"], allowed=default_labels())


@pytest.mark.skipif(not CONTRACT_DIR.is_dir(), reason="../shared/contract is not present beside the project")
def test_models_agree_with_the_shared_json_schemas() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    listing_schema = json.loads((CONTRACT_DIR / "listing.schema.json").read_text(encoding="utf-8"))
    score_schema = json.loads((CONTRACT_DIR / "score.schema.json").read_text(encoding="utf-8"))
    assert set(listing_schema["properties"]) <= set(Listing.model_fields)
    assert set(listing_schema["properties"]["labels"]["items"]["enum"]) == set(default_labels())
    score = Score(
        listing_id=None,
        model_version="v",
        risk=0.5,
        flagged=[],
        priority="medium",
        probabilities={"counterfeit": 0.1, "smuggled": 0.2, "prohibited": 0.5},
    )
    jsonschema.validate(json.loads(score.model_dump_json()), score_schema)

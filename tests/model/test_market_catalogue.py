"""The product catalogue loader: valid files load, a bad entry names its file, entry and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model.errors import CatalogueError
from model.market.catalogue import CATALOGUE_DIR, catalogue_fingerprint, load_catalogue

SAMPLE = Path(__file__).parent / "data" / "catalogue_sample"


def _entry(**changes: object) -> dict:
    entry = {
        "id": "apple-iphone-15-128gb",
        "brand": "Apple",
        "line": "iPhone 15",
        "variant": "128GB",
        "aliases": ["iphone 15", "ip 15"],
        "unit": "chiếc",
        "price_vnd": [17000000, 20000000],
        "year": 2025,
        "source": "estimate",
        "checked": False,
    }
    entry.update(changes)
    return entry


def _write(folder: Path, name: str, products: list[dict]) -> Path:
    path = folder / name
    path.write_text(json.dumps({"kind": "phone_electronics", "name_vi": "Điện thoại", "products": products}))
    return path


def test_sample_catalogue_loads_with_kinds_and_names() -> None:
    catalogue = load_catalogue(SAMPLE)
    assert len(catalogue) >= 10
    by_id = {product.id: product for product in catalogue.products}
    assert by_id["apple-iphone-15-pro-max-256gb"].name == "iPhone 15 Pro Max 256GB"
    assert catalogue.kinds["hennessy-xo-700ml"] == "liquor_wine"
    assert load_catalogue(SAMPLE) is catalogue  # cached


def test_bad_entry_names_file_entry_and_field(tmp_path: Path) -> None:
    _write(tmp_path, "phones.json", [_entry(), _entry(id="apple-iphone-15-256gb", price_vnd=[20000000, -1])])
    with pytest.raises(CatalogueError) as error:
        load_catalogue(tmp_path)
    message = str(error.value)
    assert "phones.json" in message and "entry 1" in message and "apple-iphone-15-256gb" in message
    assert "price_vnd" in message


def test_reversed_range_unknown_field_and_upper_case_alias_are_refused(tmp_path: Path) -> None:
    for index, bad in enumerate(
        [_entry(price_vnd=[20000000, 17000000]), _entry(colour="đỏ"), _entry(aliases=["iPhone 15", "ip 15"])]
    ):
        folder = tmp_path / str(index)
        folder.mkdir()
        _write(folder, "phones.json", [bad])
        with pytest.raises(CatalogueError, match=r"phones\.json: entry 0 \('?id '?apple-iphone-15-128gb"):
            load_catalogue(folder)


def test_ids_are_unique_across_files(tmp_path: Path) -> None:
    _write(tmp_path, "a.json", [_entry()])
    _write(tmp_path, "b.json", [_entry()])
    with pytest.raises(CatalogueError, match=r"b\.json: entry 0 .*field 'id': already used in .*a\.json"):
        load_catalogue(tmp_path)


def test_missing_directory_is_an_empty_catalogue_and_the_default_loads(tmp_path: Path) -> None:
    assert len(load_catalogue(tmp_path / "absent")) == 0
    assert len(load_catalogue()) == len(load_catalogue(CATALOGUE_DIR))


def test_the_fingerprint_a_model_card_records_changes_with_any_price(tmp_path: Path) -> None:
    _write(tmp_path, "phone_electronics.json", [_entry()])
    before = catalogue_fingerprint(tmp_path)
    assert before["products"] == 1 and len(str(before["sha256"])) == 64
    assert catalogue_fingerprint(tmp_path) == before
    _write(tmp_path, "phone_electronics.json", [_entry(price_vnd=[1_000_000, 2_000_000])])
    assert catalogue_fingerprint(tmp_path)["sha256"] != before["sha256"]

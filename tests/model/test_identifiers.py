"""Identifiers read out of listings: phone numbers however written, handles and links per app, bank accounts
with their bank, sellers and shops per platform, e-mails; what is not an identifier; values typed by reviewers;
the keyed hash."""

from __future__ import annotations

import pytest

from model.identifiers import IdentifierError, extract_identifiers, identifier_hash, parse_identifier
from model.schema import Listing

E164 = "+84912345678"


def found(title: str, description: str | None = None, **fields: object) -> set[tuple[str, str]]:
    listing = Listing(title=title, description=description, **fields)  # type: ignore[arg-type]
    return {(i.kind, i.value) for i in extract_identifiers(listing)}


@pytest.mark.parametrize(
    "written",
    [
        "0912345678", "0912.345.678", "0912 345 678", "091-234-5678", "+84 912 345 678", "(+84) 912.345.678",
        "84912345678", "không chín một hai ba bốn năm sáu bảy tám", "khong chin mot hai ba bon nam sau bay tam",
        "0 chín 1 hai 3 bốn 5 sáu 7 tám", "0️⃣9️⃣1️⃣2️⃣3️⃣4️⃣5️⃣6️⃣7️⃣8️⃣", "０９１２３４５６７８", "https://zalo.me/0912345678",
    ],
)  # fmt: skip
def test_a_phone_number_however_written_is_one_e164_number(written: str) -> None:
    assert ("phone", E164) in found("Bình khí cười", f"liên hệ {written} nhé")


def test_a_number_split_between_title_and_description() -> None:
    assert ("phone", E164) in found("Bóng cười giá sỉ LH 0912 345", "678 ship nhanh")


@pytest.mark.parametrize(
    "text",
    [
        "0912.345.xxx",
        "09xx xxx 678",
        "mã SP0912345678",
        "size 38 39 40 41 42",
        "giá 150.000đ",
        "0508141720",
        "1900 1234",
    ],
)
def test_masked_numbers_codes_sizes_and_prices_are_not_phone_numbers(text: str) -> None:
    assert not [kind for kind, _ in found("Áo thun", text) if kind == "phone"]


def test_handles_links_accounts_emails_and_shops() -> None:
    text = (
        "zalo: shop_n2o, tele @bongcuoi_hn, t.me/bongcuoi_hn, tiktok.com/@shop.abc, fb.com/trang.ban, "
        "stk 0123 4567 8910 vcb, Ab.C+x@Gmail.com, banbongcuoi.com, https://www.facebook.com/groups/123"
    )
    assert found("x", text) >= {
        ("zalo", "shop_n2o"), ("telegram", "bongcuoi_hn"), ("tiktok", "shop.abc"), ("facebook", "trang.ban"),
        ("bank_account", "012345678910"), ("email", "abc@gmail.com"), ("website", "banbongcuoi.com"),
    }  # fmt: skip
    listing = Listing(title="x", description="stk 0123 4567 8910 vcb")
    assert [i.detail for i in extract_identifiers(listing) if i.kind == "bank_account"] == ["Vietcombank"]
    assert not [v for k, v in found("x", "https://www.facebook.com/groups/123") if k == "facebook"]


def test_sellers_and_shops_per_platform() -> None:
    assert ("seller", "shopee:12345") in found("x", url="https://shopee.vn/Giay-abc-i.12345.67890", platform="shopee")
    assert ("seller", "shopee:shop1") in found("x", platform="shopee", seller={"id": "SHOP1"})
    assert ("facebook", "page.a") in found("x", platform="facebook", seller={"id": "page.a"})
    assert not found("x", platform="zalo", seller={"id": "09xx.xxx.xxx"})  # a masked number is nobody's id


def test_values_typed_by_a_reviewer() -> None:
    assert parse_identifier("phone", "0912 345 678") == parse_identifier("phone", "+84912345678") == E164
    assert parse_identifier("telegram", "@BongCuoi_HN") == "bongcuoi_hn"
    assert parse_identifier("bank_account", "0123 4567 8910") == "012345678910"
    for kind, value in [("phone", "12ab"), ("phone", "0912345678 0987654321"), ("nonsense", "zz9"), ("email", "a@")]:
        with pytest.raises(IdentifierError) as error:
            parse_identifier(kind, value)
        assert value not in str(error.value)


def test_the_keyed_hash_depends_on_the_key_and_reveals_nothing() -> None:
    a = identifier_hash(b"key-1", "phone", E164)
    assert a == identifier_hash(b"key-1", "phone", E164) != identifier_hash(b"key-2", "phone", E164)
    assert "912345678" not in a and len(a) == 32
    with pytest.raises(ValueError):
        identifier_hash(b"", "phone", E164)

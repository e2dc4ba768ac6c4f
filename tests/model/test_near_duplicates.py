"""Near-duplicate text: the same post with another shop name, phone and price is a near-duplicate; honest shared
boilerplate and a copied honest description are not; short texts are never compared; the stop-list learner."""

from __future__ import annotations

from model.identifiers import extract_identifiers
from model.near_duplicates import MIN_SHINGLES, fingerprint_text, is_near_duplicate, learn_stop_shingles
from model.schema import Listing

HOUSE = (
    "Bình khí cười loại 8 lít hàng chuẩn, bên em chuyên sỉ lẻ số lượng lớn cho quán bar và tiệc sinh nhật. "
    "Giao hỏa tốc nội thành trong một giờ, đóng gói kín đáo không ghi tên hàng, kiểm tra rồi mới thanh toán. "
    "Khách quen được giá đại lý, lấy nhiều giảm sâu, có hóa đơn bình và van xả đi kèm"
)
BOILERPLATE = "Freeship toàn quốc cho đơn từ 150k. Cam kết hàng giống hình 100%. Đổi trả trong 7 ngày nếu lỗi"


def text_of(title: str, description: str, seller: str = "Shop A", stop: frozenset[str] = frozenset()):
    listing = Listing(title=title, description=description, seller={"name": seller})
    return fingerprint_text(listing, extract_identifiers(listing), stop)


def test_the_same_post_on_another_page_is_a_near_duplicate() -> None:
    a = text_of("Bình khí cười 8L - Shop A", f"{HOUSE}. LH 0912 345 678, giá 1.200.000đ", seller="Shop A")
    b = text_of("Binh khi cuoi 8L - Kho B", f"{HOUSE}. Zalo 0987.654.321 giá 990k", seller="Kho B")
    assert a.signature and b.signature and is_near_duplicate(a.summary, b.summary)


def test_shared_boilerplate_or_a_copied_description_does_not_link() -> None:
    stop = frozenset(
        learn_stop_shingles(
            [Listing(title="x", description=BOILERPLATE, seller={"id": f"s{i}"}) for i in range(3)], min_sellers=2
        )
    )
    honest_a = text_of("Áo thun nam cổ tròn", f"Cotton co giãn bốn chiều, form rộng. {BOILERPLATE}", stop=stop)
    honest_b = text_of("Quần jean nữ ống suông", f"Vải jean dày dặn, không phai màu. {BOILERPLATE}", stop=stop)
    assert not is_near_duplicate(honest_a.summary, honest_b.summary)
    copied = "Giày nữ không dây thoáng mát, giảm ra mồ hôi chân, mềm mại, siêu bền, phù hợp chơi thể thao và vận động"
    real = text_of("Giày lười nữ", copied)
    risky = text_of("Bóng cười giá sỉ", f"{BOILERPLATE}. {copied}. Ship kín đáo, ib zalo", stop=stop)
    assert not is_near_duplicate(real.summary, risky.summary)


def test_short_texts_get_no_signature() -> None:
    short = text_of("Giày", "hàng đẹp")
    assert short.signature is None and short.buckets == () and short.shingle_count < MIN_SHINGLES

"""Paired pools: well-known products with genuine 2025 Vietnamese retail prices, for price-pair listings.

Each item is one product as sellers name it (variant and quantity in the name: "256GB", "700ml", "900g",
"cây 10 gói", "thùng 24 lon", "combo 5 cuốn", "3 hộp"), with the genuine new price range in VND for the
whole quantity, the price range a genuine second-hand (or gifted surplus) one sells for, and, where fakes sell
far below the usual 10-35% of the genuine price (luxury watches and bags, software keys), the fake's share.
Prices are the team's own estimates of 2025 Vietnamese retail (official stores, large chains, marketplace
malls), not checked one by one against a source. ``seed_pairs.py`` writes the listings; format:
POOL_FORMAT.md ("Paired pools").
"""

from __future__ import annotations

from typing import Any


def item(
    product: str,
    brand: str,
    new: tuple[int, int],
    used: tuple[int, int] | None,
    fake: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """One product of a paired pool."""
    entry: dict[str, Any] = {"product": product, "brand": brand, "new": list(new), "used": list(used) if used else None}
    if fake:
        entry["fake_share"] = list(fake)
    return entry


M = 1_000_000
K = 1_000

POOLS = [
    # ------------------------------------------------------------------ phones, tablets, audio, wearables
    {
        "kind": "paired",
        "goods": "pair_electronics",
        "labels": [],
        "fake_labels": ["counterfeit"],
        "hard_negative": False,
        "category": ["Điện thoại", "Máy tính bảng", "Tai nghe", "Đồng hồ thông minh", "Thiết bị điện tử"],
        "brands": ["Apple", "Samsung", "Sony", "Marshall", "Nintendo"],
        "items": [
            item("iPhone 16 Pro Max 256GB", "Apple", (30_500 * K, 34 * M), (23 * M, 26_500 * K)),
            item("iPhone 16 Pro 128GB", "Apple", (25_500 * K, 28_500 * K), (18_500 * K, 21_500 * K)),
            item("iPhone 16 128GB", "Apple", (19_500 * K, 22_500 * K), (14 * M, 16_500 * K)),
            item("iPhone 15 128GB", "Apple", (16_500 * K, 19_500 * K), (11_500 * K, 13_500 * K)),
            item("Samsung Galaxy S25 Ultra 256GB", "Samsung", (27 * M, 33 * M), (19 * M, 23 * M)),
            item("Samsung Galaxy Z Flip6 256GB", "Samsung", (20 * M, 26 * M), (11_500 * K, 15 * M)),
            item("iPad Air M2 11 inch 128GB WiFi", "Apple", (14_500 * K, 16_500 * K), (10_500 * K, 12_500 * K)),
            item("MacBook Air M3 13 inch 16GB 256GB", "Apple", (26 * M, 29 * M), (19 * M, 22 * M)),
            item("Tai nghe AirPods Pro 2 USB-C", "Apple", (5_300 * K, 6_200 * K), (3_200 * K, 4 * M)),
            item("Tai nghe AirPods 4 chống ồn", "Apple", (4_300 * K, 4_900 * K), (2_800 * K, 3_400 * K)),
            item("Apple Watch Series 10 GPS 42mm", "Apple", (9_900 * K, 11_500 * K), (6_500 * K, 8 * M)),
            item("Tai nghe Sony WH-1000XM5", "Sony", (6_900 * K, 8_490 * K), (4_300 * K, 5_300 * K)),
            item("Loa Marshall Emberton II", "Marshall", (3_800 * K, 4_500 * K), (2_300 * K, 2_900 * K)),
            item("Máy chơi game Nintendo Switch OLED", "Nintendo", (7_500 * K, 8_500 * K), (5 * M, 6 * M)),
        ],
        "title_extras": [
            "Chính Hãng VN/A",
            "mới 100% nguyên seal",
            "bảo hành 12 tháng",
            "fullbox",
            "trả góp 0%",
            "giao nhanh 2h",
            "hàng chính hãng",
            "có hóa đơn",
        ],
        "descriptions": [
            "{product} mới 100% nguyên seal, hàng chính hãng, bảo hành 12 tháng tại trung tâm bảo hành.",
            "Máy nguyên hộp, đủ phụ kiện theo máy, kích hoạt bảo hành khi khách nhận hàng.",
            "Cam kết hàng chính hãng, đổi mới trong 30 ngày nếu lỗi nhà sản xuất.",
            "Hỗ trợ trả góp 0% qua thẻ tín dụng, giao nhanh 2h nội thành.",
            "Xuất hóa đơn theo yêu cầu, kiểm tra hàng trước khi thanh toán.",
            "Hàng sẵn kho, đủ màu, đặt trước 14h giao trong ngày.",
            "Tặng kèm ốp lưng và dán cường lực khi mua {product}.",
            "Seal nguyên, số serial tra được trên trang của hãng.",
        ],
        "social_posts": [
            "{product} mới nguyên seal chính hãng, giá {price}, ib em giữ máy nha 📱",
            "Về hàng {product} 🔥 fullbox chưa active, chỉ {price}, ship cod toàn quốc",
            "Chốt nhanh {product} giá {price}, hàng chính hãng bảo hành 12 tháng, ae ib",
            "{product} new seal, bao check, {price} thôi nha mọi người, số lượng có hạn",
            "Em có sẵn {product} chính hãng, giá {price}, trả góp được, zalo 09xx.xxx.xxx",
            "Deal hôm nay: {product} chỉ {price} 😍 giao hỏa tốc nội thành",
        ],
        "used_extras": [
            "đã qua sử dụng",
            "like new 99%",
            "fullbox có bill",
            "còn bảo hành hãng",
            "máy zin chưa sửa",
            "pass lại",
        ],
        "used_descriptions": [
            "{product} đã qua sử dụng, ngoại hình 99%, fullbox có bill mua tại cửa hàng.",
            "Máy cá nhân dùng kỹ, còn bảo hành hãng vài tháng, pin còn tốt.",
            "Máy zin chưa sửa chữa, đủ hộp, cáp sạc theo máy, có hóa đơn mua hàng.",
            "Bán lại do lên đời, test thoải mái trước khi mua.",
            "Trầy xước nhẹ ở viền, màn hình đẹp không ám, mọi chức năng hoạt động tốt.",
        ],
        "used_posts": [
            "Pass {product} đã dùng 6 tháng, fullbox có bill, còn bảo hành, giá {price} 🙏",
            "Lên đời nên để lại {product} 99%, máy zin, có hóa đơn, {price} có thương lượng",
            "{product} cũ like new, pin tốt, đủ hộp bill, {price}, qua xem trực tiếp được",
            "Cần bán {product} đã qua sử dụng, ngoại hình đẹp, còn bảo hành hãng, {price}",
        ],
    },
    # ------------------------------------------------------------------ watches, bags, shoes, sunglasses, perfume
    {
        "kind": "paired",
        "goods": "pair_luxury_fashion",
        "labels": [],
        "fake_labels": ["counterfeit"],
        "hard_negative": False,
        "category": ["Đồng hồ", "Túi xách", "Giày dép", "Kính mắt", "Nước hoa"],
        "brands": ["Rolex", "Omega", "Tissot", "Seiko", "Casio", "Louis Vuitton", "Gucci", "Chanel", "Coach", "Nike"],
        "items": [
            item(
                "Đồng hồ Rolex Submariner Date 126610LN", "Rolex", (290 * M, 360 * M), (250 * M, 310 * M), (0.01, 0.08)
            ),
            item(
                "Đồng hồ Omega Seamaster Diver 300M 42mm", "Omega", (140 * M, 165 * M), (95 * M, 120 * M), (0.02, 0.10)
            ),
            item("Đồng hồ Tissot PRX Powermatic 80 40mm", "Tissot", (17 * M, 19_500 * K), (11 * M, 13_500 * K)),
            item("Đồng hồ Seiko 5 Sports SRPD55K1", "Seiko", (6_500 * K, 8 * M), (4 * M, 5 * M)),
            item("Đồng hồ Casio G-Shock GA-2100-1A1", "Casio", (2_900 * K, 3_500 * K), (1_800 * K, 2_300 * K)),
            item(
                "Túi Louis Vuitton Neverfull MM Monogram",
                "Louis Vuitton",
                (55 * M, 63 * M),
                (35 * M, 45 * M),
                (0.02, 0.12),
            ),
            item("Túi Gucci GG Marmont Small Matelassé", "Gucci", (60 * M, 72 * M), (35 * M, 45 * M), (0.02, 0.12)),
            item("Ví Louis Vuitton Zippy Monogram", "Louis Vuitton", (28 * M, 33 * M), (17 * M, 22 * M), (0.03, 0.15)),
            item("Túi Chanel Classic Flap Medium", "Chanel", (250 * M, 290 * M), (200 * M, 240 * M), (0.01, 0.06)),
            item("Túi Coach Tabby 26", "Coach", (11 * M, 13_500 * K), (6 * M, 8 * M)),
            item("Giày Nike Air Force 1 '07 trắng size 42", "Nike", (2_700 * K, 3 * M), (1_200 * K, 1_700 * K)),
            item("Giày Adidas Samba OG size 41", "Adidas", (2_600 * K, 2_900 * K), (1_300 * K, 1_800 * K)),
            item("Giày Adidas Ultraboost Light size 42", "Adidas", (4_500 * K, 5_200 * K), (2_200 * K, 3 * M)),
            item("Giày New Balance 550 size 40", "New Balance", (3_200 * K, 3_600 * K), (1_600 * K, 2_100 * K)),
            item(
                "Giày Nike Air Jordan 1 Retro High OG size 42", "Nike", (4_600 * K, 6_500 * K), (2_800 * K, 3_800 * K)
            ),
            item("Kính Ray-Ban Aviator Classic RB3025", "Ray-Ban", (4 * M, 4_800 * K), (2 * M, 2_800 * K)),
            item("Kính Ray-Ban Wayfarer RB2140", "Ray-Ban", (4_200 * K, 5 * M), (2_100 * K, 2_900 * K)),
            item("Kính Gentle Monster Lang 01", "Gentle Monster", (6_500 * K, 7_500 * K), (3_500 * K, 4_500 * K)),
            item("Kính Oakley Holbrook OO9102", "Oakley", (3_800 * K, 4_500 * K), (2 * M, 2_600 * K)),
            item("Nước hoa Dior Sauvage EDP 100ml", "Dior", (3_300 * K, 3_900 * K), (2 * M, 2_600 * K)),
            item(
                "Nước hoa Chanel Coco Mademoiselle EDP 100ml", "Chanel", (4_300 * K, 4_900 * K), (2_600 * K, 3_300 * K)
            ),
            item("Nước hoa YSL Libre EDP 90ml", "YSL", (3_500 * K, 4_200 * K), (2_100 * K, 2_700 * K)),
            item("Nước hoa Tom Ford Oud Wood EDP 100ml", "Tom Ford", (7_500 * K, 8_900 * K), (4_500 * K, 5_800 * K)),
            item(
                "Nước hoa Jo Malone Wood Sage & Sea Salt 100ml",
                "Jo Malone",
                (3_900 * K, 4_500 * K),
                (2_300 * K, 2_900 * K),
            ),
        ],
        "title_extras": [
            "chính hãng",
            "fullbox",
            "mới 100%",
            "có bill store",
            "bảo hành hãng",
            "nguyên tem",
            "đủ giấy tờ",
            "hàng chính hãng",
        ],
        "descriptions": [
            "{product} hàng chính hãng mới 100%, fullbox, đủ giấy tờ và hóa đơn mua tại store.",
            "Cam kết chính hãng, hỗ trợ mang đi kiểm định ở bất kỳ đâu, sai hoàn tiền gấp đôi.",
            "Sản phẩm mới chưa qua sử dụng, còn nguyên tem, seal và túi giấy của hãng.",
            "Bảo hành theo chính sách của hãng, thẻ bảo hành kích hoạt khi nhận hàng.",
            "Giao hàng toàn quốc, kiểm tra hàng trước khi thanh toán.",
            "Hàng có sẵn tại cửa hàng, khách qua xem trực tiếp được.",
        ],
        "social_posts": [
            "{product} chính hãng mới fullbox, giá {price}, có bill, ib em nha ✨",
            "Hàng mới về {product} 😍 nguyên tem mác, {price}, ship toàn quốc",
            "{product} new 100% đủ giấy tờ, {price}, bao check thoải mái",
            "Em có sẵn {product} auth, giá {price}, khách qua shop xem trực tiếp",
            "Săn được {product} giá {price}, chính hãng nguyên seal, ai cần inbox",
        ],
        "used_extras": ["đã qua sử dụng", "like new", "còn bill", "pass lại", "fullbox có bill", "đã dùng vài lần"],
        "used_descriptions": [
            "{product} đã qua sử dụng, còn đẹp, fullbox có bill mua tại store, bán lại cho người cần.",
            "Đồ cá nhân dùng vài lần, còn hóa đơn và thẻ bảo hành, không lỗi.",
            "Bán lại do ít dùng, có vết dùng nhẹ, đầy đủ hộp và túi giấy.",
            "Đã dùng ít, còn khoảng 80-90%, đủ hộp và bill mua hàng.",
            "Hàng cá nhân chính hãng, hỗ trợ check tại store trước khi giao dịch.",
        ],
        "used_posts": [
            "Pass {product} đã dùng vài lần, fullbox có bill, {price} 🙏",
            "Tủ đồ dư nên để lại {product} chính hãng, like new, còn hóa đơn, {price}",
            "Thanh lý {product} cũ còn đẹp, đủ hộp giấy tờ, {price} có fix nhẹ",
            "{product} 2hand chính hãng, còn bill store, giá {price}, check thoải mái",
        ],
    },
    # ------------------------------------------------------------------ liquor, formula, cigarettes, beer, cosmetics
    {
        "kind": "paired",
        "goods": "pair_consumables",
        "labels": [],
        "fake_labels": ["counterfeit"],
        "hard_negative": False,
        "category": ["Rượu mạnh", "Sữa bột", "Thuốc lá", "Bia", "Mỹ phẩm", "Thực phẩm chức năng"],
        "brands": ["Hennessy", "Rémy Martin", "Chivas Regal", "Aptamil", "Similac", "Marlboro", "Heineken", "Anessa"],
        "items": [
            item("Rượu Hennessy XO 700ml hộp quà", "Hennessy", (4_800 * K, 5_800 * K), (3_900 * K, 4_600 * K)),
            item("Rượu Rémy Martin XO 700ml", "Rémy Martin", (4_300 * K, 5_200 * K), (3_500 * K, 4_200 * K)),
            item("Rượu Chivas Regal 18 700ml", "Chivas Regal", (1_500 * K, 1_900 * K), (1_200 * K, 1_450 * K)),
            item("Rượu Johnnie Walker Blue Label 750ml", "Johnnie Walker", (5 * M, 6_200 * K), (4 * M, 4_900 * K)),
            item("Rượu Macallan 12 Double Cask 700ml", "Macallan", (1_900 * K, 2_400 * K), (1_500 * K, 1_850 * K)),
            item("Sữa Aptamil Profutura số 1 800g", "Aptamil", (900 * K, 1_050 * K), (700 * K, 850 * K)),
            item("Sữa Meiji Infant Formula 800g", "Meiji", (500 * K, 580 * K), (400 * K, 470 * K)),
            item("Sữa Similac 5G số 4 900g", "Similac", (500 * K, 590 * K), (400 * K, 480 * K)),
            item("Combo 3 hộp sữa Abbott Grow Gold 3+ 900g", "Abbott", (1_350 * K, 1_600 * K), (1_100 * K, 1_300 * K)),
            item("Sữa PediaSure 850g", "Abbott", (700 * K, 800 * K), (560 * K, 660 * K)),
            item("Cây 10 gói thuốc lá Marlboro đỏ", "Marlboro", (330 * K, 380 * K), None),
            item("Cây 10 gói thuốc lá 555 bạc", "555", (380 * K, 440 * K), None),
            item("Cây 10 gói thuốc lá Esse Change", "Esse", (250 * K, 300 * K), None),
            item("Cây 10 gói Marlboro Gold", "Marlboro", (330 * K, 380 * K), None),
            item("Thùng 24 lon bia Heineken Silver 330ml", "Heineken", (430 * K, 490 * K), None),
            item("Thùng 24 lon bia Tiger Crystal 330ml", "Tiger", (360 * K, 410 * K), None),
            item("Thùng 24 lon nước tăng lực Red Bull 250ml", "Red Bull", (250 * K, 300 * K), None),
            item("Kem chống nắng Anessa Perfect UV Milk 60ml", "Anessa", (450 * K, 560 * K), (300 * K, 380 * K)),
            item(
                "Serum Estée Lauder Advanced Night Repair 50ml",
                "Estée Lauder",
                (2_800 * K, 3_300 * K),
                (1_900 * K, 2_300 * K),
            ),
            item("Son MAC Ruby Woo", "MAC", (550 * K, 650 * K), (350 * K, 450 * K)),
            item("Combo 3 hộp Hồng sâm KGC Everytime 30 gói", "KGC", (3_300 * K, 4 * M), (2_700 * K, 3_200 * K)),
        ],
        "title_extras": [
            "chính hãng",
            "có tem nhập khẩu",
            "date xa",
            "nguyên seal",
            "hóa đơn đầy đủ",
            "hàng công ty",
            "giao nhanh",
            "đủ tem phụ tiếng Việt",
        ],
        "descriptions": [
            "{product} hàng chính hãng, có tem nhập khẩu và nhãn phụ tiếng Việt, date xa.",
            "Hàng công ty phân phối, có hóa đơn đầy đủ, nhận xuất VAT.",
            "Nguyên seal, nguyên thùng, kiểm tra hàng trước khi thanh toán.",
            "Giao nhanh nội thành trong 2h, tỉnh xa 2-3 ngày.",
            "Cam kết chính hãng, phát hiện hàng giả hoàn tiền gấp 10 lần.",
            "Hàng mới nhập lô tháng này, bảo quản nơi khô ráo thoáng mát.",
        ],
        "social_posts": [
            "{product} chính hãng có tem, giá {price}, ib em giao ngay 🚚",
            "Hàng về {product} date xa, chỉ {price}, sll có giá tốt hơn",
            "{product} nguyên seal giá {price}, hóa đơn đầy đủ, ship toàn quốc",
            "Chốt đơn {product} {price}, hàng công ty, kiểm hàng rồi mới thanh toán",
            "Ai cần {product} thì em có sẵn, {price}, giao nhanh nội thành",
        ],
        "used_extras": [
            "hàng biếu dư",
            "pass lại",
            "còn nguyên seal",
            "có bill siêu thị",
            "dư dùng không hết",
            "date còn dài",
        ],
        "used_descriptions": [
            "{product} hàng biếu dư, còn nguyên seal, có bill mua ở siêu thị, bán lại giá mềm.",
            "Nhà dư dùng không hết nên pass lại, date còn dài, hộp còn đẹp.",
            "Quà Tết được tặng, không dùng đến, còn nguyên hộp và túi quà.",
            "Mua dư khi có khuyến mãi, còn hóa đơn, hàng chưa mở.",
        ],
        "used_posts": [
            "Pass lại {product} hàng biếu dư, còn seal, có bill, {price} 🙏",
            "Nhà dư {product} dùng không hết, date còn dài, để lại {price}",
            "Quà Tết được tặng {product} mà không dùng, còn nguyên hộp, {price} ai cần ib",
            "Thanh lý {product} mua dư hồi khuyến mãi, còn hóa đơn, {price}",
        ],
    },
    # ------------------------------------------------------------------ Lego, software licences, books
    {
        "kind": "paired",
        "goods": "pair_media_toys",
        "labels": [],
        "fake_labels": ["counterfeit"],
        "hard_negative": False,
        "category": ["Đồ chơi", "Phần mềm", "Sách", "Quà tặng"],
        "brands": ["LEGO", "Microsoft", "Adobe", "Nhã Nam", "NXB Trẻ", "Kim Đồng"],
        "items": [
            item("Lego Technic 42115 Lamborghini Sián FKP 37", "LEGO", (10 * M, 12 * M), (6_500 * K, 8 * M)),
            item("Lego Icons 10497 Galaxy Explorer", "LEGO", (2_500 * K, 3 * M), (1_600 * K, 2 * M)),
            item("Lego City 60337 tàu hỏa chở khách tốc hành", "LEGO", (3_300 * K, 3_900 * K), (2 * M, 2_600 * K)),
            item("Lego Star Wars 75192 Millennium Falcon", "LEGO", (19 * M, 22 * M), (13 * M, 16 * M)),
            item("Lego Creator 31109 tàu cướp biển", "LEGO", (2_300 * K, 2_800 * K), (1_400 * K, 1_800 * K)),
            item("Key Windows 11 Pro bản quyền Microsoft", "Microsoft", (4_500 * K, 6 * M), None, (0.01, 0.06)),
            item("Office Home 2024 bản quyền 1 PC", "Microsoft", (3_200 * K, 3_900 * K), None, (0.02, 0.08)),
            item("Microsoft 365 Family 12 tháng", "Microsoft", (1_800 * K, 2_300 * K), None, (0.03, 0.12)),
            item("Adobe Creative Cloud All Apps 12 tháng", "Adobe", (15 * M, 18 * M), None, (0.01, 0.05)),
            item("Sách Nhà Giả Kim (Nhã Nam)", "Nhã Nam", (65 * K, 85 * K), (30 * K, 45 * K), (0.20, 0.35)),
            item(
                "Combo 5 cuốn Harry Potter tập 1-5 NXB Trẻ",
                "NXB Trẻ",
                (850 * K, 1_050 * K),
                (450 * K, 600 * K),
                (0.15, 0.30),
            ),
            item("Sách Đắc Nhân Tâm bìa cứng", "First News", (110 * K, 150 * K), (50 * K, 75 * K), (0.15, 0.30)),
            item(
                "Combo 3 cuốn Atomic Habits, Sapiens, Tư Duy Nhanh Và Chậm",
                "Alpha Books",
                (650 * K, 800 * K),
                (330 * K, 450 * K),
            ),
            item(
                "Trọn bộ Doraemon truyện ngắn 45 tập Kim Đồng",
                "Kim Đồng",
                (1 * M, 1_200 * K),
                (550 * K, 750 * K),
                (0.15, 0.30),
            ),
        ],
        "title_extras": [
            "chính hãng",
            "mới nguyên seal",
            "hàng chính hãng có hóa đơn",
            "giao nhanh",
            "bản mới nhất",
            "quà tặng ý nghĩa",
        ],
        "descriptions": [
            "{product} hàng chính hãng mới nguyên seal, có hóa đơn mua hàng.",
            "Shop cam kết hàng thật, phát hiện hàng giả hoàn tiền 200%.",
            "Đóng gói cẩn thận, giao toàn quốc, kiểm tra hàng trước khi nhận.",
            "Hàng có sẵn, đặt hôm nay giao ngày mai nội thành.",
            "Phù hợp làm quà tặng sinh nhật, dịp lễ.",
            "Hỗ trợ xuất hóa đơn VAT cho công ty, trường học.",
        ],
        "social_posts": [
            "{product} chính hãng giá {price}, hàng có sẵn, ib em nha",
            "Về hàng {product} mới nguyên seal, {price}, ship toàn quốc 📦",
            "{product} chỉ {price}, hàng chính hãng có hóa đơn, số lượng có hạn",
            "Deal tốt: {product} {price}, giao nhanh, ai cần cmt nhé",
            "Em có {product} hàng thật, giá {price}, qua shop lấy hoặc ship cod",
        ],
        "used_extras": ["đã qua sử dụng", "còn bill", "đủ hộp", "pass lại", "còn đẹp 90%"],
        "used_descriptions": [
            "{product} đã qua sử dụng, còn đẹp, đủ hộp và hóa đơn mua hàng.",
            "Đã dùng ít, còn đủ bộ, không thiếu món nào, có bill.",
            "Bán lại đồ cá nhân giữ gìn kỹ, còn hóa đơn mua ở cửa hàng chính hãng.",
            "Tình trạng khoảng 90%, hộp hơi móp góc, bên trong đầy đủ.",
        ],
        "used_posts": [
            "Pass {product} đã qua sử dụng, đủ bộ, còn bill, {price} 🙏",
            "Nhà dọn đồ để lại {product} cũ còn đẹp, {price}, ai cần ib",
            "{product} 2hand giữ kỹ, đủ hộp, có hóa đơn, {price}",
            "Thanh lý {product} đã dùng ít, {price} có thương lượng",
        ],
    },
]

"""Reading evasive text: separated letters, digit tricks, teencode, units, contact details, brands, lexicon."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from model.brands import canonicalize_brands, edit_distance, find_brands, match_brand
from model.deobfuscation import (
    expand_teencode,
    expand_units,
    find_price_mentions,
    join_separated_letters,
    replace_substituted_letters,
)
from model.lexicon import find_written_form, load_lexicon
from model.signals import extract_signals
from model.text import read_text


def test_separated_letters_are_joined() -> None:
    assert join_separated_letters("bán b.ó.n.g c.ư.ờ.i") == "bán bóng cười"
    assert join_separated_letters("g-u-c-c-i và c*ầ*n") == "gucci và cần"
    assert join_separated_letters("túi g u c c i") == "túi gucci"
    assert join_separated_letters("giá 1.500.000, v.v.") == "giá 1.500.000, v.v."


def test_substituted_letters_inside_words_only() -> None:
    assert replace_substituted_letters("c4n b0ng cu0i x1n") == "can bong cuoi xin"
    assert replace_substituted_letters("100ml f1 1:1 iphone15 size 38") == "100ml f1 1:1 iphone15 size 38"


def test_units_and_teencode() -> None:
    assert expand_units("giá 350k, sỉ 1tr2, lẻ 2tr") == "giá 350 nghìn, sỉ 1 triệu 2, lẻ 2 triệu"
    assert expand_teencode("k có") == "không có"
    assert find_price_mentions("giá 350k hoặc 1tr2, gốc 1.500.000đ") == [350_000, 1_200_000, 1_500_000]
    # the same prices after reading (units written out), and without tone marks
    assert find_price_mentions(read_text("giá 350k hoặc 1tr2").normalized) == [350_000, 1_200_000]
    assert find_price_mentions("gia 1 trieu 5, ship 30 ngan") == [1_500_000, 30_000]
    assert find_price_mentions("size 38-42, 100ml, rep 1:1, 2024") == []


def test_contact_details_become_signals_not_tokens() -> None:
    text, signals = extract_signals("ib zalo 0912.345.678 hoặc tele @shop_demo, stk 0123 4567 8910 vcb")
    assert signals.phones == ("0912345678",)
    assert signals.handles == ("shop_demo",)
    assert signals.bank_accounts == ("012345678910",)
    assert "0912" not in text and "shop_demo" not in text and "4567" not in text
    text, signals = extract_signals("iphone 15 pro max 256gb giá 1.500.000đ size 38-42")
    assert signals.phones == () and signals.bank_accounts == () and "1.500.000đ" in text


def test_edit_distance() -> None:
    assert edit_distance("rolexx", "rolex", 2) == 1
    assert edit_distance("lui vuiton", "louis vuitton", 3) == 3
    assert edit_distance("abcdef", "uvwxyz", 1) == 2


def test_brands_are_found_despite_misspellings() -> None:
    if not load_lexicon().categories:  # the data files travel together
        return
    assert match_brand("rolexx") == "Rolex"
    assert match_brand("addidas") == "Adidas"
    assert match_brand("lui vuiton") == "Louis Vuitton"
    assert match_brand("nice") is None and match_brand("long") is None
    assert ("rolexx", "Rolex") in find_brands("dong ho rolexx fake")
    assert canonicalize_brands("dong ho rolexx fake") == "dong ho rolex fake"


def test_lexicon_is_data_with_labels_and_legal_basis() -> None:
    lexicon = load_lexicon()
    assert lexicon.categories, "model/lexicon/risk_lexicon.json must define categories"
    labels = {c.label for c in lexicon.categories}
    assert labels == {"counterfeit", "smuggled", "prohibited"}
    assert all(c.terms or c.code_words for c in lexicon.categories)
    assert any(c.legal_basis for c in lexicon.categories)
    hits = lexicon.match(read_text("Bán B.Ó.N.G C.Ư.Ờ.I ship nhanh").folded)
    assert any(lexicon.category(h.category).label == "prohibited" for h in hits)


def test_lexicon_extends_without_code(tmp_path: Path) -> None:
    path = tmp_path / "lexicon.json"
    path.write_text(
        json.dumps(
            {
                "categories": [
                    {
                        "id": "expired_food",
                        "label": "smuggled",
                        "name_vi": "Thực phẩm hết hạn",
                        "legal_basis": [],
                        "terms": ["hết hạn sử dụng"],
                        "code_words": ["hàng date xa"],
                        "emoji": ["⌛"],
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    lexicon = load_lexicon(path)
    hits = lexicon.match(read_text("Sữa HẾT HẠN SỬ DỤNG, hàng date xa").folded, "⌛ sữa")
    assert {(h.term, h.kind) for h in hits} == {
        ("hết hạn sử dụng", "term"),
        ("hàng date xa", "code_word"),
        ("⌛", "emoji"),
    }


def test_written_form_is_found_in_the_original_text() -> None:
    assert find_written_form("bóng cười", "Bán B.Ó.N.G  C.Ư.Ờ.I giá rẻ") == "B.Ó.N.G  C.Ư.Ờ.I"
    assert find_written_form("cần sa", "c4n s4 hàng mỹ") == "c4n s4"
    assert find_written_form("bóng cười", "bong cuoi ship nhanh") == "bong cuoi"
    assert find_written_form("ngà voi", "vòng tay gỗ") is None


def test_read_text_undoes_the_tricks_together() -> None:
    read = read_text("<b>Bán B.Ó.N.G C.Ư.Ờ.I</b> giá 350k, ib zalo 0912.345.678 nha!!! c4n s4 hàng x1nnnn")
    assert read.normalized.startswith("bán bóng cười giá 350 nghìn")
    assert "0912" not in read.normalized and read.signals.phones == ("0912345678",)
    assert "can sa hàng xin" in read.normalized
    assert read.folded == read.folded.lower() and "bong cuoi" in read.folded


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_read_text_never_crashes_and_is_idempotent(text: str) -> None:
    once = read_text(text)
    again = read_text(once.normalized)
    assert again.normalized == once.normalized


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("bóngcườiaeos0134@$k .-_*trm5 7\n")), max_size=50))
def test_read_text_is_idempotent_on_trick_heavy_text(text: str) -> None:
    once = read_text(text).normalized
    assert read_text(once).normalized == once


def test_innocent_phrases_defuse_the_terms_inside_them(tmp_path: Path) -> None:
    path = tmp_path / "lexicon.json"
    category = {"id": "wildlife", "label": "prohibited", "name_vi": "Động vật hoang dã", "legal_basis": []}
    category |= {"terms": ["ngà voi"], "code_words": [], "emoji": [], "innocent": ["cây ngà voi"]}
    path.write_text(json.dumps({"categories": [category]}), encoding="utf-8")
    lexicon = load_lexicon(path)
    hits, innocent = lexicon.match_with_context(read_text("Chậu CÂY NGÀ VOI để bàn").folded)
    assert hits == [] and innocent == 1
    hits, innocent = lexicon.match_with_context(read_text("vòng tay ngà voi thật, có cây ngà voi tặng kèm").folded)
    assert [h.term for h in hits] == ["ngà voi"] and innocent == 1


def test_trailing_substitutes_are_letters_only_when_the_seller_spells_that_way() -> None:
    assert replace_substituted_letters("c4n s4 loai 1") == "can sa loai 1"
    assert replace_substituted_letters("samsung galaxy s4 cu") == "samsung galaxy s4 cu"


def test_tone_marks_written_by_the_seller_must_agree_with_the_term() -> None:
    lexicon = load_lexicon()

    def terms(text: str) -> set[str]:
        return {hit.term for hit in lexicon.match(read_text(text).folded, text)}

    if not any(c.id == "replica_fashion" and "hàng giả" in c.terms for c in lexicon.categories):
        return
    assert "hàng giả" not in terms("Hàng giá rẻ bất ngờ")  # "giá" (price) is not "giả" (fake)
    assert "hàng giả" in terms("hang gia loai 1")  # no tone marks: either reading is possible
    assert "hàng giả" in terms("HÀNG GIẢ loại 1") and "hàng giả" in terms("hàng giá rẻ, cả hàng giả")

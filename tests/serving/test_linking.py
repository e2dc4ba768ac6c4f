"""Linking at the storage level: operators as connected components, maintained batch by batch; a common
identifier (a courier's hotline) splits what it had merged; re-sent and edited listings; merges follow."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from model.near_duplicates import load_stop_shingles, signature_bands
from model.schema import Listing, Score
from serving.case_linker import CaseLinker, store_and_link
from serving.fingerprints import fingerprint_listing
from serving.storage.case_tables import IdentifierRow, ListingLinkRow, LshBucketRow, OperatorRow
from serving.storage.cases import resolve_case
from serving.storage.components import refresh_operators
from serving.storage.db import Database
from serving.storage.linking import MEMBERS_PER_OPERATOR, _bucket_members
from serving.storage.listings import ScoredListing
from serving.storage.models import ListingRow, utc_now

LABELS = ("counterfeit", "smuggled", "prohibited")


@pytest.fixture
def linker() -> CaseLinker:
    return CaseLinker(identifier_key=b"test-key", max_sellers=3, labels=LABELS, stop=frozenset())


def store(db: Database, linker: CaseLinker, raws: list[dict], *, risk: float = 0.9) -> list[int]:
    listings = [Listing.model_validate(raw) for raw in raws]
    items = [
        ScoredListing(raw=raw, listing=listing, score=Score(listing_id=listing.id, model_version="m", risk=risk,
                      probabilities={"prohibited": risk}, flagged=["prohibited"] if risk > 0.5 else [],
                      priority="high" if risk > 0.5 else "low"))
        for raw, listing in zip(raws, listings, strict=True)
    ]  # fmt: skip
    return store_and_link(db, items, thresholds={"prohibited": 0.5}, linker=linker)


def operators_of(db: Database) -> dict[str, int]:
    with db.read() as session:
        rows = session.execute(
            select(ListingRow.external_id, ListingLinkRow.operator_id).join(
                ListingLinkRow, ListingLinkRow.listing_id == ListingRow.id
            )
        )
        return dict(rows.all())


def seller(n: int, phone: str, *, hotline: bool) -> dict:
    text = f"Bán hàng, gọi {phone}" + (". Hotline giao hàng 028 3812 4567" if hotline else "")
    return {"id": f"s{n}", "platform": "shopee", "title": f"Sản phẩm số {n}", "description": text,
            "seller": {"id": f"shop-{n}"}}  # fmt: skip


def test_shared_identifier_links_across_batches_and_merges_small_into_large(
    database: Database, linker: CaseLinker
) -> None:
    store(database, linker, [seller(1, "0912345678", hotline=False), seller(2, "0912345678", hotline=False)])
    store(database, linker, [seller(3, "0987654321", hotline=False)])
    store(
        database,
        linker,
        [{"id": "b", "platform": "zalo", "title": "x", "description": "0987 654 321 hoặc 0912.345.678"}],
    )
    operators = operators_of(database)
    assert len(set(operators.values())) == 1
    with database.read() as session:
        survivors = list(
            session.scalars(select(OperatorRow).where(OperatorRow.merged_into.is_(None), OperatorRow.listing_count > 0))
        )
        assert len(survivors) == 1 and survivors[0].listing_count == 4 and survivors[0].is_case
        for old in {row.id for row in session.scalars(select(OperatorRow))} - {survivors[0].id}:
            assert resolve_case(session, old).id == survivors[0].id  # an old case id leads to the merged case


def test_a_common_identifier_splits_what_it_had_merged(database: Database, linker: CaseLinker) -> None:
    # five sellers, each with its own phone, all writing a courier's hotline; max_sellers=3
    store(database, linker, [seller(1, "0912000001", hotline=True), seller(2, "0912000002", hotline=True)])
    assert len(set(operators_of(database).values())) == 1  # two sellers: the hotline still links them
    store(database, linker, [seller(3, "0912000003", hotline=True), seller(4, "0912000004", hotline=True)])
    store(database, linker, [seller(5, "0912000005", hotline=True), seller(6, "0912000001", hotline=False)])
    operators = operators_of(database)
    assert len({operators[f"s{n}"] for n in range(1, 6)}) == 5  # the hotline links nobody any more
    assert operators["s6"] == operators["s1"]  # a real shared phone still does
    with database.read() as session:
        common = list(session.scalars(select(IdentifierRow).where(IdentifierRow.common.is_(True))))
        assert len(common) == 1 and common[0].kind == "phone" and common[0].seller_count >= 4


POST = (
    "Bình khí bóng cười loại lớn giao nhanh trong ngày nội thành, bao test, hàng về đều mỗi tuần, inbox để lấy giá "
    "sỉ cho quán bar và tiệc sinh nhật, có ship cod toàn quốc, đóng gói kín đáo không ghi tên sản phẩm"
)
OTHER = (
    "Máy hút bụi cầm tay không dây pin sạc lâu, lực hút mạnh, bảo hành chính hãng mười hai tháng, đổi trả trong bảy "
    "ngày nếu lỗi do nhà sản xuất, giao hàng toàn quốc, thanh toán khi nhận hàng"
)


def bands_stored(db: Database, external_id: str) -> tuple[set[int], set[int]]:
    """(the LSH buckets stored for a listing, the bands of its stored signature)."""
    with db.read() as session:
        listing_id, signature = session.execute(
            select(ListingRow.id, ListingLinkRow.signature)
            .join(ListingLinkRow, ListingLinkRow.listing_id == ListingRow.id)
            .where(ListingRow.external_id == external_id)
        ).one()
        stored = set(session.scalars(select(LshBucketRow.bucket).where(LshBucketRow.listing_id == listing_id)))
    return stored, set(signature_bands(signature))


def test_an_edited_text_replaces_its_bands(database: Database, linker: CaseLinker) -> None:
    store(database, linker, [{"id": "e", "platform": "facebook", "title": "Bóng cười", "description": POST}])
    first, expected = bands_stored(database, "e")
    assert first == expected and len(first) > 1
    store(database, linker, [{"id": "e", "platform": "facebook", "title": "Máy hút bụi", "description": OTHER}])
    second, expected = bands_stored(database, "e")
    assert second == expected and not second & first  # the old text's bands are gone, the new text's are there
    store(database, linker, [{"id": "f", "platform": "zalo", "title": "Máy hút bụi", "description": OTHER + " nhé"}])
    operators = operators_of(database)
    assert operators["f"] == operators["e"]  # found through the new bands


def test_a_split_keeps_near_duplicate_texts_together(database: Database, linker: CaseLinker) -> None:
    # the hotline first merges five sellers, then becomes common; two of them post the same text (other shop name)
    posts = [seller(n, f"091200000{n}", hotline=True) for n in range(1, 6)]
    posts[0]["description"] += ". " + POST + ", shop Minh Anh"
    posts[1]["description"] += ". " + POST + ", shop Bóng Vui"
    store(database, linker, posts[:2])
    store(database, linker, posts[2:])
    operators = operators_of(database)
    assert operators["s1"] == operators["s2"]  # the near-duplicate text still links these two
    assert len({operators[f"s{n}"] for n in range(1, 6)}) == 4


def test_an_operator_reposting_one_text_is_read_a_few_listings_per_bucket(
    database: Database, linker: CaseLinker
) -> None:
    # six sellers post one text: one operator, six listings in each of the text's buckets. A bucket lookup reads
    # its MEMBERS_PER_OPERATOR oldest (a new copy costs the same as the second did), yet no operator is missed
    copies = [{"id": f"c{n}", "platform": "facebook", "title": "Bóng cười", "description": POST,
               "seller": {"id": f"shop-{n}"}} for n in range(6)]  # fmt: skip
    store(database, linker, copies[:2])
    store(database, linker, copies[2:])
    store(database, linker, [{"id": "lone", "platform": "tiki", "title": "Máy hút bụi", "description": OTHER}])
    buckets, _ = bands_stored(database, "c0")
    ids = _listing_ids(database)
    shared = min(buckets)
    with database.write() as session:  # the other text shares one band with the copies, as a chance match would
        session.add(LshBucketRow(bucket=shared, listing_id=ids["lone"]))
    with database.read() as session:
        members = _bucket_members(session, sorted(buckets))
    operators = operators_of(database)
    copy_operator = operators["c0"]
    assert len({operators[f"c{n}"] for n in range(6)}) == 1
    oldest = sorted(ids[f"c{n}"] for n in range(6))[:MEMBERS_PER_OPERATOR]
    for bucket in buckets:
        assert sorted(m for m in members[bucket] if m[1] == copy_operator) == [(i, copy_operator) for i in oldest]
    assert (ids["lone"], operators["lone"]) in members[shared]
    with database.read() as session:  # listings the caller knows (a batch's new ones) are left out before ranking
        without = _bucket_members(session, sorted(buckets), [ids["lone"], oldest[0]])
    assert all(m[0] not in (ids["lone"], oldest[0]) for bucket in buckets for m in without[bucket])
    next_oldest = sorted(ids[f"c{n}"] for n in range(6))[1 : MEMBERS_PER_OPERATOR + 1]
    assert sorted(m[0] for m in without[shared]) == next_oldest
    store(database, linker, [{**copies[0], "id": "c6", "seller": {"id": "shop-6"}}])
    assert operators_of(database)["c6"] == copy_operator


def _listing_ids(db: Database) -> dict[str, int]:
    with db.read() as session:
        return dict(session.execute(select(ListingRow.external_id, ListingRow.id)).tuples().all())


def _operator_rows(db: Database) -> dict[int, dict]:
    """Every operator row, less its update time."""
    with db.read() as session:
        return {
            row.id: {c.name: getattr(row, c.name) for c in OperatorRow.__table__.columns if c.name != "updated_at"}
            for row in session.scalars(select(OperatorRow))
        }


def test_operators_written_at_once_equal_a_refresh_from_the_tables(database: Database, linker: CaseLinker) -> None:
    # a listing stored for the first time gets its operator's aggregates without reading the tables back (alone
    # in it, or refreshed when merged or split): after batches mixing new, re-sent and edited listings, shared
    # phones, near-duplicate texts, a hotline that turns common and unflagged listings, every live operator is
    # what recomputing it from the tables gives
    text = "Đồng hồ Rolex Submariner máy Thụy Sĩ dây thép 904L kính sapphire chống nước 300m bảo hành 5 năm"
    watch = {"title": "Đồng hồ", "description": text}
    batches = [
        [seller(1, "0912000001", hotline=True), {"id": "d1", "platform": "lazada", **watch}],
        [seller(2, "0912000002", hotline=True), {"id": "d2", "platform": "tiki", **watch},
         {"id": "lone", "title": "Áo thun cotton", "description": "Áo thun basic nhiều màu"}],
        [seller(3, "0912000003", hotline=True), seller(1, "0912000001", hotline=True),
         {"id": "d1", "platform": "lazada", "title": "Đồng hồ mới", "description": text + " giá tốt"}],
        [seller(4, "0912000004", hotline=True), seller(5, "0912000005", hotline=True),
         seller(6, "0912000002", hotline=False)],
    ]  # fmt: skip
    for n, batch in enumerate(batches):
        store(database, linker, batch, risk=0.3 if n == 1 else 0.9)
    written = _operator_rows(database)
    live = [operator_id for operator_id, row in written.items() if row["merged_into"] is None]
    with database.write() as session:
        refresh_operators(session, live, now=utc_now(), labels=LABELS)
    refreshed = _operator_rows(database)
    assert {o: written[o] for o in live} == {o: refreshed[o] for o in live}
    assert any(written[o]["listing_count"] == 1 for o in live) and any(written[o]["is_case"] for o in live)


def test_a_batch_is_fingerprinted_as_each_listing_alone(linker: CaseLinker) -> None:
    house = "Bình khí cười loại 8 lít hàng chuẩn, giao hỏa tốc nội thành, kiểm tra rồi mới thanh toán, giá sỉ lẻ"
    raws = [seller(n, f"09{n:08d}", hotline=n % 2 == 0) for n in range(1, 6)] + [
        {"id": "long", "title": "Bình khí cười", "description": f"{house}. Zalo: shop.khi.cuoi, stk 0123456789 VCB"},
        {
            "id": "again",
            "title": "Binh khi cuoi",
            "description": f"{house} freeship toàn quốc",
            "seller": {"name": "B"},
        },
        {"id": "empty", "title": "Áo", "description": ""},
        {"id": "none", "title": "Quần jean nữ ống suông"},
    ]
    listings = [Listing.model_validate(raw) for raw in raws]
    for stop in (frozenset(), load_stop_shingles()):
        batch = CaseLinker(identifier_key=b"test-key", max_sellers=3, labels=LABELS, stop=stop)
        expected = [fingerprint_listing(listing, key=b"test-key", stop=stop) for listing in listings]
        assert batch.fingerprint(listings) == expected
        assert any(f.text.signature for f in expected) and any(f.identifiers for f in expected)
    assert linker.fingerprint([]) == []

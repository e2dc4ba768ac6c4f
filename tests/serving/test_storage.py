"""Storage: migrations, snapshot de-duplication, append-only reviews, hashed keys — on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import DBAPIError

from model.predictor import Predictor
from model.schema import Listing, Score
from serving.settings import get_settings
from serving.storage.api_keys import create_api_key, find_api_key
from serving.storage.cases import CaseCursor
from serving.storage.content import canonical_json, content_sha256
from serving.storage.db import Database
from serving.storage.export import iter_reviewed
from serving.storage.history import add_review, get_listing_history
from serving.storage.keyset import NOT_A_CURSOR, encode_token
from serving.storage.listings import ScoredListing, store_scored
from serving.storage.migrate import downgrade_database, upgrade_database
from serving.storage.models import ApiKeyRow, ListingFlagRow, ListingRow, ReviewRow, ScoreRow, SnapshotRow
from serving.storage.queue import QueueCursor, uncertain_slots
from serving.team import load_trust
from training.train import TrainResult

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def predictor(trained: TrainResult) -> Predictor:
    return Predictor.load(trained.model_dir)


def _store(db: Database, predictor: Predictor, raws: list[dict], now: datetime = T0) -> list[int]:
    listings = [Listing.model_validate(raw) for raw in raws]
    scores = predictor.score(listings)
    items = [ScoredListing(raw, listing, score) for raw, listing, score in zip(raws, listings, scores, strict=True)]
    with db.write() as session:
        return store_scored(session, items, thresholds=predictor.thresholds, now=now).ids


def _count(db: Database, row_class: type) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(row_class)) or 0


def test_migrations_go_up_and_down(database: Database) -> None:
    tables = set(inspect(database.engine).get_table_names())
    assert {"listings", "listing_snapshots", "scores", "reviews", "api_keys"} <= tables
    upgrade_database(database.engine)  # already at head: nothing happens
    downgrade_database(database.engine)
    assert set(inspect(database.engine).get_table_names()) <= {"alembic_version"}
    upgrade_database(database.engine)
    assert "reviews" in inspect(database.engine).get_table_names()


def test_postgresql_connections_plan_every_statement_and_compile_none(database: Database) -> None:
    if database.dialect != "postgresql":
        pytest.skip("PostgreSQL's planner settings")
    with database.read() as session:
        settings = {name: session.execute(text(f"SHOW {name}")).scalar_one() for name in ("jit", "plan_cache_mode")}
    assert settings == {"jit": "off", "plan_cache_mode": "force_custom_plan"}


def test_unchanged_listing_is_stored_once_and_a_changed_one_keeps_both_versions(
    database: Database, predictor: Predictor
) -> None:
    raw = {"id": "sp-1", "platform": "shopee", "title": "Túi xách LV rep 1:1", "price": 350000}
    first = _store(database, predictor, [raw])
    # the same listing re-sent later, keys in another order: same listing, same snapshot, same score
    again = _store(database, predictor, [dict(reversed(list(raw.items())))], now=T0 + timedelta(hours=1))
    assert first == again
    assert (_count(database, ListingRow), _count(database, SnapshotRow), _count(database, ScoreRow)) == (1, 1, 1)
    edited = {**raw, "title": "Túi xách LV chính hãng", "price": 9500000}
    third = _store(database, predictor, [edited], now=T0 + timedelta(hours=2))
    assert third == first
    with database.read() as session:
        history = get_listing_history(session, first[0])
        assert history is not None
        assert [s.raw_json for s in history.snapshots] == [
            '{"id":"sp-1","platform":"shopee","price":350000,"title":"Túi xách LV rep 1:1"}',
            '{"id":"sp-1","platform":"shopee","price":9500000,"title":"Túi xách LV chính hãng"}',
        ]
        assert history.snapshots[0].first_seen == T0 and history.snapshots[0].last_seen == T0 + timedelta(hours=1)
        assert history.listing.first_seen == T0 and history.listing.last_seen == T0 + timedelta(hours=2)
        assert history.listing.title == "Túi xách LV chính hãng" and len(history.scores) == 2


def test_identity_is_platform_and_id_else_url_else_content(database: Database, predictor: Predictor) -> None:
    ids = _store(
        database,
        predictor,
        [
            {"id": "1", "platform": "shopee", "title": "A"},
            {"id": "1", "platform": "lazada", "title": "A"},  # same id on another platform: another listing
            {"url": "https://x.vn/p/1", "title": "B"},
            {"url": "https://x.vn/p/1", "title": "B edited"},  # same url: the same listing, a new version
            {"title": "C"},
            {"title": "C"},
        ],
    )
    assert ids[0] != ids[1] and ids[2] == ids[3] and ids[4] == ids[5]
    assert len(set(ids)) == 4


def test_content_hash_ignores_key_order_and_unicode_form() -> None:
    composed = {"title": "Bình khí cười", "price": 1}
    decomposed = {"price": 1, "title": unicodedata.normalize("NFD", "Bình khí cười")}  # other code points
    assert composed["title"] != decomposed["title"]
    assert content_sha256(composed) == content_sha256(decomposed)


@pytest.mark.parametrize(
    "raw",
    [
        {"title": "Bình khí cười N2O", "seller": {"name": "Shop Hà Nội"}, "tags": ["hàng xách tay", "chính hãng"]},
        {"title": unicodedata.normalize("NFD", "Bình khí cười"), "price": 1},
        {unicodedata.normalize("NFD", "giá"): "x", "gia": "y"},  # a key not in NFC (it sorts elsewhere in NFC)
        {"title": "a\n\u0301b", "note": '"\u0301', "q": "\\\u0301"},  # escaped ASCII before a combining mark
        {"title": "e\u0323\u0302", "d": "\u1ec7"},  # marks out of canonical order, and the composed letter
        {"title": "\u212b ohm \u2126", "list": [{"x": "A\u030a"}]},  # singletons and nested values
    ],
)
def test_content_hash_is_the_hash_of_the_nfc_form(raw: dict) -> None:
    def nfc(value):  # the definition: every key and string in NFC, then canonical JSON
        if isinstance(value, str):
            return unicodedata.normalize("NFC", value)
        if isinstance(value, dict):
            return {nfc(k): nfc(v) for k, v in value.items()}
        return [nfc(v) for v in value] if isinstance(value, list) else value

    expected = hashlib.sha256(canonical_json(nfc(raw)).encode()).hexdigest()
    assert content_sha256(raw) == expected


def test_reviews_are_append_only(database: Database, predictor: Predictor) -> None:
    [listing_id] = _store(database, predictor, [{"id": "r1", "title": "Pod vape tinh dầu"}])
    with database.write() as session:
        add_review(session, listing_id, reviewer="a", api_key_id=None, labels=["prohibited"], note=None, now=T0)
    with database.write() as session:
        add_review(session, listing_id, reviewer="b", api_key_id=None, labels=[], note="kẹo", now=T0)
    with database.read() as session:
        history = get_listing_history(session, listing_id)
        assert history is not None
        assert [(r.reviewer, r.labels) for r in history.reviews] == [("a", ["prohibited"]), ("b", [])]
        assert history.listing.latest_review_id == history.reviews[-1].id
    with database.read() as session:
        first = session.scalars(select(ReviewRow).order_by(ReviewRow.id)).first()
        assert first is not None
    columns = "id, listing_id, snapshot_id, reviewer, labels, created_at"
    values = f"{first.id}, {first.listing_id}, {first.snapshot_id}, 'mallory', '[]', '2026-01-01 00:00:00+00:00'"
    rewrites = ["UPDATE reviews SET labels = '[]'", "DELETE FROM reviews"]
    if database.dialect == "sqlite":  # REPLACE deletes the old row without firing the DELETE trigger
        rewrites += [f"REPLACE INTO reviews ({columns}) VALUES ({values})"]
        rewrites += [f"INSERT OR REPLACE INTO reviews ({columns}) VALUES ({values})"]
    else:
        rewrites += ["TRUNCATE reviews CASCADE", "TRUNCATE listings CASCADE"]
    rewrites += [f"INSERT INTO reviews ({columns}) VALUES ({values}) ON CONFLICT (id) DO UPDATE SET labels = '[]'"]
    for statement in rewrites:
        with pytest.raises(DBAPIError, match="append-only"), database.write() as session:
            session.execute(text(statement))
    assert _count(database, ReviewRow) == 2
    with database.read() as session:
        assert session.get(ReviewRow, first.id).reviewer == "a"
    with database.write() as session:
        assert add_review(session, 10**9, reviewer="a", api_key_id=None, labels=[], note=None, now=T0) is None


def test_api_keys_are_stored_hashed(database: Database) -> None:
    with database.write() as session:
        _row, key = create_api_key(session, role="reviewer", name="hoa", now=T0)
    with database.read() as session:
        stored = session.scalars(select(ApiKeyRow)).one()
        assert key.startswith("soi_") and key not in (stored.key_hash, stored.prefix) and len(key) > 40
        found = find_api_key(session, key)
        assert found is not None and found.role == "reviewer"
        assert find_api_key(session, key + "x") is None
    with pytest.raises(ValueError, match="unknown role"), database.write() as session:
        create_api_key(session, role="root", name="x", now=T0)


@pytest.mark.parametrize(
    ("cursor", "tampered"),
    [
        (QueueCursor(risk=0.123456, listing_id=42, uncertainty=0.01, uncertain_id=7), {"r": 0.5, "i": 0}),
        (QueueCursor(risk=0.5, listing_id=42), {"r": 1.5, "i": 3}),
        (CaseCursor(risk=0.123456, case_id=42), [0.5, 0]),
        (CaseCursor(risk=0.5, case_id=42), [7.0, 3]),
        (CaseCursor(risk=0.5, case_id=42), [0.5, 3.5]),
        (CaseCursor(risk=0.5, case_id=42), [True, 3]),
    ],
)
def test_cursors_round_trip_and_reject_junk(cursor: QueueCursor | CaseCursor, tampered: object) -> None:
    """Both paged lists read their cursors alike: a row id is 1..2⁶³−1, a risk 0..1, anything else is refused."""
    assert type(cursor).decode(cursor.encode()) == cursor
    for junk in ("", "abc", "eyJ4IjogMX0", "bnVsbA", encode_token(tampered)):
        with pytest.raises(ValueError, match=NOT_A_CURSOR):
            type(cursor).decode(junk)


@pytest.mark.parametrize(
    ("limit", "share", "slots"), [(1, 0.05, 0), (10, 0.05, 1), (20, 0.05, 1), (50, 0.05, 3), (100, 0.0, 0), (4, 1.0, 3)]
)
def test_uncertain_slots(limit: int, share: float, slots: int) -> None:
    assert uncertain_slots(limit, share) == slots


def test_database_url_aliases(monkeypatch: pytest.MonkeyPatch) -> None:
    from serving.settings import get_settings
    from serving.storage.db import normalize_url

    monkeypatch.delenv("SOI_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db/soi")
    assert get_settings().database_url == "postgresql://u:p@db/soi"
    monkeypatch.setenv("SOI_DATABASE_URL", "sqlite:///other.db")
    assert get_settings().database_url == "sqlite:///other.db"
    assert normalize_url("postgres://u:p@db/soi") == "postgresql+psycopg://u:p@db/soi"


def test_a_listing_edited_after_its_review_is_unreviewed_again(database: Database, predictor: Predictor) -> None:
    raw = {"id": "e-1", "platform": "facebook", "title": "Bóng bay mặt cười trang trí sinh nhật"}
    [listing_id] = _store(database, predictor, [raw])
    with database.write() as session:
        add_review(session, listing_id, reviewer="a", api_key_id=None, labels=[], note=None, now=T0)
    _store(database, predictor, [raw], now=T0 + timedelta(hours=1))  # re-sent unchanged: still reviewed
    with database.read() as session:
        assert session.get(ListingRow, listing_id).reviewed_at is not None  # type: ignore[union-attr]
    _store(
        database, predictor, [{**raw, "title": "Bình khí cười N2O bóng cười giao nhanh"}], now=T0 + timedelta(hours=2)
    )
    with database.read() as session:
        listing = session.get(ListingRow, listing_id)
        assert listing is not None and listing.reviewed_at is None and listing.latest_review_id is not None
        [exported] = list(iter_reviewed(session, trust=load_trust(session, get_settings())))
    # the export pairs the labels with the version the reviewer saw, not the later edit
    assert exported["title"] == raw["title"] and exported["labels"] == []
    # a single review by a reviewer nobody has checked yet weighs the prior kappa
    assert exported["provenance"] == "single" and exported["weight"] == get_settings().review_prior_kappa


def test_migration_0003_rewrites_joined_keys_into_structured_ones(database: Database, predictor: Predictor) -> None:
    downgrade_database(database.engine, "0002")
    old = [
        ("id:shopee:1:2", "shopee", "1:2", None),
        ("id::42", None, "42", None),
        ("url:https://a.vn/x?y=1", None, None, "https://a.vn/x?y=1"),
        ("sha256:" + "ab" * 32, None, None, None),
    ]
    with database.write() as session:
        for number, (key, platform, external_id, url) in enumerate(old, start=1):
            session.execute(
                text(
                    "INSERT INTO listings (key, key_hash, platform, external_id, url, title, first_seen, last_seen) "
                    "VALUES (:key, :hash, :platform, :external_id, :url, 't', :now, :now)"
                ),
                {
                    "key": key,
                    "hash": f"{number:064d}",
                    "platform": platform,
                    "external_id": external_id,
                    "url": url,
                    "now": T0,
                },
            )
    upgrade_database(database.engine)
    with database.read() as session:
        rows = list(session.scalars(select(ListingRow).order_by(ListingRow.id)))
    keys, ids = [row.key for row in rows], [row.id for row in rows]
    assert keys == [
        '["id","shopee","1:2"]',
        '["id","","42"]',
        '["url","https://a.vn/x?y=1"]',
        '["sha256","' + "ab" * 32 + '"]',
    ]
    # the same listing sent again finds its migrated row; the one it used to collide with gets its own
    assert _store(database, predictor, [{"platform": "shopee", "id": "1:2", "title": "t"}]) == [ids[0]]
    assert _store(database, predictor, [{"platform": "shopee:1", "id": "2", "title": "t"}]) != [ids[0]]
    assert _store(database, predictor, [{"url": "https://a.vn/x?y=1", "title": "t"}]) == [ids[2]]


LABELS = ("counterfeit", "smuggled", "prohibited")


def _store_flagged(db: Database, raw: dict, flagged: list[str], *, version: str = "m1") -> int:
    listing = Listing.model_validate(raw)
    probabilities = {label: 0.9 if label in flagged else 0.1 for label in LABELS}
    score = Score(listing_id=listing.id, model_version=version, risk=0.9, probabilities=probabilities,
                  flagged=flagged, priority="high")  # fmt: skip
    with db.write() as session:
        [listing_id] = store_scored(session, [ScoredListing(raw, listing, score)], thresholds={}, now=T0).ids
    return listing_id


def _flags(db: Database, listing_id: int) -> tuple[list[str], int]:
    with db.read() as session:
        rows = session.scalar(select(func.count()).select_from(ListingFlagRow))
        return session.get(ListingRow, listing_id).latest_flagged, rows


def test_flagged_labels_follow_the_latest_score(database: Database) -> None:
    raw = {"id": "f1", "platform": "shopee", "title": "Bình khí cười"}
    listing_id = _store_flagged(database, raw, ["prohibited", "smuggled"])
    assert _flags(database, listing_id) == (["prohibited", "smuggled"], 2)
    _store_flagged(database, raw, ["counterfeit"])  # the same snapshot re-sent: its stored score stays the latest
    assert _flags(database, listing_id) == (["prohibited", "smuggled"], 2)
    _store_flagged(database, {**raw, "title": "Bình khí cười 8 lít"}, ["counterfeit"])  # an edit: a new score
    assert _flags(database, listing_id) == (["counterfeit"], 1)
    _store_flagged(database, {**raw, "title": "Bình khí cười 8 lít"}, [], version="m2")  # a new model's score
    assert _flags(database, listing_id) == ([], 0)

"""Shared fixtures: a tiny labelled dataset written in the test, and a model trained on it once per session."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from model.folding import fold_diacritics
from model.text_vectorizers import TextFeatureConfig
from training.config import TrainConfig, TransformerTrainConfig
from training.dataset import seed_listings
from training.train import TrainResult, train


def pytest_sessionstart(session: pytest.Session) -> None:
    """A fresh clone has no seed dataset yet (it is generated, not committed): write it before any test reads it."""
    seed_listings()


# (title, labels) pairs: a few of each risk and clean listings that share their words.
TINY_ITEMS: list[tuple[str, list[str]]] = [
    ("Túi xách LV Neverfull rep 1:1 siêu cấp like auth", ["counterfeit"]),
    ("Đồng hồ Rolex Submariner fake loại 1 giá rẻ", ["counterfeit"]),
    ("Giày Nike Jordan hàng nhái chuẩn 99%", ["counterfeit"]),
    ("Nước hoa Dior Sauvage replica 100ml", ["counterfeit"]),
    ("Sữa bột Ensure giả nhãn nhập không tem", ["counterfeit", "smuggled"]),
    ("Thuốc lá Esse không tem nhập lậu cây 10 bao", ["smuggled"]),
    ("Đường cát Thái nhập lậu bao 50kg không hóa đơn", ["smuggled"]),
    ("Rượu ngoại xách tay không giấy tờ giá sỉ", ["smuggled"]),
    ("Hàng bãi Nhật kiện 100kg không chứng từ", ["smuggled"]),
    ("Bình khí cười N2O 8 lít bóng cười giao nhanh", ["prohibited"]),
    ("Pod vape thuốc lá điện tử tinh dầu", ["prohibited"]),
    ("Pháo hoa nổ pháo bi Trung Quốc ship kín", ["prohibited"]),
    ("Dao bấm tự vệ, roi điện, bình xịt hơi cay", ["prohibited"]),
    ("Sừng tê giác, vảy tê tê, mật gấu rừng", ["prohibited"]),
    ("Làm bằng đại học, CCCD giả lấy nhanh", ["prohibited"]),
    ("Bóng bay mặt cười trang trí sinh nhật", []),
    ("Áo thun nam cotton basic cổ tròn", []),
    ("Đồng hồ Casio chính hãng bảo hành 1 năm có hóa đơn", []),
    ("Túi xách Louis Vuitton cũ có bill mua tại store", []),
    ("Dao bếp Nhật thép không gỉ làm bếp", []),
    ("Thuốc lá điện tử? Không! Kẹo cao su bạc hà nhập khẩu chính hãng có tem phụ", []),
    ("Sữa bột Ensure chính hãng nhà thuốc Long Châu", []),
    ("Đường mía Biên Hòa túi 1kg", []),
    ("Hạt giống rau cải F1 gói 20g", []),
    ("Cỏ mèo catnip cho mèo cưng", []),
]


def _tiny_listing(index: int, title: str, labels: list[str], rng: random.Random) -> dict:
    risky = bool(labels)
    if rng.random() < 0.3:
        title = fold_diacritics(title)
    platform = rng.choice(["shopee", "lazada", "tiki", "facebook", "zalo", "tiktok"])
    seller = (
        None
        if platform in ("facebook", "zalo") and rng.random() < 0.3
        else {
            "id": f"tiny-seller-{index % 47}-{platform}",
            "account_age_days": rng.randint(1, 90) if risky else rng.randint(20, 2000),
            "follower_count": rng.randint(0, 200) if risky else rng.randint(50, 50000),
            "rating": round(rng.uniform(3.0, 5.0), 1),
            "is_official": False if risky else rng.random() < 0.4,
        }
    )
    return {
        "id": f"tiny-{index:04d}",
        "platform": platform,
        "title": title + rng.choice(["", " - freeship", " [HOT]", " giá tốt", " ib shop"]),
        "description": rng.choice([None, "Hàng có sẵn, giao toàn quốc.", "Liên hệ để biết thêm chi tiết."]),
        "price": rng.choice([None, rng.randint(20, 5000) * 1000]),
        "seller": seller,
        "ships_from": rng.choice([None, "Hà Nội", "TP. Hồ Chí Minh", "Nước ngoài"]),
        "labels": labels,
        "style": "no_diacritics" if title.isascii() else "marketplace",
    }


def write_tiny_dataset(path: Path, *, copies: int = 8, seed: int = 5) -> Path:
    """Write ``copies`` varied copies of each tiny item as labelled JSONL."""
    rng = random.Random(seed)
    rows = [
        _tiny_listing(i * len(TINY_ITEMS) + j, title, labels, rng)
        for i in range(copies)
        for j, (title, labels) in enumerate(TINY_ITEMS)
    ]
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def write_noisy_copy(truth: list, path: Path) -> Path:
    """The tiny data with three in four counterfeit labels lost: what reviewers' corrections should repair."""
    with path.open("w", encoding="utf-8") as handle:
        for i, example in enumerate(truth):
            line = example.listing.model_dump(mode="json")
            if "counterfeit" in line["labels"] and i % 4:
                line["labels"] = [label for label in line["labels"] if label != "counterfeit"]
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
    return path


@pytest.fixture(scope="session")
def tiny_data_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny labelled dataset (200 listings) on disk."""
    return write_tiny_dataset(tmp_path_factory.mktemp("data") / "tiny.jsonl")


def make_tiny_config(data_path: Path, models_dir: Path, **overrides: object) -> TrainConfig:
    """A config that trains in seconds on the tiny dataset: the linear scorer alone, on the tiny data alone."""
    settings = {
        "data_path": str(data_path),
        "models_dir": str(models_dir),
        "real_negative_files": (),
        "selection_holdout_files": (),
        "transformer": TransformerTrainConfig(enabled=False),
        "calibration_folds": 3,
        "valid_share": 0.2,
        "test_share": 0.2,
        "text": TextFeatureConfig(
            min_df=1, char_ngram_max=4, use_word_segments=True, max_char_features=20_000, surface_char_ngram_max=3
        ),
    }
    settings.update(overrides)
    return TrainConfig(**settings)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def trained(tiny_data_path: Path, tmp_path_factory: pytest.TempPathFactory) -> TrainResult:
    """A model trained once on the tiny dataset and made current in its own models folder."""
    models_dir = tmp_path_factory.mktemp("models")
    return train(make_tiny_config(tiny_data_path, models_dir))


ARTEFACTS_KEY = pytest.StashKey[list[str]]()


@pytest.fixture
def artefacts(request: pytest.FixtureRequest) -> list[str]:
    """Files a test leaves for CI to keep (screenshots, benchmark numbers), named in the terminal summary."""
    return request.config.stash.setdefault(ARTEFACTS_KEY, [])


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """Name the CI artefacts the run wrote, so the CI log says where they are."""
    paths = config.stash.get(ARTEFACTS_KEY, [])
    if paths:
        terminalreporter.section("CI artefacts")
        for path in paths:
            terminalreporter.write_line(path)


def build_tiny_checkpoint(folder: Path, texts: list[str], *, seed: int = 0) -> Path:
    """A tiny BERT checkpoint directory (hidden size 32, 2 layers) with a WordPiece tokenizer trained on ``texts``.

    Saved with ``save_pretrained`` exactly like a downloaded checkpoint, so training and serving load it through
    the same from-directory path that MiniLM, PhoBERT or XLM-R take.
    """
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    from model.text import read_text

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=False)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.train_from_iterator(
        [read_text(text).normalized for text in texts],
        trainers.WordPieceTrainer(vocab_size=400, special_tokens=specials),
    )
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]", special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)]
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )
    folder.mkdir(parents=True, exist_ok=True)
    fast.save_pretrained(str(folder))
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=tokenizer.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    BertModel(config, add_pooling_layer=False).save_pretrained(str(folder))
    return folder


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny encoder checkpoint directory built from a config and a tokenizer trained on the tiny data."""
    texts = [title for title, _labels in TINY_ITEMS] + [fold_diacritics(title) for title, _labels in TINY_ITEMS]
    return build_tiny_checkpoint(tmp_path_factory.mktemp("checkpoint") / "tiny-bert", texts)


def make_tiny_transformer_config(checkpoint: Path, **overrides: object) -> TransformerTrainConfig:
    """Transformer settings that fine-tune the tiny encoder in seconds."""
    settings = {
        "enabled": True,
        "backbone": str(checkpoint),
        "epochs": 2,
        "batch_size": 16,
        "max_length_cap": 32,
        "freeze_layers": 1,
        "max_train_listings": 0,
        "real_negative_max": 0,
        "learning_rate": 1e-3,
    }
    settings.update(overrides)
    return TransformerTrainConfig(**settings)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def trained_transformer(
    tiny_data_path: Path, tiny_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory
) -> TrainResult:
    """Linear scorer, tiny transformer (ONNX fp32 + int8) and ensemble trained once on the tiny dataset."""
    models_dir = tmp_path_factory.mktemp("models-transformer")
    config = make_tiny_config(tiny_data_path, models_dir, transformer=make_tiny_transformer_config(tiny_checkpoint))
    return train(config)

"""``make bench-vispam``: the same training pipeline retrained on ViSpamReviews, a public Vietnamese benchmark.

ViSpamReviews (Van Dinh et al., 2022: e-commerce product reviews labelled spam / not spam) is read from
``../shared/data/benchmarks/vispamreviews/{train,dev,test}.csv`` (research use only; never copied into the
repository). Each review becomes a Listing: the comment is the title, the review's star rating the seller-rating
metadata field. Its own label config (``configs/vispam.toml``, label ``spam``) trains the linear scorer, the
transformer and their ensemble with the same code as ``make train``; selection and the decision threshold use
the dev split only; the test split is scored once and reported as binary macro-F1 (both classes averaged)
beside the published PhoBERT figure.
"""

from __future__ import annotations

import csv
import json
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import f1_score

from model.predictor import Predictor
from model.schema import Listing, Seller
from training.config import CONFIG_DIR, load_config
from training.dataset import Example, Split, find_shared_dir, label_matrix, sample_examples
from training.train import TrainResult, train

log = logging.getLogger(__name__)

VISPAM_CONFIG = CONFIG_DIR / "vispam.toml"
# Published binary (spam / not spam) macro-F1 on the test split (Van Dinh et al., 2022, ViSpamReviews).
PUBLISHED_MACRO_F1 = {"PhoBERT (published)": 0.8689}
SPLITS = ("train", "dev", "test")


def vispam_dir() -> Path | None:
    """The ViSpamReviews folder in ../shared, if it is there."""
    shared = find_shared_dir()
    folder = shared / "data" / "benchmarks" / "vispamreviews" if shared else None
    return folder if folder and all((folder / f"{name}.csv").is_file() for name in SPLITS) else None


def load_vispam_split(path: Path, *, name: str, label: str = "spam") -> list[Example]:
    """Rows of one ViSpamReviews CSV (Rating, Comment, Label, SpamLabel) as labelled examples."""
    examples = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row_number, row in enumerate(csv.DictReader(handle)):
            comment = (row.get("Comment") or "").strip() or "(không có nội dung)"
            rating = row.get("Rating")
            listing = Listing(
                id=f"vispam-{name}-{row_number}",
                title=comment,
                seller=Seller(rating=float(rating)) if rating not in (None, "") else None,
                labels=[label] if str(row.get("Label", "0")).strip() == "1" else [],
            )
            examples.append(Example(listing=listing, extras={"spam_type": row.get("SpamLabel")}))
    return examples


def best_macro_f1_threshold(probability: np.ndarray, target: np.ndarray) -> float:
    """The probability cut that maximises binary macro-F1 (both classes averaged) on the given data."""
    cuts = np.unique(np.quantile(probability, np.linspace(0.01, 0.99, 197)))
    scores = [f1_score(target, probability >= cut, average="macro", zero_division=0) for cut in cuts]
    return float(cuts[int(np.argmax(scores))])


def score_vispam(
    result: TrainResult, dev: list[Listing], test: list[Listing], labels: tuple[str, ...]
) -> dict[str, dict[str, float]]:
    """Each trained scorer's threshold chosen for macro-F1 on dev, and its dev and test F1 and test AP at it."""
    dev_target, test_target = label_matrix(dev, labels)[:, 0], label_matrix(test, labels)[:, 0]
    kinds = list(result.card.scorers)
    predictor = Predictor.load(result.model_dir, served="ensemble" if "ensemble" in kinds else "linear")
    dev_by_scorer, test_by_scorer = predictor.predict_proba_by_scorer(dev), predictor.predict_proba_by_scorer(test)
    scores = {}
    for kind in kinds:
        dev_probability, test_probability = dev_by_scorer[kind][:, 0], test_by_scorer[kind][:, 0]
        cut = best_macro_f1_threshold(dev_probability, dev_target)
        scores[kind] = {
            "threshold_chosen_on_dev": cut,
            "dev_macro_f1": float(f1_score(dev_target, dev_probability >= cut, average="macro")),
            "test_macro_f1": float(f1_score(test_target, test_probability >= cut, average="macro")),
            "test_spam_f1": float(f1_score(test_target, test_probability >= cut)),
            "test_average_precision": result.card.scorers[kind].metrics["test"]["macro_average_precision"],
        }
    return scores


def render_vispam(report: dict[str, Any]) -> str:
    """The benchmark as a Markdown table beside the published figure."""
    lines = [
        f"ViSpamReviews ({report['train_listings']} train of {report['train_listings_available']}, "
        f"{report['dev_listings']} dev, {report['test_listings']} test), model {report['model_version']}",
        "| scorer | dev macro-F1 | test macro-F1 | test spam F1 | test AP |",
        "|---|---|---|---|---|",
    ]
    for kind, m in report["scorers"].items():
        name = f"**{kind}** (selected on dev)" if kind == report["served_scorer"] else kind
        lines.append(
            f"| {name} | {m['dev_macro_f1']:.4f} | {m['test_macro_f1']:.4f} | {m['test_spam_f1']:.4f} | "
            f"{m['test_average_precision']:.4f} |"
        )
    lines += [f"| {name} | | {value:.4f} | | |" for name, value in PUBLISHED_MACRO_F1.items()]
    return "\n".join(lines)


def run_vispam(*, config_path: str | None = None, out: Path) -> int:
    """Train on ViSpamReviews train, select on dev, report test macro-F1; 0 on success, 2 without the data."""
    folder = vispam_dir()
    if folder is None:
        print(
            "ViSpamReviews is not available (expected ../shared/data/benchmarks/vispamreviews/{train,dev,test}.csv "
            "beside the project): nothing to benchmark."
        )
        return 2
    started = time.perf_counter()
    config = load_config(config_path or VISPAM_CONFIG)
    parts = {name: load_vispam_split(folder / f"{name}.csv", name=name, label=config.labels[0]) for name in SPLITS}
    train_examples = sample_examples(parts["train"], max_listings=config.max_listings, seed=config.seed)
    split = Split(
        train=train_examples,
        valid=parts["dev"],
        test=parts["test"],
        description="the published ViSpamReviews splits: train, dev (validation) and test",
    )
    result = train(config, split=split, data_files=[folder / f"{name}.csv" for name in SPLITS])
    dev, test = [e.listing for e in parts["dev"]], [e.listing for e in parts["test"]]
    report: dict[str, Any] = {
        "data": str(folder),
        "train_listings": len(train_examples),
        "train_listings_available": len(parts["train"]),
        "dev_listings": len(dev),
        "test_listings": len(test),
        "served_scorer": result.card.scorer,
        "selection_valid_macro_average_precision": result.card.selection["valid_macro_average_precision"],
        "published_macro_f1": PUBLISHED_MACRO_F1,
        "scorers": score_vispam(result, dev, test, config.labels),
    }
    report["served_test_macro_f1"] = report["scorers"][report["served_scorer"]]["test_macro_f1"]
    report["model_version"] = result.version
    report["seconds"] = round(time.perf_counter() - started, 1)
    print(render_vispam(report))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out} in {report['seconds']} s")
    return 0

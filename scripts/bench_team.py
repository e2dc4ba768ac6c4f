"""``make bench-team``: a simulated review team with one careless reviewer, and what weighting reviews buys.

The seed data is split (by a hash of each listing) into the data a champion is trained on and a stream of
"new" listings that the champion scores into a fresh SQLite database. Simulated reviewers then work the queue
through the same functions as the API and the page (``serving.team.claim_next``, ``serving.reviewing
.submit_review``): each claims the next listing, labels it, and moves on; listings picked for a second review
come back to someone else blind; a lead decides every dispute with the true labels. Careful reviewers give
the true labels except on a small share of items (random labels there); the careless one gives random labels
on 30% of items. Then:

- the reviewers' statistics (``GET /v1/reviewers/stats``): is the careless one detected (their kappa against
  final labels beside the others')? excluded or down-weighted?
- the export with provenance and weights, and two challengers retrained on it (``training.weighting_comparison``):
  weighted and unweighted, macro AP on the same frozen evaluation set.

``tests/test_review_team.py`` runs the same simulation on the tiny dataset.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

PROJECT = Path(__file__).resolve().parents[1]
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

from model.predictor import Predictor  # noqa: E402
from model.schema import Listing  # noqa: E402
from serving import reviewing, team  # noqa: E402
from serving.auth import Principal  # noqa: E402
from serving.settings import Settings, get_settings  # noqa: E402
from serving.storage.db import Database  # noqa: E402
from serving.storage.export import iter_reviewed  # noqa: E402
from serving.storage.listings import ScoredListing, store_scored  # noqa: E402
from serving.storage.migrate import upgrade_database  # noqa: E402
from serving.storage.models import ListingRow, utc_now  # noqa: E402
from serving.storage.queue import QueueFilter  # noqa: E402
from training.config import TrainConfig, load_config  # noqa: E402
from training.dataset import Example, load_examples  # noqa: E402
from training.train import train  # noqa: E402
from training.weighting_comparison import compare_weighting  # noqa: E402

CARELESS_RANDOM_SHARE = 0.3


@dataclass(frozen=True)
class SimulatedReviewer:
    """A reviewer who gives random labels on ``random_share`` of the items they review."""

    name: str
    random_share: float


def team_of(careful: int, *, careful_random_share: float) -> list[SimulatedReviewer]:
    """``careful`` careful reviewers and one careless one (random labels on 30% of items), the careless last."""
    people = [SimulatedReviewer(f"careful-{i + 1}", careful_random_share) for i in range(careful)]
    return [*people, SimulatedReviewer("careless", CARELESS_RANDOM_SHARE)]


def split_stream(examples: list[Example], *, stream_share: float) -> tuple[list[Example], list[Example]]:
    """(training data of the champion, stream of new listings to review), by a hash of each listing."""
    base, stream = [], []
    for example in examples:
        key = f"{example.listing.platform}:{example.listing.id or example.listing.title}"
        unit = int.from_bytes(hashlib.sha256(f"team-stream|{key}".encode()).digest()[:8], "big") / 2**64
        (stream if unit < stream_share else base).append(example)
    return base, stream


def _labels(truth: list[str], labels: tuple[str, ...], share: float, rng: random.Random) -> list[str]:
    if rng.random() < share:
        return [label for label in labels if rng.random() < 0.5]
    return list(truth)


def store_stream(db: Database, predictor: Predictor, stream: list[Example]) -> dict[int, list[str]]:
    """Score and store the stream; the true labels by stored listing id."""
    truth: dict[int, list[str]] = {}
    for start in range(0, len(stream), 256):
        chunk = stream[start : start + 256]
        listings = [e.listing.model_copy(update={"labels": []}) for e in chunk]
        scores = predictor.score(listings)
        items = [
            ScoredListing(listing.model_dump(mode="json", exclude={"labels"}, exclude_none=True), listing, score)
            for listing, score in zip(listings, scores, strict=True)
        ]
        with db.write() as session:
            ids = store_scored(session, items, thresholds=predictor.thresholds, now=utc_now()).ids
        truth.update({i: list(e.listing.labels) for i, e in zip(ids, chunk, strict=True)})
    return truth


def work_the_queue(
    db: Database, settings: Settings, truth: dict[int, list[str]], reviewers: list[SimulatedReviewer], *, seed: int
) -> int:
    """Reviewers claim and review in turn until nothing is left; a lead decides disputes. Returns reviews written."""
    rng = random.Random(seed)
    labels = tuple(sorted({label for values in truth.values() for label in values}))
    policy = reviewing.check_policy(settings)
    people = {r.name: Principal(name=r.name, role="reviewer", key_id=None) for r in reviewers}
    lead = Principal(name="lead", role="lead", key_id=None)
    written, idle = 0, set()
    while len(idle) < len(reviewers):
        for reviewer in reviewers:
            claimed = team.claim_next(db, settings, QueueFilter(), caller=people[reviewer.name], n=1)
            if not claimed:
                idle.add(reviewer.name)
                continue
            idle.discard(reviewer.name)
            listing_id = claimed[0].listing_id
            given = _labels(truth[listing_id], labels, reviewer.random_share, rng)
            caller = people[reviewer.name]
            reviewing.submit_review(db, listing_id, caller=caller, labels=given, note=None, policy=policy)
            written += 1
        with db.read() as session:
            disputed = list(session.scalars(select(ListingRow.id).where(ListingRow.review_stage == "dispute")))
        for listing_id in disputed:
            reviewing.submit_review(db, listing_id, caller=lead, labels=truth[listing_id], note=None, policy=policy)
            written += 1
        if disputed:
            idle.clear()
    return written


def export_reviews(db: Database, settings: Settings, path: Path) -> int:
    """Write the training export (provenance and weights included); how many lines."""
    with db.read() as session, path.open("w", encoding="utf-8") as handle:
        lines = list(iter_reviewed(session, trust=team.load_trust(session, settings)))
        handle.writelines(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    return len(lines)


def detection(stats: dict[str, Any], careless: str) -> dict[str, Any]:
    """The careless reviewer's kappa and standing beside the careful reviewers'."""
    rows = {r["reviewer"]: r for r in stats["reviewers"]}

    def summary(row: dict[str, Any]) -> dict[str, Any]:
        final = row["with_final"]
        return {
            "checked_reviews": final["reviews"],
            "kappa": final["pooled"]["kappa"],
            "kappa_ci": final["pooled"]["kappa_ci"],
            "exact_agreement": final["exact"]["raw"],
            "exact_agreement_ci": final["exact"]["raw_ci"],
            "status": row["standing"]["status"],
            "weight": row["standing"]["weight"],
        }

    others = {name: summary(row) for name, row in rows.items() if name not in (careless, "lead")}
    mine = summary(rows[careless])
    kappas = [o["kappa"] for o in others.values() if o["kappa"] is not None]
    return {
        "careless": mine,
        "careful": others,
        "detected": bool(kappas) and mine["kappa"] is not None and mine["kappa"] < min(kappas),
        "down_weighted": all(mine["weight"] < o["weight"] for o in others.values()),
    }


def _wrong_single_labels(path: Path, stream: list[Example], reviewer: str) -> dict[str, int]:
    """How many of ``reviewer``'s single reviews in the export are wrong: what second reviews did not catch."""
    truth = {(e.listing.platform, e.listing.id): set(e.listing.labels) for e in stream}
    counts = {"single": 0, "wrong": 0}
    for line in map(json.loads, path.read_text(encoding="utf-8").splitlines()):
        if line["reviewer"] == reviewer and line["provenance"] == "single":
            counts["single"] += 1
            counts["wrong"] += set(line["labels"]) != truth[(line["platform"], line["id"])]
    return counts


def simulate(
    config: TrainConfig,
    stream: list[Example],
    work_dir: Path,
    *,
    reviewers: list[SimulatedReviewer],
    second_review_share: float,
    contradiction_check: bool = True,
    seed: int = 7,
) -> dict[str, Any]:
    """Train the champion on ``config``'s data, review the stream as a team, measure, retrain both ways.

    Without ``contradiction_check`` only the hashed share of first reviews goes to a second reviewer (the
    confidence thresholds are set where no probability reaches them).
    """
    started = time.perf_counter()
    work_dir.mkdir(parents=True, exist_ok=True)
    champion = train(config)
    confident = {} if contradiction_check else {"second_review_confident_high": 1.0, "second_review_confident_low": 0.0}
    settings = get_settings(
        database_url=f"sqlite:///{work_dir / 'team.db'}",
        model_path=str(champion.model_dir),
        second_review_share=second_review_share,
        **confident,
    )
    db = Database(settings)
    upgrade_database(db.engine)
    truth = store_stream(db, Predictor.load(champion.model_dir), stream)
    written = work_the_queue(db, settings, truth, reviewers, seed=seed)
    exported = export_reviews(db, settings, work_dir / "reviews.jsonl")
    stats = team.reviewer_stats(db, settings).model_dump(mode="json")
    db.dispose()
    truth_of = {(e.listing.platform, e.listing.id): list(e.listing.labels) for e in stream}

    def true_labels(listing: Listing) -> list[str]:
        return truth_of.get((listing.platform, listing.id), list(listing.labels))  # seed listings carry the truth

    comparison = compare_weighting(
        config, work_dir / "reviews.jsonl", out_dir=work_dir / "retrain", relabel=true_labels
    )
    return {
        "stream_listings": len(stream),
        "reviews_written": written,
        "exported": exported,
        "second_review_share": second_review_share,
        "contradiction_check": contradiction_check,
        "careless_labels_exported_wrong": _wrong_single_labels(work_dir / "reviews.jsonl", stream, reviewers[-1].name),
        "detection": detection(stats, reviewers[-1].name),
        "comparison": comparison.as_dict(),
        "seconds": round(time.perf_counter() - started, 1),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the simulation on the seed data and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="reports/bench_team.json")
    parser.add_argument("--work", default="reports/bench_team", help="folder for the database, export and models")
    parser.add_argument("--stream-share", type=float, default=0.6, help="share of the seed data reviewed as new")
    parser.add_argument("--careful", type=int, default=4, help="careful reviewers beside the careless one")
    parser.add_argument("--careful-random-share", type=float, default=0.02)
    parser.add_argument("--second-review-share", type=float, default=0.1)
    args = parser.parse_args(argv)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    seed_config = load_config(PROJECT / "training/configs/fast.toml")
    examples = load_examples(seed_config.resolve(seed_config.data_path), labels=seed_config.labels)
    base, stream = split_stream(examples, stream_share=args.stream_share)
    base_path = work / "base.jsonl"
    base_path.write_text("".join(json.dumps(e.listing.model_dump(mode="json")) + "\n" for e in base), encoding="utf-8")
    config = load_config(
        PROJECT / "training/configs/fast.toml",
        data_path=str(base_path.resolve()),
        models_dir=str((work / "models").resolve()),
        max_listings=0,
    )
    reviewers = team_of(args.careful, careful_random_share=args.careful_random_share)
    report: dict[str, Any] = {"base_listings": len(base), "scenarios": {}}
    for name, contradiction_check in (("sample_and_contradiction", True), ("sample_only", False)):
        scenario = simulate(
            config,
            stream,
            work / name,
            reviewers=reviewers,
            second_review_share=args.second_review_share,
            contradiction_check=contradiction_check,
        )
        report["scenarios"][name] = scenario
        careless, comparison = scenario["detection"]["careless"], scenario["comparison"]
        careful = [c["kappa"] for c in scenario["detection"]["careful"].values()]
        print(
            f"{name}: careless kappa {careless['kappa']:.3f} ({careless['status']}, weight {careless['weight']:.2f}) "
            f"vs careful {min(careful):.3f}-{max(careful):.3f}; careless single labels wrong "
            f"{scenario['careless_labels_exported_wrong']}; macro AP weighted {comparison['weighted_macro_ap']:.4f}, "
            f"unweighted {comparison['unweighted_macro_ap']:.4f} (against true labels "
            f"{comparison['weighted_macro_ap_relabelled']:.4f} and {comparison['unweighted_macro_ap_relabelled']:.4f}; "
            f"{scenario['seconds']} s)"
        )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

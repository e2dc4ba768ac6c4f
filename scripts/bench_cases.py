"""Linkage quality on the generated test world (``make bench-cases``): operators of risky listings mixed into
real lawful listings, stored and linked through the service's own code path, then compared with the truth.

    python scripts/bench_cases.py --out reports/bench_cases.json [--operators 220] [--thresholds 0.4,0.5,0.6]

Needs ../shared (the real listings are read at run time, never committed); without it, says so and exits 0.
Reported: pairwise precision (over every pair of listings put in one case) and recall (over the pairs of each
generated operator), B-cubed precision/recall/F1 over the generated operators' listings, real lawful listings
put in a case with a risky listing, and the common identifier (the courier hotline) seen and not merging.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from case_world import build_world
from sqlalchemy import select

from model import near_duplicates
from model.jsonl import iter_listings
from model.labels import review_labels
from model.near_duplicates import learn_stop_shingles
from model.schema import Listing, Score
from serving.case_linker import CaseLinker, store_and_link
from serving.settings import get_settings
from serving.storage.case_tables import IdentifierRow, ListingLinkRow
from serving.storage.db import Database
from serving.storage.listings import ScoredListing
from serving.storage.migrate import upgrade_database
from serving.storage.models import ListingRow
from training.dataset import find_shared_dir, seed_listings
from training.stop_shingles import MIN_SELLERS

BATCH = 64


def pairs(n: int) -> int:
    return n * (n - 1) // 2


def metrics(world: list, clusters: dict[str, int]) -> dict:
    """Pairwise and B-cubed figures, and real listings merged with risky ones."""
    by_cluster: dict[int, list] = defaultdict(list)
    for item in world:
        by_cluster[clusters[item.raw["id"]]].append(item)
    predicted = correct = 0
    synthetic_correct = 0
    real_with_risky = 0
    for members in by_cluster.values():
        predicted += pairs(len(members))
        truth = Counter(m.truth for m in members)
        correct += sum(pairs(n) for n in truth.values())
        synthetic_correct += sum(pairs(n) for t, n in truth.items() if t.startswith("operator-"))
        if any(m.risky for m in members):
            real_with_risky += sum(1 for m in members if m.real)
    truth_sizes = Counter(item.truth for item in world if not item.real)
    true_pairs = sum(pairs(n) for n in truth_sizes.values())
    precision_b = recall_b = 0.0
    synthetic = [item for item in world if not item.real]
    cluster_truth = {c: Counter(m.truth for m in members) for c, members in by_cluster.items()}
    for item in synthetic:
        cluster = clusters[item.raw["id"]]
        same = cluster_truth[cluster][item.truth]
        precision_b += same / len(by_cluster[cluster])
        recall_b += same / truth_sizes[item.truth]
    precision_b /= len(synthetic)
    recall_b /= len(synthetic)
    return {
        "pairwise_precision": round(correct / predicted, 4) if predicted else 1.0,
        "pairwise_recall_operators": round(synthetic_correct / true_pairs, 4) if true_pairs else 1.0,
        "predicted_pairs": predicted,
        "true_operator_pairs": true_pairs,
        "bcubed_precision_operators": round(precision_b, 4),
        "bcubed_recall_operators": round(recall_b, 4),
        "bcubed_f1_operators": round(2 * precision_b * recall_b / (precision_b + recall_b), 4),
        "real_listings_in_a_case_with_a_risky_one": real_with_risky,
        "real_listings_linked_to_another_real_seller": sum(
            1
            for members in by_cluster.values()
            if len({m.truth for m in members if m.real}) > 1
            for m in members
            if m.real
        ),
    }


def run(world: list, stop: frozenset[str], *, threshold: float, max_sellers: int) -> dict:
    """Store and link the world in batches (as the service does), then measure."""
    near_duplicates.NEAR_DUPLICATE_THRESHOLD = threshold
    near_duplicates._lsh_shape.cache_clear()
    with tempfile.TemporaryDirectory() as folder:
        db = Database(get_settings(database_url=f"sqlite:///{folder}/world.db"))
        upgrade_database(db.engine)
        linker = CaseLinker(
            identifier_key=b"bench-key", max_sellers=max_sellers, labels=tuple(review_labels()), stop=stop
        )
        started, cpu = time.perf_counter(), time.process_time()
        for start in range(0, len(world), BATCH):
            chunk = world[start : start + BATCH]
            listings = [Listing.model_validate(item.raw) for item in chunk]
            items = [
                ScoredListing(raw=item.raw, listing=listing, score=Score(
                    listing_id=listing.id, model_version="truth", risk=0.95 if item.risky else 0.02,
                    probabilities={"prohibited": 0.95 if item.risky else 0.02},
                    flagged=["prohibited"] if item.risky else [], priority="high" if item.risky else "low"))
                for item, listing in zip(chunk, listings, strict=True)
            ]  # fmt: skip
            store_and_link(db, items, thresholds={"prohibited": 0.5}, linker=linker)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        with db.read() as session:
            rows = session.execute(
                select(ListingRow.external_id, ListingLinkRow.operator_id).join(
                    ListingLinkRow, ListingLinkRow.listing_id == ListingRow.id
                )
            ).all()
            common = session.scalar(select(IdentifierRow.seller_count).where(IdentifierRow.common.is_(True)).limit(1))
            n_common = len(
                list(session.scalars(select(IdentifierRow.value_hash).where(IdentifierRow.common.is_(True))))
            )
        db.dispose()
    result = metrics(world, dict(rows))
    result |= {"threshold": threshold, "common_identifiers": n_common, "common_identifier_sellers": common,
               "store_and_link_s": round(elapsed, 1), "store_and_link_cpu_s": round(cpu, 1)}  # fmt: skip
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="reports/bench_cases.json")
    parser.add_argument("--operators", type=int, default=220)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--thresholds", default=str(near_duplicates.NEAR_DUPLICATE_THRESHOLD))
    parser.add_argument("--max-sellers", type=int, default=get_settings().identifier_max_sellers)
    parser.add_argument("--strict", action="store_true", help="learn the stop-list without the world's real sellers")
    args = parser.parse_args()
    shared = find_shared_dir()
    if shared is None:
        print("bench-cases skipped: ../shared (the real listings the world mixes in) is not beside the project")
        return 0
    world, other_half = build_world(shared, operators=args.operators, seed=args.seed)
    seed_clean = [listing for listing, _raw in iter_listings(seed_listings()) if not listing.labels]
    world_real = [item.raw for item in world if item.real]
    # as a service learns it: from the clean corpus it has (here the real files, as the world holds them);
    # --strict learns from the other half of the real sellers only, none of whom is in the world
    corpus = other_half if args.strict else other_half + world_real
    learn = seed_clean + [Listing.model_validate(raw) for raw in corpus]
    stop = frozenset(learn_stop_shingles(learn, min_sellers=MIN_SELLERS))
    counts = Counter("real" if item.real else "operator" for item in world)
    source = "the other half of the real sellers only" if args.strict else "all the real listings (both files)"
    report = {
        "world": {"listings": len(world), "real_lawful": counts["real"], "operator_listings": counts["operator"],
                  "operators": args.operators, "seed": args.seed, "stop_shingles": len(stop),
                  "stop_list_learned_from": f"the seed's clean listings and {source}, min_sellers={MIN_SELLERS}"},
        "runs": [],
    }  # fmt: skip
    for threshold in [float(t) for t in args.thresholds.split(",")]:
        result = run(world, stop, threshold=threshold, max_sellers=args.max_sellers)
        report["runs"].append(result)
        print(json.dumps(result, ensure_ascii=False))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report["world"], ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

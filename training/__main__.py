"""Command line: ``python -m training train`` and ``python -m training eval``."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from model.cli import run_command
from model.predictor import Predictor
from training.config import config_from_dict, load_config
from training.coverage import coverage_report
from training.dataset import load_examples, load_false_alarm_listings
from training.evaluate import evaluate_predictor, evaluate_scorers, false_alarm_rate
from training.generalisation_report import report_generalisation
from training.report import nan_to_none, render_metrics_table, render_scorer_comparison, render_slices_table
from training.split import load_split
from training.train import train

# Listings written apart from the seed data, for evaluation only (never trained or tuned on): report key -> (file,
# description). The independent set's errors were looked at during development; the holdout set was written
# blind afterwards and is the honest measure of generalisation.
EVALUATION_SETS = {
    "independent": ("data/independent/listings.jsonl", "independent set, written apart from the seed data"),
    "holdout": ("data/holdout/listings.jsonl", "blind holdout set, written after development, never looked at"),
}


def run_train(args: argparse.Namespace) -> int:
    """Train a model and make it current."""
    config = load_config(args.config)
    result = train(config, promote=not args.no_promote)
    print(f"trained {result.version} in {result.card.training_seconds} s -> {result.model_dir}")
    print(render_metrics_table(result.card.metrics["test"]))
    return 0


def run_eval(args: argparse.Namespace) -> int:
    """Evaluate a trained model on its test split and on the real-listing false-alarm benchmark."""
    predictor = Predictor.load(args.model)
    if args.config:
        config = load_config(args.config)
    else:
        config = config_from_dict(predictor.card.config, source=f"model card of {predictor.version}")
    split = load_split(config)
    report: dict[str, Any] = {"model_version": predictor.version, "data_path": config.data_path}
    test_listings = [e.listing for e in split.test]
    report["served_scorer"] = predictor.served
    if len(predictor.available_scorers) > 1:
        report["scorers"] = evaluate_scorers(predictor, test_listings)
        print(f"model {predictor.version}: each scorer on the test split of {config.data_path}")
        print(render_scorer_comparison(report["scorers"], served=predictor.served))
        print()
    report["test"] = evaluate_predictor(predictor, test_listings, [e.extras for e in split.test])
    print(f"model {predictor.version} (serving {predictor.served}): test split of {config.data_path}")
    print(render_metrics_table(report["test"]))
    print()
    print(render_slices_table(report["test"]["slices"]))
    print()
    for key, (file, description) in EVALUATION_SETS.items():
        path = config.resolve(file)
        if not path.is_file():
            continue
        examples = load_examples(path, labels=config.labels)
        listings = [e.listing for e in examples]
        report[key] = evaluate_predictor(predictor, listings, [e.extras for e in examples])
        print(f"{description} ({len(listings)} listings, {file}):")
        print(render_metrics_table(report[key]))
        print()
        print(render_slices_table(report[key]["slices"]))
        print()
    report["price_coverage"] = coverage_report(predictor, test_listings, root=config.resolve("."))
    real, note = load_false_alarm_listings()
    report["false_alarm_note"] = note
    if real:
        report["false_alarms"] = false_alarm_rate(predictor, real)
        print(f"- real-listing false alarms: {report['false_alarms']['high_priority_rate']:.2%} priority high ({note})")
    else:
        print(f"- {note}")
    print()
    report["generalisation"] = report_generalisation(predictor, config, report, real)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(nan_to_none(report), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0


def run_retrain(args: argparse.Namespace) -> int:
    """Retrain on reviewed listings and promote the challenger only if it is better."""
    from training.promote import retrain

    record = retrain(
        load_config(args.config),
        Path(args.reviews),
        out_dir=Path(args.out),
        tolerance=args.tolerance,
        frozen_share=args.frozen_share,
        weighted=not args.unweighted,
        reload_url=args.reload_url or None,
        admin_key=os.environ.get("SOI_ADMIN_KEY"),
    )
    counts, weighting = record["counts"], record["weighting"]
    per_reviewer = "; ".join(
        f"{r['reviewer']}: {r['down_weighted']} down-weighted, {r['excluded']} excluded of {r['labels']}"
        for r in weighting["reviewers"]
        if r["down_weighted"] or r["excluded"]
    )
    print(
        f"{record['decision']}: {record['reason']}\n"
        f"challenger {record['challenger']} vs champion {record['champion']}; {counts['reviewed_listings']} reviewed "
        f"listings ({counts['frozen_reviewed']} frozen for evaluation), {counts['label_issues']} likely label "
        f"issues; reload: {record['reload'] or 'not requested'}\n"
        f"review weighting {'on' if weighting['weighted'] else 'off'}: {weighting['down_weighted']} labels "
        f"down-weighted, {weighting['excluded']} excluded{f' ({per_reviewer})' if per_reviewer else ''}\n"
        f"report: {record['report']}"
    )
    return 0


def run_drift(args: argparse.Namespace) -> int:
    """Compare recent listings and their scores with the current model's reference data."""
    from training.dataset import load_listings, load_real_negatives
    from training.drift import measure_drift

    predictor = Predictor.load(args.model)
    config = config_from_dict(predictor.card.config, source=f"model card of {predictor.version}")
    split = load_split(config)
    negatives, _, _ = load_real_negatives(
        config.real_negative_files, max_listings=config.real_negative_max, seed=config.seed
    )
    reference = [e.listing for e in split.valid + split.test + negatives]
    recent = load_listings(Path(args.recent)) if Path(args.recent).stat().st_size else []
    if args.max_recent:
        recent = recent[-args.max_recent :]
    if not recent:
        print(f"no recent listings in {args.recent}: nothing to compare yet")
        return 0
    report = measure_drift(predictor, reference, recent)
    print(f"drift of {len(recent)} recent listings against {len(reference)} reference listings ({predictor.version}):")
    print("| what | PSI | status |\n|---|---|---|")
    for group in ("scores", "features"):
        for name, entry in report[group].items():
            print(f"| {group[:-1]} {name} | {entry['psi']:.3f} | {entry['status']} |")
    print(report["verdict"]["text"])
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


def run_bench_features(args: argparse.Namespace) -> int:
    """Time normalisation and featurisation per listing on seed listings (and real ones when ../shared is there)."""
    from training.bench_feature_speed import benchmark_features

    predictor = Predictor.load(args.model)
    config = config_from_dict(predictor.card.config, source=f"model card of {predictor.version}")
    split = load_split(config)
    listings = [e.listing for e in split.train + split.valid + split.test][: args.n]
    real, note = load_false_alarm_listings()
    results = {"seed": benchmark_features(predictor.linear, listings)}
    if real:
        results["real"] = benchmark_features(predictor.linear, real[: args.n])
    for name, result in results.items():
        segmentation = result["word_segmentation_ms"]
        print(
            f"{name} ({result['listings']} listings): normalisation + all features {result['total_ms']:.3f} ms/listing "
            f"(first pass {result['total_first_pass_ms']:.3f} ms) = reading, lexicon, brands, signal and metadata "
            f"features {result['reading_and_signal_features_ms']:.3f} ms + TF-IDF and matrix "
            f"{result['tfidf_and_matrix_ms']:.3f} ms; word segmentation "
            + (f"{segmentation:.3f} ms" if segmentation is not None else "not used by this model")
        )
    if not real:
        print(f"- {note}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


def run_bench(args: argparse.Namespace) -> int:
    """Served path against the naive transformers pipeline, on the same listings -> reports/bench.json."""
    from training.bench_serving_speed import bench, render_bench

    report = bench(args.model, n=args.n)
    print(render_bench(report))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0


def run_bench_vispam(args: argparse.Namespace) -> int:
    """Train the same pipeline on ViSpamReviews and report test macro-F1 -> reports/vispam.json."""
    from training.vispam import run_vispam

    return run_vispam(config_path=args.config, out=Path(args.out))


def run_stop_shingles(args: argparse.Namespace) -> int:
    """Learn the near-duplicate stop-list from clean listings."""
    from training.stop_shingles import MIN_SELLERS, write_stop_shingles

    count = write_stop_shingles(Path(args.out), real=args.real, min_sellers=args.min_sellers or MIN_SELLERS)
    print(f"{count} stop shingles -> {args.out}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m training`` argument parser."""
    parser = argparse.ArgumentParser(prog="python -m training", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    p_train = commands.add_parser("train", help="train a model and make it current")
    p_train.add_argument("--config", default=None, help="TOML config (default: training/configs/default.toml)")
    p_train.add_argument("--no-promote", action="store_true", help="do not repoint models/current")
    p_train.set_defaults(func=run_train)
    p_eval = commands.add_parser("eval", help="evaluate a model on its test split and real listings")
    p_eval.add_argument("--model", default="models", help="model folder or models folder (default: models)")
    p_eval.add_argument("--config", default=None, help="config to rebuild the split (default: the model's own)")
    p_eval.add_argument("--out", default="reports/eval.json", help="where to write the metrics JSON")
    p_eval.set_defaults(func=run_eval)
    p_retrain = commands.add_parser("retrain", help="retrain on reviewed listings; promote only if better")
    p_retrain.add_argument("--reviews", required=True, help="reviewed listings JSONL (GET /v1/reviews/export)")
    p_retrain.add_argument("--config", default=None, help="training config TOML (default: configs/default.toml)")
    p_retrain.add_argument("--out", default="reports/retrain", help="folder for run reports")
    p_retrain.add_argument("--tolerance", type=float, default=0.01, help="largest AP drop allowed on any label")
    p_retrain.add_argument("--frozen-share", type=float, default=0.2, help="share of reviewed listings never trained")
    p_retrain.add_argument(
        "--unweighted", action="store_true", help="count every review fully, ignoring its reviewer's reliability"
    )
    p_retrain.add_argument("--reload-url", default="", help="POST here to reload a running service on promotion")
    p_retrain.set_defaults(func=run_retrain)

    p_drift = commands.add_parser("drift", help="population stability of recent listings and scores")
    p_drift.add_argument("--recent", required=True, help="recent listings JSONL (python -m serving recent)")
    p_drift.add_argument("--model", default="models", help="model folder or models folder (default: models)")
    p_drift.add_argument("--max-recent", type=int, default=0, help="use only the last N recent listings")
    p_drift.add_argument("--out", default="reports/drift.json")
    p_drift.set_defaults(func=run_drift)

    p_bench = commands.add_parser("bench-features", help="time normalisation and featurisation per listing")
    p_bench.add_argument("--model", default="models", help="model folder or models folder (default: models)")
    p_bench.add_argument("--n", type=int, default=2000, help="listings per data set (default: 2000)")
    p_bench.add_argument("--out", default="reports/bench_features.json")
    p_bench.set_defaults(func=run_bench_features)
    p_speed = commands.add_parser("bench", help="served path vs a naive transformers pipeline, batch 1 and 64")
    p_speed.add_argument("--model", default="models", help="model folder or models folder (default: models)")
    p_speed.add_argument("--n", type=int, default=2000, help="listings (default: 2000)")
    p_speed.add_argument("--out", default="reports/bench.json")
    p_speed.set_defaults(func=run_bench)
    p_vispam = commands.add_parser("bench-vispam", help="retrain the pipeline on ViSpamReviews, report test macro-F1")
    p_vispam.add_argument("--config", default=None, help="TOML config (default: training/configs/vispam.toml)")
    p_vispam.add_argument("--out", default="reports/vispam.json")
    p_vispam.set_defaults(func=run_bench_vispam)
    p_stop = commands.add_parser("stop-shingles", help="learn the near-duplicate stop-list from clean listings")
    p_stop.add_argument("--out", default="model/stop_shingles.json")
    p_stop.add_argument("--real", action="store_true", help="add ../shared's free real listings (then --out elsewhere)")
    p_stop.add_argument("--min-sellers", type=int, default=None, help="default: training.stop_shingles.MIN_SELLERS")
    p_stop.set_defaults(func=run_stop_shingles)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; domain errors print one clear line and exit 2."""
    logging.basicConfig(level=logging.INFO, format='{"level":"%(levelname)s","logger":"%(name)s","msg":"%(message)s"}')
    return run_command(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())

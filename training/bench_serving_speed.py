"""``make bench``: speed of the served path against a naive transformers pipeline, on the same 2,000 listings.

(a) Our served path: ``Predictor.score`` as serving calls it (reading, features, onnxruntime int8, reasons),
for the served scorer and for each scorer the artifact holds, at batch 1 and batch 64. It runs in a separate
process, as a server would, so its peak memory (``ru_maxrss``) is that of serving alone and we can check that
torch was never imported there.
(b) The naive peer: ``transformers.pipeline("text-classification")`` on the same fine-tuned PyTorch model,
reading the raw listing text, one listing at a time (and, for reference, 64 at a time).
(c) The plain floor: a scikit-learn TF-IDF + logistic-regression pipeline fitted on the seed listings, timed in the
served-path process on the same listings at batch 1 and 64; the report gives plain / served-linear throughput.

Timings depend on the machine and on whatever else runs on it: rerun on a quiet machine for figures to quote.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from model.artifact import resolve_model_dir
from model.limits import FEATURE_DESCRIPTION_CHARS
from model.predictor import Predictor
from model.schema import Listing
from model.text_views import build_listing_text, build_text_views
from training.dataset import find_shared_dir, load_listings, seed_listings

BENCH_LISTINGS = 2000
BENCH_FILE = "tiki_fashion.jsonl"
BATCH_SIZES = (1, 64)


def bench_listings(n: int = BENCH_LISTINGS) -> tuple[list[Listing], str]:
    """The first ``n`` real listings of ../shared's tiki_fashion.jsonl, else of the seed data (deterministic)."""
    shared = find_shared_dir()
    path = shared / "data" / "real-listings" / BENCH_FILE if shared else None
    if path is None or not path.is_file():
        path = seed_listings()
    listings = load_listings(path)[:n]
    return [listing.model_copy(update={"labels": []}) for listing in listings], f"first {len(listings)} of {path.name}"


def time_calls(
    call: Callable[[Sequence[Listing]], Any], listings: Sequence[Listing], batch_size: int
) -> dict[str, Any]:
    """Listings per second and p50/p95 latency of one call, scoring ``listings`` in batches of ``batch_size``."""
    call(listings[: min(len(listings), 64)])  # warm-up: lazy imports, caches, onnxruntime's first run
    latencies = []
    cpu_begun = time.process_time()
    for start in range(0, len(listings), batch_size):
        batch = listings[start : start + batch_size]
        begun = time.perf_counter()
        call(batch)
        latencies.append(time.perf_counter() - begun)
    cpu_s = time.process_time() - cpu_begun
    total = sum(latencies)
    return {
        "batch_size": batch_size,
        "listings": len(listings),
        "listings_per_s": len(listings) / total if total > 0 else float("inf"),
        "cpu_ms_per_listing": cpu_s * 1000 / max(len(listings), 1),
        "p50_ms": float(np.percentile(latencies, 50) * 1000),
        "p95_ms": float(np.percentile(latencies, 95) * 1000),
    }


def run_served_worker(model: str, n: int) -> dict[str, Any]:
    """Benchmark the served path in this process (started by ``bench`` as a separate, torch-free process)."""
    listings, source = bench_listings(n)
    served = Predictor.load(model)
    results: dict[str, Any] = {"source": source, "served_scorer": served.served, "paths": {}}
    for kind in dict.fromkeys([served.served, *served.available_scorers]):
        predictor = served if kind == served.served else Predictor.load(model, served=kind)
        results["paths"][kind] = {
            f"batch_{size}": time_calls(lambda batch, p=predictor: p.score(batch), listings, size)
            for size in BATCH_SIZES
        }
    plain = build_plain_pipeline()
    texts = {id(listing): plain_text(listing) for listing in listings}
    results["plain"] = {
        f"batch_{size}": time_calls(
            lambda batch: plain.predict_proba([texts[id(listing)] for listing in batch]), listings, size
        )
        for size in BATCH_SIZES
    }
    results["torch_imported"] = "torch" in sys.modules
    results["transformers_imported"] = "transformers" in sys.modules
    results["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return results


def plain_text(listing: Listing) -> str:
    """Title and description, as a plain text classifier reads a listing."""
    return f"{listing.title} {listing.description or ''}"


def build_plain_pipeline() -> Any:
    """The physical floor for this kind of model: scikit-learn TF-IDF + logistic regression (risky or not), fitted
    on the seed listings, reading title and description with no reading, features or reasons of ours."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    seed = load_listings(seed_listings())
    pipeline = make_pipeline(TfidfVectorizer(sublinear_tf=True, min_df=2), LogisticRegression(max_iter=1000))
    return pipeline.fit([plain_text(listing) for listing in seed], [bool(listing.labels) for listing in seed])


def build_peer(model_dir: Path) -> Any:
    """The naive peer: a transformers text-classification pipeline around the fine-tuned PyTorch model.

    The pipeline hands the model token ids only, so the metadata input gets the features of a listing with
    no metadata at all (every "missing" indicator on), standardised as in training.
    """
    import torch
    from transformers import AutoTokenizer, PretrainedConfig, PreTrainedModel, pipeline
    from transformers.modeling_outputs import SequenceClassifierOutput

    from model.artifact import TRANSFORMER_DIR
    from model.transformer import load_trained
    from model.transformer_input import dense_features
    from model.transformer_scorer import input_config_of

    network, saved = load_trained(model_dir)
    input_config = input_config_of(saved)
    empty = Listing(title="-")
    views = [build_text_views(empty, max_description_chars=1, max_segmented_chars=0)]
    missing = torch.from_numpy(dense_features([empty], views, input_config))

    labels = saved["labels"]
    config = PretrainedConfig(id2label=dict(enumerate(labels)), label2id={label: i for i, label in enumerate(labels)})

    class PeerModel(PreTrainedModel):
        """The fine-tuned network as a PreTrainedModel taking input_ids and attention_mask."""

        config_class = PretrainedConfig
        base_model_prefix = "network"

        def __init__(self) -> None:
            super().__init__(config)
            self.network = network
            self.register_buffer("missing", missing, persistent=False)

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None, **_: Any) -> Any:
            mask = torch.ones_like(input_ids) if attention_mask is None else attention_mask
            dense = self.missing.expand(input_ids.shape[0], -1)
            return SequenceClassifierOutput(logits=self.network(input_ids, mask, dense))

    peer = PeerModel().eval()
    tokenizer = AutoTokenizer.from_pretrained(str(Path(model_dir) / TRANSFORMER_DIR))
    tokenizer.model_max_length = input_config.max_length
    return pipeline(
        "text-classification", model=peer, tokenizer=tokenizer, device=-1, function_to_apply="sigmoid", top_k=None
    )


def run_peer(model_dir: Path, listings: Sequence[Listing]) -> dict[str, Any]:
    """Benchmark the naive peer in this process."""
    import torch

    torch.set_num_threads(min(os.cpu_count() or 1, 4))
    classify = build_peer(model_dir)
    texts = {
        id(listing): build_listing_text(listing, max_description_chars=FEATURE_DESCRIPTION_CHARS)
        for listing in listings
    }

    def one_at_a_time(batch: Sequence[Listing]) -> Any:
        return [classify(texts[id(listing)], truncation=True) for listing in batch]

    def batched(batch: Sequence[Listing]) -> Any:
        return classify([texts[id(listing)] for listing in batch], batch_size=64, truncation=True)

    return {
        "one_at_a_time": time_calls(one_at_a_time, listings, 1),
        "batch_64": time_calls(batched, listings, 64),
    }


def bench(model: str, *, n: int = BENCH_LISTINGS) -> dict[str, Any]:
    """Both benchmarks in one run; returns the report (also the ratio of served to peer throughput)."""
    model_dir = resolve_model_dir(Path(model))
    worker = subprocess.run(
        [sys.executable, "-m", "training.bench_serving_speed", "--worker", "--model", str(model_dir), "--n", str(n)],
        capture_output=True,
        text=True,
        check=False,
    )
    if worker.returncode != 0:
        raise RuntimeError(f"served-path benchmark failed:\n{worker.stderr[-4000:]}")
    served = json.loads(worker.stdout.strip().splitlines()[-1])
    report: dict[str, Any] = {
        "machine": {"cpu_count": os.cpu_count(), "load_average_1m": os.getloadavg()[0]},
        "served": served,
    }
    if "linear" in served["paths"]:
        linear, plain = served["paths"]["linear"], served["plain"]
        report["linear_vs_plain"] = {
            f"plain_over_served_linear_{size}": plain[size]["listings_per_s"] / linear[size]["listings_per_s"]
            for size in ("batch_64", "batch_1")
        }
    listings, _source = bench_listings(n)
    predictor = Predictor.load(model_dir)
    if "transformer" in predictor.available_scorers:
        peer = run_peer(model_dir, listings)
        report["peer"] = peer
        served_path = served["paths"][served["served_scorer"]]
        transformer_path = served["paths"]["transformer"]
        report["ratios"] = {
            "served_batch_64_over_peer_one_at_a_time": served_path["batch_64"]["listings_per_s"]
            / peer["one_at_a_time"]["listings_per_s"],
            "transformer_onnx_batch_64_over_peer_one_at_a_time": transformer_path["batch_64"]["listings_per_s"]
            / peer["one_at_a_time"]["listings_per_s"],
            "transformer_onnx_batch_1_over_peer_one_at_a_time": transformer_path["batch_1"]["listings_per_s"]
            / peer["one_at_a_time"]["listings_per_s"],
        }
    report["machine"]["load_average_1m_after"] = os.getloadavg()[0]
    return report


def render_bench(report: dict[str, Any]) -> str:
    """The benchmark as a Markdown table."""
    served = report["served"]
    lines = [
        f"{served['source']}; {report['machine']['cpu_count']} CPU cores; load average "
        f"{report['machine']['load_average_1m']:.1f} → {report['machine']['load_average_1m_after']:.1f}",
        "",
        "| path | batch | listings/s | p50 ms | p95 ms |",
        "|---|---|---|---|---|",
    ]
    rows: list[tuple[str, dict[str, Any]]] = []
    for kind, sizes in served["paths"].items():
        name = f"served: {kind}" + (" (default)" if kind == served["served_scorer"] else "")
        rows += [(name, result) for result in sizes.values()]
    rows += [("plain scikit-learn TF-IDF + logistic regression", r) for r in served.get("plain", {}).values()]
    rows += [(f"peer: transformers pipeline, {n.replace('_', ' ')}", r) for n, r in report.get("peer", {}).items()]
    lines += [
        f"| {name} | {result['batch_size']} | {result['listings_per_s']:.0f} | "
        f"{result['p50_ms']:.1f} | {result['p95_ms']:.1f} |"
        for name, result in rows
    ]
    lines.append("")
    for name, ratio in report.get("linear_vs_plain", {}).items():
        lines.append(f"- {name.replace('_', ' ')}: {ratio:.1f}× (aim: within 4×)")
    for name, ratio in report.get("ratios", {}).items():
        lines.append(f"- {name.replace('_', ' ')}: {ratio:.1f}×")
    lines.append(
        f"- serving process peak memory: {served['peak_rss_mib']:.0f} MiB; torch imported there: "
        f"{served['torch_imported']}; transformers imported: {served['transformers_imported']}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m training.bench_serving_speed --worker``: the served-path half, printed as one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m training.bench_serving_speed")
    parser.add_argument("--worker", action="store_true", help="run the served-path benchmark in this process")
    parser.add_argument("--model", default="models")
    parser.add_argument("--n", type=int, default=BENCH_LISTINGS)
    args = parser.parse_args(argv)
    if not args.worker:
        parser.error("use `python -m training bench` (this entry point is the served-path worker)")
    print(json.dumps(run_served_worker(args.model, args.n)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

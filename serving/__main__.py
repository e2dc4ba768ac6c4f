"""Command line: ``python -m serving run`` (the API) and ``python -m serving score`` (batch scoring of JSONL)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

from model.errors import SoiError
from model.jsonl import iter_listings
from model.predictor import Predictor
from serving.settings import get_settings

BATCH_SIZE = 256


def run_server(args: argparse.Namespace) -> int:
    """Serve the API with uvicorn on the configured host and port."""
    import uvicorn

    from serving.app import create_app

    overrides = {k: v for k, v in {"host": args.host, "port": args.port, "model_path": args.model}.items() if v}
    settings = get_settings(**overrides)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level=settings.log_level)
    return 0


def score_file(predictor: Predictor, in_path: Path, out_path: Path, *, batch_size: int = BATCH_SIZE) -> int:
    """Score every listing of ``in_path`` into ``out_path`` (one Score per line, same order); returns the count.

    The output appears only when every line was scored: a bad line stops the run with its line number and
    leaves no half-written file behind.
    """
    tmp = out_path.with_name(f".{out_path.name}.tmp-{os.getpid()}")
    count = 0
    try:
        with tmp.open("w", encoding="utf-8") as out:
            batch = []
            for listing, _raw in iter_listings(in_path):
                batch.append(listing)
                if len(batch) == batch_size:
                    out.writelines(score.model_dump_json() + "\n" for score in predictor.score(batch))
                    count += len(batch)
                    batch = []
            if batch:
                out.writelines(score.model_dump_json() + "\n" for score in predictor.score(batch))
                count += len(batch)
        os.replace(tmp, out_path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return count


def run_score(args: argparse.Namespace) -> int:
    """Batch-score a JSONL file of listings."""
    in_path, out_path = Path(args.input), Path(args.output)
    if not in_path.is_file():
        print(f"error: input file {in_path} not found", file=sys.stderr)
        return 2
    predictor = Predictor.load(args.model or get_settings().model_path)
    started = time.perf_counter()
    count = score_file(predictor, in_path, out_path, batch_size=args.batch_size)
    elapsed = time.perf_counter() - started
    rate = count / elapsed if elapsed > 0 else float("inf")
    print(
        f"scored {count} listings with {predictor.version} in {elapsed:.1f} s ({rate:.0f} listings/s) -> {out_path}",
        file=sys.stderr,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m serving`` argument parser."""
    parser = argparse.ArgumentParser(prog="python -m serving", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    p_run = commands.add_parser("run", help="serve the API (settings from SOI_* environment variables)")
    p_run.add_argument("--host", default=None)
    p_run.add_argument("--port", type=int, default=None)
    p_run.add_argument("--model", default=None, help="model folder or models folder (default: SOI_MODEL_PATH)")
    p_run.set_defaults(func=run_server)
    p_score = commands.add_parser("score", help="score a JSONL file of listings into a JSONL file of scores")
    p_score.add_argument("--in", dest="input", required=True, help="listings, one JSON object per line")
    p_score.add_argument("--out", dest="output", required=True, help="where to write one Score per line")
    p_score.add_argument("--model", default=None, help="model folder or models folder (default: SOI_MODEL_PATH)")
    p_score.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    p_score.set_defaults(func=run_score)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; domain errors print one clear line and exit 2."""
    logging.basicConfig(level=logging.INFO, format='{"level":"%(levelname)s","logger":"%(name)s","msg":"%(message)s"}')
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except SoiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

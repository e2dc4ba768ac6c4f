"""``python -m serving rescore``: the stored listings (default) or a crawl archive (``--archive``), on Ray Data.

    python -m serving rescore                                  # every stored listing, current model
    python -m serving rescore --archive 'crawl/**/*.jsonl.gz' --out scores/
    RAY_ADDRESS=ray://head:10001 python -m serving rescore     # on a cluster

Prints a progress bar while it runs and a summary at the end (scored, skipped, failed with reasons, speed,
each worker's CPU time and peak memory); ``--report file.json`` also writes the summary as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from serving.rescore.archive_job import ArchiveJob, rescore_archive
from serving.rescore.archive_job import local_engine as local_archive_engine
from serving.rescore.report import RescoreSummary
from serving.rescore.stored import local_engine as local_stored_engine
from serving.rescore.stored import make_job, rescore_stored
from serving.settings import get_settings

PAGE = 500  # listings per page: one read, one scoring batch, one write transaction
IDS_PER_RANGE = 20_000  # listing ids per read task
ARCHIVE_BATCH = 256  # listings per scoring batch in a shard (as `serving score`)


def add_parser(commands: Any) -> None:
    """Add ``rescore`` to the ``python -m serving`` subcommands."""
    parser = commands.add_parser(
        "rescore", help="rescore the stored listings (or an --archive of JSONL/Parquet files) with the current model"
    )
    parser.add_argument("--model", default=None, help="model folder or models folder (default: SOI_MODEL_PATH)")
    parser.add_argument("--archive", default=None, help="a folder, a glob or a file of JSONL(.gz)/Parquet listings")
    parser.add_argument("--out", default=None, help="with --archive: the folder for the Parquet score files")
    parser.add_argument("--engine", choices=("ray", "local"), default="ray", help="local: in this process, no Ray")
    parser.add_argument("--workers", type=int, default=None, help="scoring workers (default: every CPU, see README)")
    parser.add_argument("--page", type=int, default=PAGE, help="stored listings per read/score/write batch")
    parser.add_argument("--ids-per-range", type=int, default=IDS_PER_RANGE, help="listing ids per read task")
    parser.add_argument("--batch-size", type=int, default=ARCHIVE_BATCH, help="archive listings per scoring batch")
    parser.add_argument("--report", default=None, help="also write the summary as JSON here")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=run_rescore)


def _rescore(args: argparse.Namespace, engine_module: Any, engine_name: str, workers: int) -> RescoreSummary:
    settings = get_settings()
    model = args.model or settings.model_path
    if args.archive:
        job = ArchiveJob.for_model(model, batch_size=args.batch_size, settings=settings)
        engine = engine_module.ray_archive_engine(workers) if engine_module else local_archive_engine
        return rescore_archive(
            args.archive,
            Path(args.out),
            job,
            engine,
            engine_name=engine_name,
            workers=workers,
            show_progress=not args.quiet,
        )
    stored_job = make_job(settings, model, page=args.page)
    stored_engine = engine_module.ray_stored_engine(workers) if engine_module else local_stored_engine
    return rescore_stored(
        stored_job,
        stored_engine,
        engine_name=engine_name,
        workers=workers,
        ids_per_range=args.ids_per_range,
        show_progress=not args.quiet,
    )


def run_rescore(args: argparse.Namespace) -> int:
    """Run the rescore the arguments ask for and print its summary (failures are reported, not fatal)."""
    if bool(args.archive) != bool(args.out):
        print("error: --archive and --out go together (the archive to read, the folder to write)", file=sys.stderr)
        return 2
    if args.engine == "local":
        summary = _rescore(args, None, "this process (no engine)", 1)
    else:
        try:
            from serving.rescore import engine as ray_engine
        except ImportError as exc:
            print(f"error: the Ray engine needs the scale extra (pip install -e '.[scale]'): {exc}", file=sys.stderr)
            return 2
        description, workers = ray_engine.start(args.workers)
        try:
            summary = _rescore(args, ray_engine, description, workers)
        finally:
            ray_engine.stop()
    for line in summary.lines():
        print(line, file=sys.stderr)
    if args.report:
        report = Path(args.report)
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(json.dumps(summary.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0

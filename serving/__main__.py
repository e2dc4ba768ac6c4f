"""Command line: ``python -m serving run`` (the API), ``migrate``, ``key`` (a new API key), ``export`` (reviewed
listings as training JSONL), ``recent`` (listings seen lately, for drift), ``score`` (batch scoring of JSONL,
no storage) and ``rescore`` (the stored listings or a crawl archive, with the current model, on Ray Data)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import partial
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from model.cli import run_command
from model.jsonl import iter_listings
from model.limits import MODEL_DESCRIPTION_CHARS
from model.predictor import Predictor
from model.schema import bound_description
from serving.case_cli import add_case_commands
from serving.logs import configure_logging
from serving.reloads import load_predictor
from serving.rescore.cli import add_parser as add_rescore_parser
from serving.roles import ROLES
from serving.settings import get_settings
from serving.storage.api_keys import create_api_key
from serving.storage.db import Database
from serving.storage.export import iter_recent_snapshots, iter_reviewed
from serving.storage.migrate import upgrade_database
from serving.storage.models import utc_now
from serving.team import load_trust

BATCH_SIZE = 256


def redact_url(url: str) -> str:
    """A database URL without its password, for printing."""
    return make_url(url).render_as_string(hide_password=True)


def run_server(args: argparse.Namespace) -> int:
    """Migrate the database once, then serve the API with uvicorn (``--workers N`` processes)."""
    import uvicorn

    from serving.http import HeaderTimeoutProtocol

    overrides = {"host": args.host, "port": args.port, "model_path": args.model, "workers": args.workers}
    for name, value in overrides.items():
        if value:
            # the worker processes build their settings from the environment
            os.environ[f"SOI_{name.upper()}"] = str(value)
    settings = get_settings()
    configure_logging(settings.log_level)
    database = Database(settings)
    upgrade_database(database.engine)
    database.dispose()
    if settings.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # each worker writes its metrics here and /metrics adds them up; a fresh folder per run
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="soi-metrics-")
    uvicorn.run(
        "serving.app:app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        # h11 with a deadline on each request's head (slowloris), and a cap on its size
        http=partial(HeaderTimeoutProtocol, header_timeout_s=settings.header_timeout_s),
        h11_max_incomplete_event_size=settings.max_header_bytes,
        timeout_keep_alive=settings.keep_alive_s,
        log_config=None,
        access_log=False,
        log_level=settings.log_level,
        loop="auto",  # uvloop (a dependency) where it is installed, else asyncio's
    )
    return 0


def run_migrate(_args: argparse.Namespace) -> int:
    """Apply the database migrations (``make migrate``)."""
    settings = get_settings()
    database = Database(settings)
    upgrade_database(database.engine)
    database.dispose()
    print(f"database at head: {redact_url(settings.database_url)}")
    return 0


def run_key(args: argparse.Namespace) -> int:
    """Create an API key; the key alone is the last line printed (shown once, stored hashed)."""
    settings = get_settings()
    database = Database(settings)
    upgrade_database(database.engine)
    name = args.name or f"{args.role}-{time.strftime('%Y%m%d%H%M%S')}"
    with database.write() as session:
        row, key = create_api_key(session, role=args.role, name=name, now=utc_now())
        key_id = row.id
    database.dispose()
    print(f"created {args.role} key #{key_id} '{name}' in {redact_url(settings.database_url)}")
    print("it is shown only now (the database keeps a hash); send it as 'Authorization: Bearer <key>':")
    print(key)
    return 0


def _export_jsonl(out: str, lines: Callable[[Session], Iterator[dict]], what: str) -> int:
    """Write what ``lines`` reads from the database as JSONL to ``out``; say how many."""
    database = Database(get_settings())
    upgrade_database(database.engine)  # a database nothing was stored in yet exports nothing, not a traceback
    out_path = Path(out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with database.read() as session, out_path.open("w", encoding="utf-8") as handle:
        for line in lines(session):
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
            count += 1
    database.dispose()
    print(f"exported {count} {what} -> {out_path}", file=sys.stderr)
    return 0


def run_export(args: argparse.Namespace) -> int:
    """Write the reviewed listings as training JSONL (what GET /v1/reviews/export serves)."""
    settings = get_settings()
    return _export_jsonl(
        args.output,
        lambda session: iter_reviewed(session, trust=load_trust(session, settings)),
        "reviewed listings",
    )


def run_recent(args: argparse.Namespace) -> int:
    """Write the listing versions seen in the last ``--days`` days as listings JSONL (input of ``make drift``)."""
    since = utc_now() - timedelta(days=args.days)
    return _export_jsonl(
        args.output,
        lambda session: iter_recent_snapshots(session, since=since),
        f"listing versions seen in the last {args.days:g} days",
    )


def score_file(
    predictor: Predictor,
    in_path: Path,
    out_path: Path,
    *,
    batch_size: int = BATCH_SIZE,
    max_description_chars: int = MODEL_DESCRIPTION_CHARS,
) -> int:
    """Score every listing of ``in_path`` into ``out_path`` (one Score per line, same order); returns the count.

    Each listing is read as the API reads it (``bound_description``: at most ``max_description_chars`` of its
    description). The output appears only when every line was scored: a bad line stops the run with its line
    number and leaves no half-written file behind.
    """
    tmp = out_path.with_name(f".{out_path.name}.tmp-{os.getpid()}")
    count = 0
    try:
        with tmp.open("w", encoding="utf-8") as out:
            batch = []
            for listing, _raw in iter_listings(in_path):
                batch.append(bound_description(listing, max_description_chars))
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
    settings = get_settings()
    predictor = load_predictor(args.model or settings.model_path, max_read_ms=settings.max_read_ms)
    started = time.perf_counter()
    count = score_file(
        predictor,
        in_path,
        out_path,
        batch_size=args.batch_size,
        max_description_chars=settings.model_description_chars,
    )
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
    p_run.add_argument("--workers", type=int, default=None, help="uvicorn worker processes (default: SOI_WORKERS)")
    p_run.set_defaults(func=run_server)
    p_migrate = commands.add_parser("migrate", help="apply database migrations (SOI_DATABASE_URL / DATABASE_URL)")
    p_migrate.set_defaults(func=run_migrate)
    p_key = commands.add_parser("key", help="create an API key; prints it alone on the last line")
    p_key.add_argument("--role", required=True, choices=ROLES)
    p_key.add_argument("--name", default=None, help="who uses the key (default: role and time)")
    p_key.set_defaults(func=run_key)
    p_export = commands.add_parser("export", help="reviewed listings as training JSONL")
    p_export.add_argument("--out", dest="output", required=True)
    p_export.set_defaults(func=run_export)
    p_recent = commands.add_parser("recent", help="listing versions seen lately, as listings JSONL (for drift)")
    p_recent.add_argument("--out", dest="output", required=True)
    p_recent.add_argument("--days", type=float, default=7.0, help="how far back (default: 7 days)")
    p_recent.set_defaults(func=run_recent)
    p_score = commands.add_parser("score", help="score a JSONL file of listings into a JSONL file of scores")
    p_score.add_argument("--in", dest="input", required=True, help="listings, one JSON object per line")
    p_score.add_argument("--out", dest="output", required=True, help="where to write one Score per line")
    p_score.add_argument("--model", default=None, help="model folder or models folder (default: SOI_MODEL_PATH)")
    p_score.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    p_score.set_defaults(func=run_score)
    add_rescore_parser(commands)
    add_case_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; domain errors print one clear line and exit 2."""
    configure_logging("info")
    return run_command(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())

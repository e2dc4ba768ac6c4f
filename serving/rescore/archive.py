"""Rescoring a crawl archive: JSONL (plain or gzipped) or Parquet shards, each into one Parquet file of scores.

A shard is read as a stream and scored in batches with the model a worker loaded once; its scores go to a
temporary file renamed into place at the end, so an output file exists only when its shard was scored whole.
An output that names the current model version in its metadata is done, and a re-run skips it. A bad line
(not JSON, not an object, not a valid listing) is reported with its file and line number and the rest of the
shard is scored; an unreadable shard is reported and left without output, so the next run tries it again.
Needs only ``model/`` and pyarrow; an engine (``serving.rescore.engine``) spreads the shards over workers.
"""

from __future__ import annotations

import glob
import gzip
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import TypeAdapter

from model.errors import DataError
from model.jsonl import parse_listing
from model.schema import Listing, Reason, Score, bound_description
from serving.reloads import load_predictor
from serving.rescore.report import MAX_REPORTED_FAILURES, Failure, WorkerResult, WorkerStats

ARCHIVE_SUFFIXES = (".jsonl", ".jsonl.gz", ".parquet")
OUTPUT_SUFFIX = ".scores.parquet"
VERSION_KEY = "soi.model_version"
ROWS_PER_GROUP = 8192  # Parquet row group size: large enough to compress well, small enough to stream
REASONS_JSON = TypeAdapter(list[Reason])  # reasons as the API's Score JSON writes them


@dataclass(frozen=True)
class Shard:
    """One input file and the score file it becomes."""

    source: str
    output: str


@dataclass(frozen=True)
class ShardResult(WorkerResult):
    """A shard's outcome: listings scored, bad lines (counted; the first ones with reasons), its worker."""

    source: str
    scored: int
    failed: int
    failures: list[Failure]
    worker: WorkerStats


def _archive_stem(path: Path) -> str | None:
    """The file name without its archive suffix, or None if it is not an archive shard."""
    for suffix in ARCHIVE_SUFFIXES:
        if path.name.endswith(suffix) and not path.name.startswith("."):
            return path.name[: -len(suffix)]
    return None


def find_shards(source: str, out_dir: Path) -> list[Shard]:
    """The shards of a folder (every archive file below it), a glob (``crawl/**/*.jsonl.gz``) or one file.

    Each output keeps the shard's path relative to the archive's root, under ``out_dir``.
    """
    root = Path(source)
    if root.is_dir():
        files = sorted(path for path in root.rglob("*") if path.is_file() and _archive_stem(path))
    else:
        files = sorted(Path(name) for name in glob.glob(source, recursive=True))
        files = [path for path in files if path.is_file() and _archive_stem(path)]
        root = Path(os.path.commonpath([str(path.parent) for path in files])) if files else root
    if not files:
        raise DataError(
            f"no archive shards at {source}: expected a folder, a glob or files ending in {', '.join(ARCHIVE_SUFFIXES)}"
        )
    shards, outputs = [], set()
    for path in files:
        output = out_dir / path.parent.relative_to(root) / f"{_archive_stem(path)}{OUTPUT_SUFFIX}"
        if output in outputs:
            raise DataError(f"{path}: expected one shard per name, found another shard also becoming {output}")
        outputs.add(output)
        shards.append(Shard(str(path), str(output)))
    return shards


def is_done(shard: Shard, model_version: str) -> bool:
    """Whether the shard's output exists and was written by this model version."""
    try:
        metadata = pq.read_schema(shard.output).metadata or {}
    except (OSError, pa.ArrowInvalid):
        return False
    return metadata.get(VERSION_KEY.encode()) == model_version.encode()


def scored_rows(shard: Shard) -> int:
    """How many scores a finished output holds (a skipped shard's share of the summary)."""
    return pq.ParquetFile(shard.output).metadata.num_rows


@dataclass(frozen=True)
class Record:
    """One line (JSONL) or row (Parquet) of a shard, numbered from 1: the decoded value, or why it could not be."""

    number: int
    raw: Any = None
    error: str | None = None


def _open_jsonl(path: Path) -> IO[bytes]:
    return gzip.open(path, "rb") if path.name.endswith(".gz") else path.open("rb")


def iter_records(path: Path, *, batch_rows: int = 1024) -> Iterator[Record]:
    """Each non-blank line or row of a shard, streamed; bytes are decoded per line, so bad UTF-8 spoils one line."""
    if path.name.endswith(".parquet"):
        number = 0
        for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_rows):
            for raw in batch.to_pylist():
                number += 1
                yield Record(number, raw)
        return
    with _open_jsonl(path) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield Record(number, json.loads(line))
            except ValueError as exc:  # invalid JSON or invalid UTF-8
                yield Record(number, error=f"expected a JSON object, found invalid JSON ({exc})")


def score_schema(labels: tuple[str, ...], model_version: str) -> pa.Schema:
    """The score files' columns: the Score contract plus the line it came from; the model version in metadata."""
    return pa.schema(
        [
            ("source_line", pa.int64()),
            ("listing_id", pa.string()),
            ("model_version", pa.string()),
            ("risk", pa.float64()),
            ("priority", pa.string()),
            ("flagged", pa.list_(pa.string())),
            ("probabilities", pa.struct([(label, pa.float64()) for label in labels])),
            ("reasons", pa.string()),  # a JSON array, as in the API's Score
        ],
        metadata={VERSION_KEY: model_version},
    )


def _score_rows(numbers: list[int], scores: list[Score]) -> list[dict[str, Any]]:
    return [
        {
            "source_line": number,
            "listing_id": score.listing_id,
            "model_version": score.model_version,
            "risk": score.risk,
            "priority": score.priority,
            "flagged": score.flagged,
            "probabilities": score.probabilities,
            "reasons": REASONS_JSON.dump_json(score.reasons).decode(),
        }
        for number, score in zip(numbers, scores, strict=True)
    ]


class ShardScorer:
    """One worker: the model loaded once, scoring whole shards into their Parquet files."""

    def __init__(self, *, model_dir: str, batch_size: int, max_description_chars: int, max_read_ms: float) -> None:
        self.predictor = load_predictor(model_dir, max_read_ms=max_read_ms, threads=1)  # an actor holds one CPU
        self.batch_size = batch_size
        self.max_description_chars = max_description_chars
        self.listings = 0

    def score_shard(self, shard: Shard) -> ShardResult:
        """Score one shard into its output, written atomically; bad lines are counted and the rest scored."""
        source, output = Path(shard.source), Path(shard.output)
        output.parent.mkdir(parents=True, exist_ok=True)
        for stale in output.parent.glob(f".{output.name}.tmp-*"):  # left by a crashed run
            stale.unlink(missing_ok=True)
        tmp = output.with_name(f".{output.name}.tmp-{os.getpid()}")
        schema = score_schema(self.predictor.labels, self.predictor.version)
        failures: list[Failure] = []
        failed = scored = 0
        try:
            with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
                rows: list[dict[str, Any]] = []
                batch: list[tuple[int, Listing]] = []
                for record in iter_records(source):
                    listing, error = self._parse(source, record)
                    if error is not None:
                        failed += 1
                        if len(failures) < MAX_REPORTED_FAILURES:
                            failures.append(Failure(f"{source}:{record.number}", error))
                    else:
                        batch.append((record.number, listing))
                    if len(batch) == self.batch_size:
                        rows += self._score(batch)
                        batch = []
                    if len(rows) >= ROWS_PER_GROUP:
                        writer.write_table(pa.Table.from_pylist(rows, schema=schema))
                        scored += len(rows)
                        rows = []
                rows += self._score(batch)
                writer.write_table(pa.Table.from_pylist(rows, schema=schema))
                scored += len(rows)
            os.replace(tmp, output)
        finally:
            tmp.unlink(missing_ok=True)
        self.listings += scored + failed
        return ShardResult(str(source), scored, failed, failures, WorkerStats.measure(self.listings))

    def _parse(self, source: Path, record: Record) -> tuple[Listing | None, str | None]:
        if record.error is not None:
            return None, record.error
        where = f"{source}:{record.number}"
        try:
            return parse_listing(record.raw, where=where), None
        except DataError as exc:
            return None, str(exc).removeprefix(f"{where}: ")

    def _score(self, batch: list[tuple[int, Listing]]) -> list[dict[str, Any]]:
        if not batch:
            return []
        listings = [bound_description(listing, self.max_description_chars) for _, listing in batch]
        return _score_rows([number for number, _ in batch], self.predictor.score(listings))

    def score_shard_or_report(self, shard: Shard) -> ShardResult:
        """``score_shard``, with an unreadable shard (corrupt gzip or Parquet, I/O error) reported, not raised."""
        try:
            return self.score_shard(shard)
        except (OSError, EOFError, pa.ArrowException) as exc:
            failure = Failure(shard.source, f"could not read the shard, nothing written ({type(exc).__name__}: {exc})")
            return ShardResult(shard.source, 0, 1, [failure], WorkerStats.measure(self.listings))

"""The archive run: the job a worker needs, the in-process engine, and the run that skips finished shards.

``rescore_archive`` finds the shards, skips those already scored by this model version, hands the rest to an
engine (``local_engine`` here; ``serving.rescore.engine.ray_archive_engine`` on Ray Data) and returns the
summary. Imports no engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from model.artifact import load_card, resolve_model_dir
from serving.rescore.archive import Shard, ShardResult, ShardScorer, find_shards, is_done, scored_rows
from serving.rescore.report import RescoreSummary, progress_bar
from serving.settings import Settings


@dataclass(frozen=True)
class ArchiveJob:
    """Everything a worker needs, as plain values an engine can ship to another machine."""

    model_dir: str  # the concrete artifact folder, resolved once, so every worker loads the same model
    model_version: str
    batch_size: int
    max_description_chars: int  # what the model reads of a description (SOI_MODEL_DESCRIPTION_CHARS)
    max_read_ms: float  # the reading budget per listing (SOI_MAX_READ_MS), as the API applies it

    @classmethod
    def for_model(cls, model_path: str | Path, *, batch_size: int, settings: Settings) -> ArchiveJob:
        """The job for the model at ``model_path`` (a models folder's ``current`` link is resolved now), reading
        listings within the same limits as the API's (``settings``), so an archive scores as the API would."""
        model_dir = resolve_model_dir(Path(model_path))
        version = load_card(model_dir).version
        return cls(str(model_dir), version, batch_size, settings.model_description_chars, settings.max_read_ms)

    def scorer(self) -> ShardScorer:
        """A worker for this job."""
        return ShardScorer(
            model_dir=self.model_dir,
            batch_size=self.batch_size,
            max_description_chars=self.max_description_chars,
            max_read_ms=self.max_read_ms,
        )


# An engine takes the job and the shards to score, and yields one result per shard as shards complete.
ArchiveEngine = Callable[[ArchiveJob, list[Shard]], Iterator[ShardResult]]


def local_engine(job: ArchiveJob, shards: list[Shard]) -> Iterator[ShardResult]:
    """The engine without an engine: one worker in this process (tests, small archives, no Ray installed)."""
    scorer = job.scorer()
    for shard in shards:
        yield scorer.score_shard_or_report(shard)


def rescore_archive(
    source: str,
    out_dir: Path,
    job: ArchiveJob,
    engine: ArchiveEngine,
    *,
    engine_name: str,
    workers: int,
    show_progress: bool = True,
) -> RescoreSummary:
    """Score every shard of the archive at ``source`` not yet scored by the job's model into ``out_dir``."""
    shards = find_shards(source, out_dir)
    todo = [shard for shard in shards if not is_done(shard, job.model_version)]
    skipped = sum(scored_rows(shard) for shard in shards if shard not in todo)
    summary = RescoreSummary(source, job.model_version, engine_name, workers, skipped=skipped)
    bar = progress_bar(len(todo), unit="shards", enabled=show_progress)
    for result in engine(job, todo):
        summary.scored += result.scored
        summary.add_failures(result.failures, count=result.failed)
        summary.add_worker(result.worker)
        bar.update(1)
        bar.set_postfix_str(f"{summary.scored / max(bar.format_dict['elapsed'], 1e-9):.0f} listings/s")
    bar.close()
    return summary.finish()

"""Ray Data as the rescoring engine: local mode on this machine, or the cluster named by ``RAY_ADDRESS``.

Each worker is an actor of a ``map_batches`` actor pool: it loads the model once, in its constructor, and
keeps it for every batch. Stored listings stream from the database through a Ray ``Datasource`` (one read
task per id range, keyset pages inside it) into actors that score each page and write it back in one small
transaction; archives go one shard per call to actors that score it into its Parquet file. Only small result
records come back to the driver, so it neither holds the listings nor becomes the writer everyone waits on.
Needs the ``scale`` extra (``pip install -e .[scale]``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import asdict
from functools import partial

import pyarrow as pa
import ray
from ray.data import ActorPoolStrategy, DataContext, Datasource, ReadTask
from ray.data.block import BlockMetadata

from serving.rescore.archive import Shard, ShardResult
from serving.rescore.archive_job import ArchiveEngine, ArchiveJob
from serving.rescore.stored import BatchResult, StoredEngine, StoredJob
from serving.settings import get_settings
from serving.storage.db import Database
from serving.storage.rescoring import IdRange, PendingSnapshot, iter_pending

# Local mode: Ray's own default takes 30% of RAM for its object store; the blocks here are pages of listings
# and small result records, so a fixed half gigabyte is plenty and leaves the machine's memory to the workers.
LOCAL_OBJECT_STORE_BYTES = 512 * 1024 * 1024
# Read tasks wait on the database more than they compute: four share one CPU slot.
READ_TASK_CPUS = 0.25


def start(workers: int | None) -> tuple[str, int]:
    """Join the cluster at ``RAY_ADDRESS``, or start Ray on this machine; returns (description, workers).

    Workers default to every CPU but one (cluster) or every CPU (local mode, where one more logical CPU is
    declared for the read tasks and the driver, which mostly wait).
    """
    address = os.environ.get("RAY_ADDRESS")
    if address:
        ray.init(address=address, logging_level=logging.WARNING, configure_logging=False)
        workers = workers or max(1, int(ray.cluster_resources().get("CPU", 2)) - 1)
        description = f"Ray cluster at {address}, {workers} workers"
    else:
        workers = workers or max(1, os.cpu_count() or 1)
        ray.init(
            num_cpus=workers + 1,
            include_dashboard=False,
            object_store_memory=LOCAL_OBJECT_STORE_BYTES,
            logging_level=logging.WARNING,
            configure_logging=False,
        )
        description = f"Ray local mode, {workers} workers"
    context = DataContext.get_current()
    context.enable_progress_bars = False  # the driver shows one bar in listings/s
    context.enable_auto_log_stats = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    return description, workers


def stop() -> None:
    """Shut Ray down (local mode: its processes end with it)."""
    ray.shutdown()


# ---------------------------------------------------------------- stored listings


def _read_range(job: StoredJob, id_range: IdRange) -> Iterator[pa.Table]:
    db = Database(get_settings(database_url=job.database_url))
    try:
        for page in iter_pending(db, id_range, job.model_version, page=job.page):
            yield pa.table(
                {
                    "listing_id": [item.listing_id for item in page],
                    "snapshot_id": [item.snapshot_id for item in page],
                    "raw_json": [item.raw_json for item in page],
                }
            )
    finally:
        db.dispose()


class PendingListings(Datasource):
    """The pending listings as a Ray dataset: one read task per id range, streaming keyset pages."""

    def __init__(self, job: StoredJob, ranges: list[IdRange]) -> None:
        self.job = job
        self.ranges = ranges

    def estimate_inmemory_data_size(self) -> int | None:
        """Unknown until read (most of a range may already be done)."""
        return None

    def get_read_tasks(
        self, parallelism: int, per_task_row_limit: int | None = None, data_context: DataContext | None = None
    ) -> list[ReadTask]:
        """One task per planned id range, whatever ``parallelism`` Ray suggests (the ranges were sized for it)."""
        metadata = BlockMetadata(num_rows=None, size_bytes=None, exec_stats=None, input_files=None)
        return [ReadTask(partial(_read_range, self.job, id_range), metadata) for id_range in self.ranges]


class StoredActor:
    """A worker: the model loaded once (constructor); each call scores a page and writes it back."""

    def __init__(self, job: StoredJob) -> None:
        self.rescorer = job.rescorer()

    def __call__(self, batch: pa.Table) -> pa.Table:
        """One page in, one result record out."""
        pending = [
            PendingSnapshot(listing_id, snapshot_id, raw_json)
            for listing_id, snapshot_id, raw_json in zip(
                batch["listing_id"].to_pylist(),
                batch["snapshot_id"].to_pylist(),
                batch["raw_json"].to_pylist(),
                strict=True,
            )
        ]
        return pa.table({"result": [self.rescorer.rescore(pending).to_json()]})


def ray_stored_engine(workers: int) -> StoredEngine:
    """The stored-listings engine on Ray Data with ``workers`` actors."""

    def run(job: StoredJob, ranges: list[IdRange]) -> Iterator[BatchResult]:
        if not ranges:
            return
        dataset = ray.data.read_datasource(PendingListings(job, ranges), num_cpus=READ_TASK_CPUS).map_batches(
            StoredActor,
            fn_constructor_kwargs={"job": job},
            batch_size=job.page,
            batch_format="pyarrow",
            compute=ActorPoolStrategy(size=workers),
            num_cpus=1,
        )
        for row in dataset.iter_rows():
            yield BatchResult.from_json(row["result"])

    return run


# ---------------------------------------------------------------- archives


class ShardActor:
    """A worker: the model loaded once (constructor); each call scores one shard into its Parquet file."""

    def __init__(self, job: ArchiveJob) -> None:
        self.scorer = job.scorer()

    def __call__(self, batch: pa.Table) -> pa.Table:
        """Shards in, one result record per shard out."""
        results = [
            self.scorer.score_shard_or_report(Shard(source, output)).to_json()
            for source, output in zip(batch["source"].to_pylist(), batch["output"].to_pylist(), strict=True)
        ]
        return pa.table({"result": results})


def ray_archive_engine(workers: int) -> ArchiveEngine:
    """The archive engine on Ray Data with ``workers`` actors, one shard at a time each."""

    def run(job: ArchiveJob, shards: list[Shard]) -> Iterator[ShardResult]:
        if not shards:
            return
        dataset = ray.data.from_items([asdict(shard) for shard in shards], override_num_blocks=len(shards))
        dataset = dataset.map_batches(
            ShardActor,
            fn_constructor_kwargs={"job": job},
            batch_size=1,
            batch_format="pyarrow",
            # a shard is a long call: queueing several on one actor would leave others idle at the end
            compute=ActorPoolStrategy(size=min(workers, len(shards)), max_tasks_in_flight_per_actor=1),
            num_cpus=1,
        )
        for row in dataset.iter_rows():
            yield ShardResult.from_json(row["result"])

    return run

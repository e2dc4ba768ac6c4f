"""Rescoring a crawl archive (in-process engine): one Parquet file per shard, bad lines reported, re-runs skip."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from model.errors import DataError
from model.predictor import Predictor
from model.schema import Listing, bound_description
from serving.rescore.archive import OUTPUT_SUFFIX, Shard, find_shards
from serving.rescore.archive_job import ArchiveJob, local_engine, rescore_archive
from serving.rescore.report import RescoreSummary
from serving.settings import get_settings
from training.train import TrainResult


def _write_archive(root: Path, raws: list[dict]) -> None:
    """Three shards of the listings: plain JSONL with bad lines, gzipped JSONL in a sub-folder, Parquet."""
    lines = [json.dumps(raw, ensure_ascii=False) for raw in raws]
    (root / "sub").mkdir(parents=True)
    bad = ["{not json", '{"id": "no-title", "platform": "shopee"}', "", "[1, 2]"]
    (root / "a.jsonl").write_text("\n".join(lines[:3] + bad + lines[3:8]) + "\n", encoding="utf-8")
    with gzip.open(root / "sub" / "b.jsonl.gz", "wt", encoding="utf-8") as handle:
        handle.write("\n".join(lines[8:16]) + "\n")
    pq.write_table(pa.Table.from_pylist(raws[16:]), root / "sub" / "c.parquet")
    (root / "notes.txt").write_text("not a shard", encoding="utf-8")


def _rescore(source: Path | str, out: Path, model: TrainResult) -> RescoreSummary:
    job = ArchiveJob.for_model(model.model_dir, batch_size=3, settings=get_settings())
    return rescore_archive(str(source), out, job, local_engine, engine_name="test", workers=1, show_progress=False)


def test_each_shard_becomes_a_parquet_file_of_the_apis_scores(
    tmp_path: Path, trained: TrainResult, first_predictor: Predictor, listing_raws: list[dict]
) -> None:
    raws = listing_raws
    _write_archive(tmp_path / "crawl", raws)
    summary = _rescore(tmp_path / "crawl", tmp_path / "scores", trained)

    assert (summary.scored, summary.skipped, summary.failed) == (len(raws), 0, 3)
    a = tmp_path / "crawl" / "a.jsonl"
    assert [str(f) for f in summary.failures] == [
        f"{a}:4: expected a JSON object, found invalid JSON (Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1))",
        f"{a}:5: title: Field required",
        f"{a}:7: expected a JSON object, found list",
    ]
    outputs = sorted(p.relative_to(tmp_path / "scores").as_posix() for p in (tmp_path / "scores").rglob("*"))
    assert outputs == ["a.scores.parquet", "sub", "sub/b.scores.parquet", "sub/c.scores.parquet"]
    table = pq.read_table(tmp_path / "scores" / "a.scores.parquet")
    assert table.column("source_line").to_pylist() == [1, 2, 3, 8, 9, 10, 11, 12]
    expected = first_predictor.score([bound_description(Listing.model_validate(raw), 5_000) for raw in raws[:8]])
    assert table.column("listing_id").to_pylist() == [score.listing_id for score in expected]
    assert table.column("risk").to_pylist() == [score.risk for score in expected]
    assert table.column("probabilities").to_pylist() == [score.probabilities for score in expected]
    assert [json.loads(r) for r in table.column("reasons").to_pylist()] == [
        [reason.model_dump(mode="json") for reason in score.reasons] for score in expected
    ]
    parquet_shard = pq.read_table(tmp_path / "scores" / "sub" / "c.scores.parquet")
    assert parquet_shard.column("listing_id").to_pylist() == [raw["id"] for raw in raws[16:]]


def test_a_rerun_skips_finished_shards_and_a_new_model_redoes_them(
    tmp_path: Path, trained: TrainResult, second_model: TrainResult, listing_raws: list[dict]
) -> None:
    _write_archive(tmp_path / "crawl", listing_raws)
    first = _rescore(tmp_path / "crawl", tmp_path / "scores", trained)
    output = tmp_path / "scores" / "sub" / f"b{OUTPUT_SUFFIX}"
    written = output.stat().st_mtime_ns
    again = _rescore(tmp_path / "crawl", tmp_path / "scores", trained)
    assert (again.scored, again.skipped, again.failed) == (0, first.scored, 0)
    assert output.stat().st_mtime_ns == written
    newer = _rescore(tmp_path / "crawl", tmp_path / "scores", second_model)
    assert newer.scored == first.scored
    assert set(pq.read_table(output).column("model_version").to_pylist()) == {newer.model_version}


def test_an_unreadable_shard_is_reported_and_leaves_no_file(
    tmp_path: Path, trained: TrainResult, listing_raws: list[dict]
) -> None:
    crawl = tmp_path / "crawl"
    crawl.mkdir()
    (crawl / "good.jsonl").write_text(json.dumps(listing_raws[1], ensure_ascii=False) + "\n", encoding="utf-8")
    whole = gzip.compress(("\n".join(json.dumps(r, ensure_ascii=False) for r in listing_raws) + "\n").encode())
    (crawl / "cut.jsonl.gz").write_bytes(whole[: len(whole) // 2])  # a transfer cut short
    summary = _rescore(crawl, tmp_path / "scores", trained)
    assert summary.scored == 1
    assert summary.failures[0].where == str(crawl / "cut.jsonl.gz")
    assert "could not read the shard" in summary.failures[0].reason
    assert sorted(p.name for p in (tmp_path / "scores").iterdir()) == [f"good{OUTPUT_SUFFIX}"]  # no temporary left


def test_shards_from_a_folder_a_glob_or_a_file(tmp_path: Path) -> None:
    for name in ("x/1.jsonl", "x/y/2.jsonl.gz", "x/y/3.parquet", "x/.hidden.jsonl", "x/readme.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("", encoding="utf-8")
    out = tmp_path / "out"
    assert find_shards(str(tmp_path / "x"), out) == [
        Shard(str(tmp_path / "x/1.jsonl"), str(out / "1.scores.parquet")),
        Shard(str(tmp_path / "x/y/2.jsonl.gz"), str(out / "y/2.scores.parquet")),
        Shard(str(tmp_path / "x/y/3.parquet"), str(out / "y/3.scores.parquet")),
    ]
    assert [s.output for s in find_shards(str(tmp_path / "x/**/*.jsonl*"), out)] == [
        str(out / "1.scores.parquet"),
        str(out / "y/2.scores.parquet"),
    ]
    assert find_shards(str(tmp_path / "x/y/3.parquet"), out) == [
        Shard(str(tmp_path / "x/y/3.parquet"), str(out / "3.scores.parquet"))
    ]
    (tmp_path / "x/y/2.parquet").write_text("", encoding="utf-8")
    with pytest.raises(DataError, match="one shard per name"):
        find_shards(str(tmp_path / "x"), out)
    with pytest.raises(DataError, match="no archive shards"):
        find_shards(str(tmp_path / "nothing-*.jsonl"), out)

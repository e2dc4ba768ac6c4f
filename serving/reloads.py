"""Model reloads that reach every worker and replica: the one answering ``POST /v1/admin/reload`` loads the
model at once and logs the reload in the database; every other process polls that log and follows.

Each swap is one reference assignment; a request took its model when it started, so requests in flight
finish on the old one. A model is swapped in only once it has loaded *and* scored a listing
(``load_predictor``): truncated or broken files are an ``ArtifactError`` (409 for the admin), never a 500, and
the old model keeps serving.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace

from model.errors import ArtifactError
from model.predictor import Predictor
from serving.heap import freeze_long_lived
from serving.metrics import set_model_version
from serving.storage.db import Database
from serving.storage.models import utc_now
from serving.storage.reloads import latest_reload_id, record_reload

log = logging.getLogger("soi.serving")


def load_predictor(model_path: str, *, max_read_ms: float, threads: int | None = None) -> Predictor:
    """Load a model and score one listing with it; ``ArtifactError`` for any failure of either. ``threads``:
    onnxruntime's threads in this process (default ``model.transformer_scorer.onnx_threads()``).

    Loading reads files that may be truncated or hand-edited (safetensors, skops, ONNX, JSON): whatever error their
    readers raise means "this model cannot be served", so every one of them becomes an ``ArtifactError``.
    """
    try:
        predictor = replace(Predictor.load(model_path, threads=threads), max_read_ms=max_read_ms)
        predictor.warm_up()
    except ArtifactError:
        raise
    except Exception as exc:  # the readers' own errors: zipfile, safetensors, onnxruntime, json, KeyError...
        raise ArtifactError(f"the model at {model_path} cannot be served: {type(exc).__name__}: {exc}") from exc
    return predictor


class ModelFollower:
    """Holds this process's place in the reload log and swaps ``state.predictor`` when asked."""

    def __init__(
        self,
        state: object,
        db: Database,
        *,
        model_path: str,
        poll_s: float,
        max_read_ms: float,
        threads: int | None = None,
        freeze_heap: bool = False,
    ) -> None:
        self.state = state
        self.threads = threads
        self.freeze_heap = freeze_heap
        self.db = db
        self.model_path = model_path
        self.poll_s = poll_s
        self.max_read_ms = max_read_ms
        self.seen_id = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def reload(self) -> tuple[Predictor, Predictor | None]:
        """Load the model ``current`` points to and swap it in; raises ``ArtifactError`` and keeps the old one."""
        with self._lock:  # two reloads at once would load twice for nothing
            new = load_predictor(self.model_path, max_read_ms=self.max_read_ms, threads=self.threads)
            old = self.state.predictor  # type: ignore[attr-defined]
            self.state.predictor = new  # type: ignore[attr-defined]
            if self.freeze_heap:
                freeze_long_lived()
        set_model_version(old.version if old else None, new.version)
        return new, old

    def announce(self, model_version: str, requested_by: str) -> None:
        """Log a reload this process has done, so that the others follow (and this one does not again)."""
        with self.db.write() as session:
            reload_id = record_reload(session, model_version=model_version, requested_by=requested_by, now=utc_now())
        self.seen_id = max(self.seen_id, reload_id)

    def poll_once(self) -> bool:
        """Reload if another process logged a reload since the last look; True when this one reloaded."""
        with self.db.read() as session:
            latest = latest_reload_id(session)
        if latest <= self.seen_id:
            return False
        self.seen_id = latest
        new, old = self.reload()
        log.info("model reloaded after another worker's reload: %s -> %s", old.version if old else None, new.version)
        return True

    def start(self) -> None:
        """Remember where the log is now and poll it every ``poll_s`` seconds (0: never) in a daemon thread."""
        with self.db.read() as session:
            self.seen_id = latest_reload_id(session)
        if self.poll_s <= 0:
            return
        self._thread = threading.Thread(target=self._run, name="soi-model-follower", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                self.poll_once()
            except Exception as exc:  # a database outage or a broken model: keep serving, try again later
                log.warning("model reload poll failed: %s", str(exc).splitlines()[0][:300] if str(exc) else type(exc))

    def stop(self) -> None:
        """Stop polling."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

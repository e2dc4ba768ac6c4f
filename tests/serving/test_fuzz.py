"""Schemathesis fuzzes every operation of the OpenAPI schema against a running uvicorn process: no answer
may be a 5xx, and every answer to valid data must match the schema (status codes, content types, bodies); its
negative data (invalid by the schema) must get no 5xx either.

Bounded: a few examples per operation (``SOI_FUZZ_EXAMPLES``, default 8), about ten seconds in all. The app
runs in development mode (no keys): keys and roles have their own tests, and a fuzzer holding an admin key
would soon revoke it.
"""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from training.train import TrainResult

EXAMPLES = int(os.environ.get("SOI_FUZZ_EXAMPLES", "8"))
REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def running_app(trained: TrainResult, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m serving run`` on a free loopback port with a fresh SQLite database; yields its base URL."""
    port = _free_port()
    env = {
        **os.environ,
        "SOI_DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'soi.db'}",
        "SOI_AUTH_DISABLED": "1",
        "SOI_MAX_BATCH_LISTINGS": "8",
        "SOI_LOG_LEVEL": "warning",
    }
    command = [sys.executable, "-m", "serving", "run", "--port", str(port), "--model", str(trained.model_dir.parent)]
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"the app did not start: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                if httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("the app was not ready within 90 s")
            time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _fuzz(operation, mode: GenerationMode, checks: list, statuses: list[int]) -> None:
    """Run one operation's examples of one generation mode, recording each answer's status."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def fuzz(case: schemathesis.Case) -> None:
        statuses.append(case.call_and_validate(checks=checks, timeout=30).status_code)

    fuzz()


def test_no_server_errors_and_answers_match_the_schema(running_app: str) -> None:
    # every operation in turn, with hypothesis driving schemathesis' strategy (its pytest plugin does not
    # support this pytest version); failures are collected so one run reports them all
    schema = schemathesis.openapi.from_url(f"{running_app}/openapi.json")
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    failures: dict[str, str] = {}
    statuses: list[int] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 13
    for operation, mode in itertools.product(operations, GenerationMode):
        # negative data (wrong types, out-of-range values, missing fields) is checked for 5xx only: a 4xx for it is
        # right whatever status the schema documents
        mode_checks = checks if mode is GenerationMode.POSITIVE else [not_a_server_error]
        try:
            _fuzz(operation, mode, mode_checks, statuses)
        except Unsatisfiable:  # no negative data exists for an operation without parameters or body
            assert mode is GenerationMode.NEGATIVE, operation.label
        except Exception as exc:  # collect and go on: the report names every failing operation
            failures[f"{operation.label} ({mode.value})"] = str(exc)[:3000]
    assert not failures, "\n\n".join(f"{label}:\n{message}" for label, message in failures.items())
    assert len(statuses) >= 4 * len(operations) and {200, 422} <= set(statuses)

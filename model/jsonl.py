"""Reading listings from JSONL files, with errors that name the file, the line and the field."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from model.errors import DataError
from model.schema import Listing


def iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line of a JSONL file."""
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}:{number}: expected a JSON object, found invalid JSON ({exc.msg})") from exc


def describe_validation_error(exc: ValidationError) -> str:
    """One line naming each problem's field path and message."""
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or '(root)'}: {e['msg']}" for e in exc.errors())


def parse_listing(raw: Any, *, where: str) -> Listing:
    """Validate one listing, naming the place and the field of any problem."""
    if not isinstance(raw, dict):
        raise DataError(f"{where}: expected a JSON object, found {type(raw).__name__}")
    try:
        return Listing.model_validate(raw)
    except ValidationError as exc:
        raise DataError(f"{where}: {describe_validation_error(exc)}") from exc


def iter_listings(path: Path) -> Iterator[tuple[Listing, dict[str, Any]]]:
    """Each listing of a JSONL file with the raw object it came from."""
    for number, raw in iter_jsonl(path):
        yield parse_listing(raw, where=f"{path}:{number}"), raw

"""The label vocabulary, defined once in ``labels.json`` beside this file.

Everything else asks this module which labels exist and what they are called in Vietnamese, so a new
label (say ``ip_infringement``) is a change to that file, the training config and the data, not to code.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from model.errors import LabelError, shorten

LABELS_FILE = Path(__file__).with_name("labels.json")


@dataclass(frozen=True)
class LabelInfo:
    """One label: its machine name, its Vietnamese description, and a short Vietnamese name for buttons."""

    name: str
    vi: str
    short_vi: str


@cache
def load_label_catalog() -> dict[str, LabelInfo]:
    """Read every known label from ``labels.json``, in file order."""
    raw = json.loads(LABELS_FILE.read_text(encoding="utf-8"))
    return {
        item["name"]: LabelInfo(name=item["name"], vi=item["vi"], short_vi=item.get("short_vi") or item["vi"])
        for item in raw["labels"]
    }


@cache
def default_labels() -> tuple[str, ...]:
    """The labels a model predicts unless its config says otherwise."""
    raw = json.loads(LABELS_FILE.read_text(encoding="utf-8"))
    return tuple(raw["default"])


def review_labels() -> dict[str, LabelInfo]:
    """The labels reviewers set on listings: the default labels, in their order.

    Benchmark-only labels such as ViSpamReviews' ``spam`` are in the catalog for their configs, never offered to
    reviewers.
    """
    catalog = load_label_catalog()
    return {name: catalog[name] for name in default_labels()}


def describe_label(name: str) -> str:
    """Vietnamese description of a label, or the name itself for a label the catalog lacks."""
    info = load_label_catalog().get(name)
    return info.vi if info else name


def check_labels(labels: Iterable[str], *, allowed: Sequence[str]) -> list[str]:
    """Return ``labels`` as a de-duplicated list, raising ``LabelError`` for any label not in ``allowed``."""
    result: list[str] = []
    for label in labels:
        if label not in allowed:
            raise LabelError(f"unknown label {shorten(label)}: expected one of {list(allowed)}")
        if label not in result:
            result.append(label)
    return result

"""The review page's filters as typed into its forms: the listing queue's (label, platform, days, priority) and
the case queue's. A bad value is dropped with a note in Vietnamese, never answered 422: it is a page, not an API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from model.labels import review_labels
from model.schema import MAX_PLATFORM_CHARS, PRIORITIES, is_storable_text
from serving import reviewing
from serving.storage.cases import CaseFilter
from serving.storage.queue import QueueFilter
from serving.ui import format as fmt

FILTER_FIELDS = ("label", "platform", "since", "until", "priority")
UNKNOWN_LABEL = "Nhãn không có trong danh mục: bỏ qua."


def filled(values: dict[str, str]) -> dict[str, str]:
    """The filters that have a value, to carry along in links."""
    return {k: v for k, v in values.items() if v}


@dataclass(frozen=True)
class QueueQuery:
    """The queue filters as typed in the form (kept to refill it and to carry along links), and as parsed."""

    values: dict[str, str]
    where: QueueFilter
    errors: list[str]

    @property
    def query_string(self) -> str:
        """The non-empty filters as a query string (no cursor): shareable, carried from page to page."""
        return urlencode(filled(self.values))


def _parse_date(raw: str, name: str, errors: list[str]) -> date | None:
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        errors.append(f"Ngày {name} không hợp lệ (cần dạng năm-tháng-ngày): bỏ qua.")
        return None
    first, last = reviewing.EARLIEST_FILTER_TIME.year, reviewing.LATEST_FILTER_TIME.year - 1
    if not first <= day.year <= last:  # a day at the calendar's edge cannot be moved to UTC or a day further
        errors.append(f"Ngày {name} phải trong các năm {first}–{last}: bỏ qua.")
        return None
    return day


def _drop_unknown(values: dict[str, str], errors: list[str]) -> None:
    """Blank (with a note) a platform that cannot be stored, a label or a priority that does not exist."""
    if not is_storable_text(values["platform"]):
        errors.append("Nền tảng chứa ký tự không hợp lệ: bỏ qua.")
        values["platform"] = ""
    if values["label"] and values["label"] not in review_labels():
        errors.append(UNKNOWN_LABEL)
        values["label"] = ""
    if values["priority"] and values["priority"] not in PRIORITIES:
        errors.append("Mức ưu tiên không hợp lệ: bỏ qua.")
        values["priority"] = ""


def parse_queue_query(params: Any) -> QueueQuery:
    """Read the filters from query parameters; a bad value is dropped with a Vietnamese note, not a 422."""
    values = {name: (params.get(name) or "").strip()[:MAX_PLATFORM_CHARS] for name in FILTER_FIELDS}
    errors: list[str] = []
    _drop_unknown(values, errors)
    since = _parse_date(values["since"], "từ", errors)
    until = _parse_date(values["until"], "đến", errors)
    if since is None:
        values["since"] = ""
    if until is None:
        values["until"] = ""
    where = QueueFilter(
        label=values["label"] or None,
        platform=values["platform"] or None,
        since=fmt.day_start_utc(since) if since else None,
        # "until" is a whole day, inclusive: the bound is the next day's midnight
        until=fmt.day_start_utc(until + timedelta(days=1)) if until else None,
        priority=values["priority"] or None,
    )
    return QueueQuery(values=values, where=where, errors=errors)


def parse_case_query(params: Any) -> tuple[dict[str, str], CaseFilter, list[str]]:
    """The case queue's filters as typed (to refill the form) and as parsed; a bad value is dropped with a note."""
    values = {name: (params.get(name) or "").strip()[:64] for name in ("label", "platform", "min_listings")}
    errors = []
    if values["label"] and values["label"] not in review_labels():
        errors.append(UNKNOWN_LABEL)
        values["label"] = ""
    size = 2
    if values["min_listings"]:
        if values["min_listings"].isdigit() and 1 <= int(values["min_listings"]) <= 100_000:
            size = int(values["min_listings"])
        else:
            errors.append("Số tin tối thiểu không hợp lệ: bỏ qua.")
            values["min_listings"] = ""
    where = CaseFilter(label=values["label"] or None, platform=values["platform"] or None, min_listings=size)
    return values, where, errors

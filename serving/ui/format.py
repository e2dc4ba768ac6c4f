"""How the review page writes things: prices, times and percentages the Vietnamese way, and the reasons'
matched words highlighted in the listing's text (escaped first: listing text is untrusted)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, timezone

from markupsafe import Markup, escape

from model.folding import nfc
from model.money import format_vnd
from serving.storage.models import as_utc

# Vietnam keeps UTC+7 all year; reviewers read and filter times there.
VIETNAM = timezone(timedelta(hours=7), "ICT")
PRIORITY_VI = {"high": "Cao", "medium": "Trung bình", "low": "Thấp"}


def format_price_vnd(value: object) -> str:
    """``1500000`` → ``1.500.000 ₫`` (dots between thousands); empty when there is no price. Anything else (a
    snapshot stored before prices had to be numbers) is shown as it was sent."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value or abs(value) == float("inf"):
        return str(value)
    return format_vnd(value)


def format_time(value: datetime | None) -> str:
    """A stored (UTC) time in Vietnam time, ``23/11/2026 16:05``."""
    if value is None:
        return ""
    return as_utc(value).astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")


def format_percent(value: float) -> str:
    """``0.834`` → ``83,4 %`` (decimal comma)."""
    return f"{value * 100:.1f}".replace(".", ",") + " %"


def day_start_utc(day: date) -> datetime:
    """Midnight at the start of a Vietnamese calendar day, in UTC (a date filter's bound)."""
    return datetime.combine(day, time(0), tzinfo=VIETNAM).astimezone(UTC)


def highlight(text: str | None, terms: Iterable[str]) -> Markup:
    """``text`` escaped, with every occurrence of each term (case-insensitive) inside a ``<mark>``.

    Terms may overlap ("giả nhãn", "nhãn nhập"): their spans are merged, so each stretch is marked once.
    """
    if not text:
        return Markup("")
    text = nfc(text)
    spans: list[tuple[int, int]] = []
    for term in {nfc(t).strip() for t in terms if t and t.strip()}:
        spans += [m.span() for m in re.finditer(re.escape(term), text, re.IGNORECASE)]
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    pieces: list[Markup] = []
    position = 0
    for start, end in merged:
        pieces.append(escape(text[position:start]))
        pieces.append(Markup("<mark>%s</mark>") % text[start:end])
        position = end
    pieces.append(escape(text[position:]))
    return Markup("").join(pieces)

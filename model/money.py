"""How Soi writes amounts of Vietnamese đồng, the one place: ``1.500.000 ₫`` (dots between thousands).

A leaf module: the reasons (``model.reasons``) and the review page (``serving.ui.format``) both write prices
through it."""

from __future__ import annotations


def group_thousands(amount: float) -> str:
    """A whole number of đồng with dots between thousands, the Vietnamese way: ``1.500.000``."""
    return f"{round(amount):,}".replace(",", ".")


def format_vnd(amount: float) -> str:
    """Format a price the Vietnamese way: 1.500.000 ₫."""
    return group_thousands(amount) + " ₫"

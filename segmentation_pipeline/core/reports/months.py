"""Snapshot months are partition keys: 'YYYY-MM-01' strings."""

from __future__ import annotations

import pandas as pd


def shift_month(month: str, months: int) -> str:
    """'2026-11-01' shifted by -1 -> '2026-10-01'."""
    return (pd.Timestamp(month) + pd.DateOffset(months=months)).strftime("%Y-%m-01")


def month_bounds(month: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[first day of the month, first day of the next month)."""
    start = pd.Timestamp(month).normalize().replace(day=1)
    return start, start + pd.DateOffset(months=1)

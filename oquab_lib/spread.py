"""Mean and spread over seeds, and how the book prints them (``"78.7 ± 1.2"``)."""

from __future__ import annotations

import math

import pandas as pd


def mean_std(rows: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Column-wise mean and sample std (ddof=1) of per-seed rows; the std of a single row is NaN."""
    return rows.mean(axis=0), rows.std(axis=0, ddof=1)


def format_mean_std(mean: float, std: float, digits: int = 1) -> str:
    """``"78.7 ± 1.2"``, or ``"78.7"`` when the spread is unknown (a single seed)."""
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "–"
    if std is None or (isinstance(std, float) and math.isnan(std)):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def by_level(table: pd.DataFrame, level: str = "method") -> dict[str, pd.DataFrame]:
    """``{value: its rows}`` for each value of an index ``level`` (in table order), that level dropped: e.g. each
    method's per-seed rows of a ``(method, seed)`` table."""
    return {name: table.xs(name, level=level) for name in table.index.unique(level)}

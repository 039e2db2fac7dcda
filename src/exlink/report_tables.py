"""The report's tables written for people: money, shares and ranges in words.

Every cell becomes text. Money columns get thousands separators and the
currency (``1,234,567 EUR``); probabilities and returns on investment are
percentages (``12.5%``); an investment's elicited effect range reads ``nps +1
to +4``; its units read ``all units``, ``12 units`` or ``region = north``;
missing values are a dash, never ``None`` or ``nan``. A table wider than
the page is split into several that each repeat the row labels
(:func:`split_columns`); :func:`html_table` does both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

MONEY_COLUMNS = frozenset(
    {
        "npv_mean",
        "npv_median",
        "npv_p05",
        "npv_p95",
        "npv_low",
        "npv_high",
        "npv_base",
        "cvar_05",
        "cvar",
        "cost",
        "expected_npv",
        "evppi",
        "net_money",
        "budget",
        "budget_from",
        "budget_below",
        "cost_upfront",
        "cost_per_period",
        "cost_fixed",
        "cost_per_leaver",
    }
)
"""Columns in the currency of the finance assumptions."""

SHARE_COLUMNS = frozenset({"p_loss", "p_positive", "p_practical", "roi", "discount_rate", "margin"})
"""Columns that are shares or rates, shown as percentages."""

MISSING = "–"

MAX_COLUMNS = 9
"""Columns of one table, row labels included, that fit the report's page."""


def readable(frame: pd.DataFrame, currency: str) -> pd.DataFrame:
    """A copy of ``frame`` with every cell as text for people (see the module's rules)."""
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        values = frame[column]
        if column in MONEY_COLUMNS:
            out[column] = [money(v, currency) for v in values]
        elif column in SHARE_COLUMNS:
            out[column] = [percent(v) for v in values]
        else:
            out[column] = [cell(v) for v in values]
    return out


def split_columns(
    frame: pd.DataFrame, index: bool = True, max_columns: int = MAX_COLUMNS
) -> list[pd.DataFrame]:
    """``frame`` cut into tables of at most ``max_columns`` columns that fit a page.

    Each part keeps the row labels: the index when ``index`` is true,
    otherwise the leading columns that name a row (those up to the first
    numeric one, at most three, such as ``kind, source, target``).
    """
    if max_columns < 2:
        raise ValueError(f"max_columns must be at least 2, got {max_columns}.")
    columns = list(frame.columns)
    width = len(columns) + (frame.index.nlevels if index else 0)
    if width <= max_columns:
        return [frame]
    keys: list = []
    if not index:
        for column in columns[:3]:
            if pd.api.types.is_numeric_dtype(frame[column]) and not pd.api.types.is_bool_dtype(
                frame[column]
            ):
                break
            keys.append(column)
        if not keys:
            keys = columns[:1]
    rest = [c for c in columns if c not in keys]
    room = max(1, max_columns - len(keys) - (frame.index.nlevels if index else 0))
    return [frame[keys + rest[i : i + room]] for i in range(0, len(rest), room)]


def html_table(frame: pd.DataFrame, index: bool = True, currency: str = "") -> str:
    """``frame`` as HTML for people: :func:`readable` cells, split to fit the page."""
    return "".join(
        f"<div class='wide'>{readable(part, currency).to_html(index=index, border=0)}</div>"
        for part in split_columns(frame, index=index)
    )


def money(value: Any, currency: str) -> str:
    """``1234567.8`` -> ``'1,234,568 EUR'``; small amounts with cents keep two decimals."""
    if _missing(value):
        return MISSING
    number = float(value)
    digits = 0 if abs(number) >= 100 or number.is_integer() else 2
    return f"{number:,.{digits}f} {currency}"


def percent(value: Any) -> str:
    """``0.125`` -> ``'12.5%'``."""
    if _missing(value):
        return MISSING
    return f"{float(value) * 100:.1f}%"


def cell(value: Any) -> str:
    """Any other value as text: numbers with separators, ranges and unit choices in words."""
    if _missing(value):
        return MISSING
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        number = float(value)
        return f"{number:,.0f}" if abs(number) >= 1000 else f"{number:.4g}"
    if isinstance(value, Mapping):
        return effect_range(value)
    if isinstance(value, list | tuple):
        return f"{len(value)} units" if len(value) != 1 else f"unit {value[0]}"
    return str(value)


def effect_range(ranges: Mapping[str, Any]) -> str:
    """Ranges and choices in words.

    ``{'nps': (1.0, 4.0)}`` reads ``'nps +1 to +4'``; ``{'region': 'north'}``
    reads ``'region = north'``.
    """
    parts = []
    for name, value in ranges.items():
        if isinstance(value, list | tuple) and len(value) == 2:
            low, high = (float(v) for v in value)
            parts.append(f"{name} {low:+.3g} to {high:+.3g}")
        else:
            parts.append(f"{name} = {value}")
    return "; ".join(parts) if parts else MISSING


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False

"""Periods of a panel: consecutive integers, or monthly or quarterly dates.

A panel's periods form a regular grid from the first to the last period seen.
Periods on the grid with no rows at all are *gaps*; lags count grid steps, so a
lag of one is always the previous month (or quarter, or integer), whether or
not it was observed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from exlink._names import format_rows

FREQUENCIES = ("integer", "month", "quarter")
FREQUENCY_WORDS = {"integer": "integer", "month": "monthly", "quarter": "quarterly"}
_MONTHS_PER_STEP = {"month": 1, "quarter": 3}
FIRST_YEAR, LAST_YEAR = 1900, 2200
"""Dated periods must fall in these years (the range a saved model can hold)."""
_MAX_SPARSITY = 2
"""A grid may be at most this many times longer than the periods present."""
_MAX_EMPTY = 6
"""... unless it has at most this many empty periods."""


@dataclass(frozen=True)
class PeriodGrid:
    """The regular grid of periods a panel lives on.

    Attributes
    ----------
    labels
        Every period from the first to the last: integers, or the first day of
        each month or quarter as timestamps.
    frequency
        ``"integer"``, ``"month"`` or ``"quarter"``.
    """

    labels: pd.Index
    frequency: str

    def __len__(self) -> int:
        return len(self.labels)

    def format(self, label: object) -> str:
        """A short text for one period label: ``'7'``, ``'2024-03'`` or ``'2024Q1'``."""
        if self.frequency == "integer":
            return str(label)
        stamp = pd.Timestamp(label)
        if self.frequency == "month":
            return stamp.strftime("%Y-%m")
        return f"{stamp.year}Q{(stamp.month - 1) // 3 + 1}"


def period_grid(values: pd.Series, column: str) -> tuple[PeriodGrid, np.ndarray]:
    """Infer the period grid of a column and each row's position on it.

    Parameters
    ----------
    values
        The period column: integers (or whole floats), datetimes or pandas
        periods. Text is refused: convert it with :func:`pandas.to_datetime`.
    column
        The column's name, used in error messages.

    Returns
    -------
    grid : PeriodGrid
    positions : numpy.ndarray
        For each row, the integer position of its period on the grid.
    """
    if pd.api.types.is_object_dtype(values.dtype):
        values = values.infer_objects()
    missing = values.isna().to_numpy()
    if missing.any():
        raise ValueError(
            f"period column {column!r} is missing in rows {format_rows(values.index[missing])}: "
            "every row needs a period."
        )
    if isinstance(values.dtype, pd.PeriodDtype):
        values = values.dt.to_timestamp(how="start")
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return _date_grid(values, column)
    if pd.api.types.is_bool_dtype(values.dtype) or not pd.api.types.is_numeric_dtype(values.dtype):
        kind = "text" if pd.api.types.is_string_dtype(values.dtype) else str(values.dtype)
        raise TypeError(
            f"period column {column!r} holds {kind} (first value {values.iloc[0]!r}): use "
            f"integers or dates, for example df[{column!r}] = pd.to_datetime(df[{column!r}])."
        )
    return _integer_grid(values, column)


def _integer_grid(values: pd.Series, column: str) -> tuple[PeriodGrid, np.ndarray]:
    numbers = values.to_numpy(dtype=float)
    fractional = ~np.isfinite(numbers) | (numbers != np.round(numbers))
    if fractional.any():
        raise TypeError(
            f"period column {column!r} holds values that are not whole numbers in rows "
            f"{format_rows(values.index[fractional])}: use consecutive integers or dates."
        )
    if np.abs(numbers).max() > 1e12:
        raise ValueError(
            f"period column {column!r} holds {numbers[np.argmax(np.abs(numbers))]:.0f}: number "
            "periods consecutively (1, 2, 3, ...) or use dates."
        )
    ints = numbers.astype(np.int64)
    present = np.unique(ints)
    _refuse_year_month_numbers(present, column)
    step = math.gcd(*np.diff(present).tolist()) if len(present) > 1 else 1
    if step > 1:
        raise ValueError(
            f"period column {column!r}: every period is a multiple of {step} apart "
            f"({', '.join(map(str, present[:4]))}, ...), so the grid would hold {step - 1} empty "
            "periods between any two. Number periods consecutively (1, 2, 3, ...) or use dates."
        )
    first, last = int(ints.min()), int(ints.max())
    _refuse_sparse_grid(last - first + 1, len(present), column)
    grid = PeriodGrid(pd.Index(np.arange(first, last + 1), name=column), "integer")
    return grid, ints - first


def _refuse_year_month_numbers(present: np.ndarray, column: str) -> None:
    """Integers such as 202311, 202312, 202401 are months, not consecutive periods."""
    months = present % 100
    looks_dated = (
        len(present) > 1
        and present.min() >= 190001
        and present.max() <= 210012
        and ((months >= 1) & (months <= 12)).all()
        and len(np.unique(present // 100)) > 1
    )
    if looks_dated:
        raise ValueError(
            f"period column {column!r} holds year-month numbers such as {present[0]}: read as "
            f"integers, {present[-1] - present[0] + 1 - len(present)} phantom periods would lie "
            f"between the years. Convert them to dates: df[{column!r}] = "
            f"pd.to_datetime(df[{column!r}].astype(str), format='%Y%m')."
        )


def _date_grid(values: pd.Series, column: str) -> tuple[PeriodGrid, np.ndarray]:
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_localize(None)
    years = values.dt.year.to_numpy()
    outside = (years < FIRST_YEAR) | (years > LAST_YEAR)
    if outside.any():
        raise ValueError(
            f"period column {column!r} has dates in year {years[outside][0]} (rows "
            f"{format_rows(values.index[outside])}); exlink reads dates from {FIRST_YEAR} to "
            f"{LAST_YEAR}. Month names or numbers without a year read as year 1: give full "
            "dates, such as 2024-03."
        )
    months = (values.dt.year * 12 + values.dt.month - 1).to_numpy(dtype=np.int64)
    present = np.unique(months)
    step = math.gcd(*np.diff(present).tolist()) if len(present) > 1 else 1
    frequency = {1: "month", 3: "quarter"}.get(step)
    if frequency is None:
        raise ValueError(
            f"period column {column!r}: periods are {step} months apart; exlink needs monthly "
            "or quarterly periods. Aggregate or relabel the periods first."
        )
    n = (present[-1] - present[0]) // step + 1
    _refuse_sparse_grid(int(n), len(present), column)
    starts = present[0] + step * np.arange(n)
    labels = pd.DatetimeIndex(
        [pd.Timestamp(year=int(m // 12), month=int(m % 12) + 1, day=1) for m in starts],
        name=column,
    )
    return PeriodGrid(labels, frequency), (months - present[0]) // step


def _refuse_sparse_grid(grid_length: int, present: int, column: str) -> None:
    if grid_length > _MAX_SPARSITY * present and grid_length - present > _MAX_EMPTY:
        raise ValueError(
            f"period column {column!r}: {present} distinct periods spread over {grid_length} "
            f"grid steps, {grid_length - present} of them with no row at all. Number periods "
            "consecutively (1, 2, 3, ...) or use dates."
        )

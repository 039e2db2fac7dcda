"""Checks on a long DataFrame before it becomes a :class:`~exlink.data.Panel`.

Each check raises a ``ValueError`` or ``TypeError`` whose message names the
column, rows, units or periods at fault and says how to fix them.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from decimal import Decimal
from typing import NoReturn

import numpy as np
import pandas as pd

from exlink._names import closest, format_rows

MIN_UNITS = 3
MIN_PERIODS = 3


def as_names(value: object, argument: str, *, required: bool = False) -> tuple[str, ...]:
    """Read a column-name argument: one string, or a sequence of strings."""
    if value is None:
        names: tuple[object, ...] = ()
    elif isinstance(value, str):
        names = (value,)
    elif isinstance(value, Sequence | pd.Index | np.ndarray):
        names = tuple(value)
    else:
        raise TypeError(
            f"{argument} must be a column name or a list of column names, "
            f"got {type(value).__name__}."
        )
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"{argument} must hold column names as strings, got {name!r}.")
    if required and not names:
        raise ValueError(f"{argument} must name at least one column.")
    return names  # type: ignore[return-value]


def check_roles(roles: dict[str, tuple[str, ...]]) -> None:
    """Refuse a column given twice, within one argument or across arguments."""
    seen: dict[str, str] = {}
    for argument, names in roles.items():
        for name in names:
            if name in seen:
                where = "twice" if seen[name] == argument else f"in both {seen[name]} and"
                raise ValueError(
                    f"column {name!r} is named {where} {argument}: each column plays one part."
                )
            seen[name] = argument


def check_columns(df: pd.DataFrame, wanted: Sequence[str]) -> None:
    """Refuse repeated column labels and name every wanted column that is absent."""
    labels = pd.Index(df.columns)
    repeated = labels[labels.duplicated()].unique()
    if len(repeated):
        raise ValueError(
            f"the DataFrame has more than one column called {format_rows(repeated)}: "
            "rename them so that each column has its own name."
        )
    present = [str(c) for c in labels]
    missing = [name for name in wanted if name not in labels]
    if missing:
        hints = ", ".join(_with_suggestion(name, present) for name in missing)
        raise ValueError(
            f"missing column{'s' if len(missing) > 1 else ''}: {hints}. "
            f"The DataFrame has: {', '.join(map(repr, present[:30]))}"
            + (" ..." if len(present) > 30 else ".")
        )


def _with_suggestion(name: str, present: Sequence[str]) -> str:
    match = closest(name, present)
    return f"{name!r}" + (f" (did you mean {match!r}?)" if match else "")


def check_units(units: pd.Series, column: str) -> pd.Series:
    """Every row needs a unit, and unit labels are all text or all whole numbers.

    Returns
    -------
    pandas.Series
        The labels as plain Python text or ``int64`` (categorical, string
        and whole-float columns are normalised), on the same index.
    """
    missing = units.isna().to_numpy()
    if missing.any():
        raise ValueError(
            f"unit column {column!r} is missing in rows {format_rows(units.index[missing])}: "
            "every row needs a unit."
        )
    if isinstance(units.dtype, pd.CategoricalDtype):
        units = units.astype(units.cat.categories.dtype)
    if pd.api.types.is_bool_dtype(units.dtype):
        raise TypeError(f"unit column {column!r} holds true/false values: label units by name.")
    if pd.api.types.is_integer_dtype(units.dtype):
        return units.astype(np.int64)
    if pd.api.types.is_float_dtype(units.dtype):
        values = units.to_numpy(dtype=float)
        if not (np.isfinite(values) & (values == np.round(values))).all():
            raise TypeError(
                f"unit column {column!r} holds fractional numbers: label units by text or "
                "whole numbers."
            )
        return units.astype(np.int64)
    kinds = units.map(_label_kind)
    bad = (kinds == "other").to_numpy()
    if bad.any():
        example = units[bad].iloc[0]
        raise TypeError(
            f"unit column {column!r} holds {type(example).__name__} values such as {example!r} "
            f"in rows {format_rows(units.index[bad])}: label units by text or whole numbers."
        )
    found = set(kinds)
    if found == {"text"}:
        return units.astype(object).map(str)
    if found == {"integer"}:
        return units.map(int).astype(np.int64)
    first_text = units[(kinds == "text").to_numpy()].iloc[0]
    first_number = units[(kinds == "integer").to_numpy()].iloc[0]
    raise TypeError(
        f"unit column {column!r} mixes text and numbers (such as {first_text!r} and "
        f"{first_number!r}): use one kind of label, for example df[{column!r}].astype(str)."
    )


def _label_kind(value: object) -> str:
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool | np.bool_):
        return "other"
    if isinstance(value, numbers.Integral):
        return "integer"
    return "other"


def numeric_values(series: pd.Series, column: str, what: str) -> np.ndarray:
    """Return a numeric column as floats, refusing text, dates and infinities.

    Parameters
    ----------
    series
        The column.
    column
        Its name, for messages.
    what
        ``"stage"`` or ``"intervention"``, for messages.
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(series.cat.categories.dtype)
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or (
        pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype)
    ):
        values = series.to_numpy(dtype=float, na_value=np.nan)
    elif pd.api.types.is_object_dtype(dtype):
        ok = series.map(_is_number_or_missing).to_numpy(dtype=bool)
        if not ok.all():
            _refuse_non_numeric(series, ~ok, column, what)
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    else:
        _refuse_non_numeric(series, series.notna().to_numpy(), column, what)
    infinite = np.isinf(values)
    if infinite.any():
        raise ValueError(
            f"{what} column {column!r} is infinite in rows {format_rows(series.index[infinite])}: "
            "replace those values with real numbers, or with NaN where they are unknown."
        )
    return values


def _is_number_or_missing(value: object) -> bool:
    return value is None or value is pd.NA or isinstance(value, numbers.Real | np.bool_ | Decimal)


def _refuse_non_numeric(series: pd.Series, bad: np.ndarray, column: str, what: str) -> NoReturn:
    fix = (
        f"convert it with pd.to_numeric(df[{column!r}], errors='coerce') "
        "if those are missing values."
    )
    if not bad.any():
        raise TypeError(f"{what} column {column!r} must be numeric, not {series.dtype}: {fix}")
    example = series[bad].iloc[0]
    raise TypeError(
        f"{what} column {column!r} must be numeric, but holds {example!r} "
        f"({type(example).__name__}) in rows {format_rows(series.index[bad])}: {fix}"
    )


def check_exposure(values: np.ndarray, index: pd.Index, column: str) -> None:
    """An intervention's rollout is never missing and never negative."""
    missing = np.isnan(values)
    if missing.any():
        raise ValueError(
            f"intervention column {column!r} is missing in rows {format_rows(index[missing])}: "
            "record 0 where the intervention was not in place, never leave it blank."
        )
    negative = values < 0
    if negative.any():
        raise ValueError(
            f"intervention column {column!r} is negative in rows {format_rows(index[negative])}: "
            "a rollout is a share in [0, 1] or a non-negative intensity."
        )


def unit_attributes(
    df: pd.DataFrame, unit: str, attributes: Sequence[str], units: pd.Index
) -> pd.DataFrame:
    """One row per unit with its attributes, refusing values that vary within a unit."""
    table = {}
    for name in attributes:
        column = df[name]
        missing = column.isna().to_numpy()
        if missing.any():
            raise ValueError(
                f"attribute column {name!r} is missing for units "
                f"{format_rows(pd.unique(df[unit][missing]))}: give every unit a value."
            )
        try:
            counts = column.groupby(df[unit], sort=False).nunique()
        except TypeError:
            raise TypeError(
                f"attribute column {name!r} holds values that cannot be compared "
                "(such as lists): use numbers or text."
            ) from None
        varying = counts.index[counts.to_numpy() > 1]
        if len(varying):
            example = varying[0]
            seen = pd.unique(column[(df[unit] == example).to_numpy()])
            raise ValueError(
                f"attribute column {name!r} varies within units {format_rows(varying)} "
                f"(unit {example!r} has {format_rows(seen, 3)}): a unit attribute must be "
                "constant; pass a varying quantity as a stage instead."
            )
        first = column.groupby(df[unit], sort=False).first()
        table[name] = first.reindex(units).to_numpy()
    frame = pd.DataFrame(table, index=units)
    for name in attributes:
        frame[name] = frame[name].astype(df[name].dtype)
    return frame


def check_size(n_units: int, n_periods: int) -> None:
    """Refuse panels too small to separate unit effects, period effects and links.

    A panel of one period is a cross-section (one row per unit or respondent):
    it has no unit or period effects to separate.
    """
    if n_periods == 1 and n_units >= MIN_UNITS:
        return
    if n_units < MIN_UNITS or n_periods < MIN_PERIODS:
        raise ValueError(
            f"the panel has {n_units} unit(s) and {n_periods} period(s); at least "
            f"{MIN_UNITS} units and {MIN_PERIODS} periods are needed to tell unit effects, "
            "period effects and links apart. Add units or periods (or, for one row per unit, "
            "use Panel.from_cross_section)."
        )

"""Reading numbers that users give: Python, NumPy and Decimal values, finite and plausible."""

from __future__ import annotations

import math
import numbers
from decimal import Decimal

import numpy as np

LARGEST = 1e15
"""Magnitudes above this are refused as a mistake (they overflow once squared or summed)."""


def as_number(
    value: object,
    what: str,
    *,
    minimum: float | None = 0.0,
    whole: bool = False,
) -> float:
    """Read a finite number: Python, NumPy and :class:`~decimal.Decimal` values alike.

    Parameters
    ----------
    value
        The value given.
    what
        How to name it in messages, for example ``"Finance: margin"``.
    minimum
        The smallest value allowed, or ``None``.
    whole
        Require a whole number.

    Raises
    ------
    TypeError
        For anything that is not a real number (text, booleans, None).
    ValueError
        For NaN, infinities, magnitudes above 1e15, fractions where a whole
        number is needed, and values below ``minimum``.
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real | Decimal):
        raise TypeError(f"{what} must be a number, got {type(value).__name__} {value!r}.")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{what} must be a finite number, got {value!r}.")
    if abs(number) > LARGEST:
        raise ValueError(
            f"{what} is {number:g}, beyond {LARGEST:g}: check the units of this value."
        )
    if whole and number != round(number):
        raise ValueError(f"{what} must be a whole number, got {value!r}.")
    if minimum is not None and number < minimum:
        raise ValueError(f"{what} must be >= {minimum:g}, got {number:g}.")
    return number


def as_count(value: object, what: str, *, minimum: int = 0) -> int:
    """Read a whole number (Python or NumPy integer, or a whole float) as ``int``."""
    return int(as_number(value, what, minimum=minimum, whole=True))

"""Which units an investment reaches: a selection that can only compare, never run code.

A selection is one of

- ``"all"``; ``"treated"`` or ``"untreated"`` (units an intervention has or
  has not reached in the data);
- a list of unit labels;
- a mapping of unit attributes to conditions, all of which must hold:
  ``{"region": "north"}``, ``{"region": ["north", "east"]}``,
  ``{"culture": {"min": 3}}``, ``{"culture": {"min": 2, "max": 4}}``,
  ``{"region": {"not": ["south"]}}``;
- a text of comparisons on unit attributes joined by ``and``, ``or`` and
  parentheses: ``"region == 'north' and culture >= 3"``. Each comparison is
  ``attribute OP value`` with ``OP`` one of ``== != < <= > >=`` and ``value``
  a number or a quoted text. Nothing else is read: no names other than
  attributes, no calls, no ``@``. The text is parsed here, never evaluated;
- in Python only, a function of the attribute table returning a boolean mask.

:func:`parse_selection` checks the form without data (so a scenario file's
mistake is found when it is read); :func:`select_units` applies it to a panel.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from exlink._names import unknown_name_message

KEYWORDS = ("all", "treated", "untreated")
"""The selections that are one word."""

CONDITION_KEYS = ("min", "max", "in", "not")
"""Keys of a condition written as a mapping: ``{"min": 3}``, ``{"not": ["south"]}``."""

_OPERATORS = ("==", "!=", "<=", ">=", "<", ">")
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
      | (?P<text>'[^']*'|"[^"]*")
      | (?P<op>==|!=|<=|>=|<|>)
      | (?P<paren>[()])
      | (?P<word>[^\W\d]\w*)
    )""",
    re.VERBOSE,
)
_FORMS = (
    "'all', 'treated', 'untreated', a list of units, a mapping such as "
    "{region: north} or {culture: {min: 3}}, or comparisons such as "
    "\"region == 'north' and culture >= 3\""
)


class SelectionError(ValueError):
    """A unit selection that cannot be read or matches nothing; the message says why."""


@dataclass(frozen=True)
class Comparison:
    """``attribute OP value``."""

    attribute: str
    operator: str
    value: Any


@dataclass(frozen=True)
class Either:
    """Any of the parts holds (``or``); :class:`Both` for ``and``."""

    parts: tuple


@dataclass(frozen=True)
class Both:
    """All of the parts hold (``and``)."""

    parts: tuple


Condition = Comparison | Either | Both


def parse_selection(choice: object, what: str = "units") -> object:
    """Check a selection's form and return it in a canonical form.

    Parameters
    ----------
    choice
        The selection, in any of the forms of the module docstring.
    what
        How to name it in messages, for example ``"Investment 'a': units"``.

    Returns
    -------
    object
        A keyword, a tuple of unit labels, a parsed condition, or the
        function as given.

    Raises
    ------
    SelectionError
        When the selection is in none of the accepted forms.
    """
    if callable(choice) and not isinstance(choice, str | Mapping):
        return choice
    if isinstance(choice, str):
        word = choice.strip()
        if word in KEYWORDS:
            return word
        return _parse_text(choice, what)
    if isinstance(choice, Mapping):
        return _from_mapping(choice, what)
    if isinstance(choice, Sequence | pd.Index | np.ndarray) and not isinstance(choice, bytes):
        labels = tuple(choice)
        if not labels:
            raise SelectionError(f"{what} is an empty list: name at least one unit.")
        return labels
    raise SelectionError(f"{what} must be {_FORMS}; got {type(choice).__name__} {choice!r}.")


def select_units(
    choice: object,
    units: pd.Index,
    attributes: pd.DataFrame,
    *,
    treated: np.ndarray | None = None,
    what: str = "units",
) -> np.ndarray:
    """Positions of the selected units.

    Parameters
    ----------
    choice
        A selection (see the module docstring).
    units
        The panel's unit labels.
    attributes
        One row per unit, in the order of ``units``.
    treated
        Boolean per unit, reached by the intervention in question; needed
        for ``"treated"`` and ``"untreated"`` (without it every unit is
        untreated).
    what
        How to name the selection in messages.

    Returns
    -------
    numpy.ndarray
        Sorted integer positions, at least one.

    Raises
    ------
    SelectionError
        For an unknown unit or attribute, a comparison of text with a
        number, or a selection that matches no unit.
    """
    parsed = parse_selection(choice, what)
    n = len(units)
    if isinstance(parsed, str):
        reached = np.zeros(n, dtype=bool) if treated is None else np.asarray(treated, dtype=bool)
        mask = {"all": np.ones(n, dtype=bool), "treated": reached, "untreated": ~reached}[parsed]
    elif isinstance(parsed, tuple):
        missing = [u for u in parsed if u not in units]
        if missing:
            raise SelectionError(f"{what}: " + unknown_name_message("unit", missing[0], units))
        mask = units.isin(list(parsed))
    elif isinstance(parsed, Comparison | Either | Both):
        mask = _evaluate(parsed, attributes, what)
    else:
        try:
            mask = np.asarray(parsed(attributes), dtype=bool)
        except Exception as err:
            raise SelectionError(f"{what}: the selection function failed: {err}") from None
        if mask.shape != (n,):
            raise SelectionError(
                f"{what}: the selection function must return one boolean per unit ({n}), "
                f"got shape {mask.shape}."
            )
    selected = np.flatnonzero(mask)
    if not len(selected):
        raise SelectionError(f"{what} selects no unit: check {describe(choice)}.")
    return selected


def describe(choice: object) -> str:
    """A short text of a selection for messages and reports."""
    if callable(choice) and not isinstance(choice, str | Mapping):
        return getattr(choice, "__name__", "a function")
    if isinstance(choice, str):
        return repr(choice)
    if isinstance(choice, Mapping):
        return ", ".join(f"{k}: {v}" for k, v in choice.items())
    labels = list(choice)
    shown = ", ".join(map(str, labels[:5]))
    return f"units {shown}" + (f" and {len(labels) - 5} more" if len(labels) > 5 else "")


# -- mappings -------------------------------------------------------------------------------
def _from_mapping(choice: Mapping, what: str) -> Condition:
    if not choice:
        raise SelectionError(f"{what} is an empty mapping: name an attribute and a condition.")
    parts = []
    for attribute, condition in choice.items():
        if not isinstance(attribute, str):
            raise SelectionError(f"{what}: attribute names are text, got {attribute!r}.")
        where = f"{what}[{attribute}]"
        if isinstance(condition, Mapping):
            unknown = [k for k in condition if k not in CONDITION_KEYS]
            if unknown or not condition:
                raise SelectionError(
                    f"{where}: a condition mapping takes {', '.join(CONDITION_KEYS)}; "
                    f"got {dict(condition)!r}."
                )
            if "min" in condition:
                parts.append(Comparison(attribute, ">=", _number(condition["min"], where, "min")))
            if "max" in condition:
                parts.append(Comparison(attribute, "<=", _number(condition["max"], where, "max")))
            if "in" in condition:
                parts.append(_any_of(attribute, condition["in"], where))
            if "not" in condition:
                for value in _values(condition["not"], where):
                    parts.append(Comparison(attribute, "!=", value))
        elif isinstance(condition, list | tuple):
            parts.append(_any_of(attribute, condition, where))
        else:
            parts.append(Comparison(attribute, "==", _scalar(condition, where)))
    return parts[0] if len(parts) == 1 else Both(tuple(parts))


def _any_of(attribute: str, values: object, where: str) -> Condition:
    values = _values(values, where)
    comparisons = tuple(Comparison(attribute, "==", v) for v in values)
    return comparisons[0] if len(comparisons) == 1 else Either(comparisons)


def _values(values: object, where: str) -> list:
    values = list(values) if isinstance(values, list | tuple) else [values]
    if not values:
        raise SelectionError(f"{where}: an empty list matches nothing.")
    return [_scalar(v, where) for v in values]


def _scalar(value: object, where: str) -> Any:
    if isinstance(value, bool) or value is None:
        raise SelectionError(f"{where}: compare with a number or a text, got {value!r}.")
    if isinstance(value, str):
        return value
    return _number(value, where, "value")


def _number(value: object, where: str, key: str) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SelectionError(f"{where}: {key} must be a number, got {value!r}.") from None
    if isinstance(value, bool) or not math.isfinite(number):
        raise SelectionError(f"{where}: {key} must be a finite number, got {value!r}.")
    return number


# -- text -----------------------------------------------------------------------------------
def _tokens(text: str, what: str) -> list[tuple[str, str]]:
    out, position = [], 0
    while position < len(text):
        if not text[position:].strip():
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            bad = text[position:].strip()[:20]
            raise SelectionError(
                f"{what} {text!r}: cannot read {bad!r}. A selection compares unit attributes "
                f"with numbers or quoted text, joined by and/or; it must be {_FORMS}."
            )
        kind = match.lastgroup
        out.append((kind, match.group(kind)))
        position = match.end()
    return out


def _parse_text(text: str, what: str) -> Condition:
    tokens = _tokens(text, what)
    if not tokens:
        raise SelectionError(f"{what} is empty: it must be {_FORMS}.")
    parser = _Parser(tokens, text, what)
    condition = parser.either()
    if parser.position != len(tokens):
        parser.fail(f"unexpected {tokens[parser.position][1]!r}")
    return condition


class _Parser:
    """Recursive descent over ``either := both ('or' both)*``, ``both := atom ('and' atom)*``."""

    def __init__(self, tokens: list[tuple[str, str]], text: str, what: str) -> None:
        self.tokens, self.text, self.what, self.position = tokens, text, what, 0

    def fail(self, problem: str) -> None:
        raise SelectionError(
            f"{self.what} {self.text!r}: {problem}. Write comparisons such as "
            "\"region == 'north' and culture >= 3\"."
        )

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            self.fail("it ends too early")
        self.position += 1
        return token  # type: ignore[return-value]

    def either(self) -> Condition:
        parts = [self.both()]
        while self.peek() == ("word", "or"):
            self.take()
            parts.append(self.both())
        return parts[0] if len(parts) == 1 else Either(tuple(parts))

    def both(self) -> Condition:
        parts = [self.atom()]
        while self.peek() == ("word", "and"):
            self.take()
            parts.append(self.atom())
        return parts[0] if len(parts) == 1 else Both(tuple(parts))

    def atom(self) -> Condition:
        kind, value = self.take()
        if (kind, value) == ("paren", "("):
            inner = self.either()
            if self.take() != ("paren", ")"):
                self.fail("a parenthesis is not closed")
            return inner
        if kind != "word" or value in ("and", "or"):
            self.fail(f"expected an attribute name, found {value!r}")
        operator = self.take()
        if operator[0] != "op":
            self.fail(f"expected one of {' '.join(_OPERATORS)} after {value!r}")
        literal = self.take()
        if literal[0] == "number":
            return Comparison(value, operator[1], float(literal[1]))
        if literal[0] == "text":
            return Comparison(value, operator[1], literal[1][1:-1])
        self.fail(f"expected a number or a quoted text after {value} {operator[1]}")
        raise AssertionError  # pragma: no cover - fail() raises


# -- evaluation -----------------------------------------------------------------------------
def _evaluate(condition: Condition, attributes: pd.DataFrame, what: str) -> np.ndarray:
    if isinstance(condition, Either):
        return np.logical_or.reduce([_evaluate(p, attributes, what) for p in condition.parts])
    if isinstance(condition, Both):
        return np.logical_and.reduce([_evaluate(p, attributes, what) for p in condition.parts])
    name = condition.attribute
    if name not in attributes.columns:
        raise SelectionError(
            f"{what}: "
            + unknown_name_message("unit attribute", name, attributes.columns)
            + " Pass it to Panel.from_frame(attributes=[...]) to select by it."
        )
    column = attributes[name]
    value = condition.value
    numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    if isinstance(value, str):
        if numeric:
            raise SelectionError(
                f"{what}: attribute {name!r} is numeric; compare it with a number, "
                f"not the text {value!r}."
            )
        left: Any = column.astype(str).to_numpy()
    else:
        if not numeric:
            raise SelectionError(
                f"{what}: attribute {name!r} holds text; compare it with a quoted text, "
                f"such as {name} == '{column.iloc[0]}'."
            )
        left = column.to_numpy(dtype=float)
    if condition.operator not in ("==", "!=") and isinstance(value, str):
        raise SelectionError(f"{what}: text attribute {name!r} compares with == or != only.")
    compare: dict[str, Callable] = {
        "==": np.equal,
        "!=": np.not_equal,
        "<": np.less,
        "<=": np.less_equal,
        ">": np.greater,
        ">=": np.greater_equal,
    }
    return np.asarray(compare[condition.operator](left, value), dtype=bool)

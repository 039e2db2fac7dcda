"""Helpers that turn a wrong name into an error message that helps."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(name: object, valid: Iterable[object]) -> str | None:
    """Return the valid name closest to ``name`` (ignoring case first), or ``None``.

    Parameters
    ----------
    name
        The name the user gave.
    valid
        The names that would have been accepted.
    """
    choices = [str(v) for v in valid]
    lowered = {c.lower(): c for c in choices}
    if str(name).lower() in lowered:
        return lowered[str(name).lower()]
    close = difflib.get_close_matches(str(name), choices, n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(name: object, valid: Iterable[object]) -> str:
    """Return a ``" Did you mean 'x'?"`` hint for ``name``, or an empty string."""
    match = closest(name, valid)
    return f" Did you mean {match!r}?" if match else ""


def unknown_name_message(kind: str, name: object, valid: Iterable[object]) -> str:
    """Explain that ``name`` is not a known ``kind`` and list what is.

    Parameters
    ----------
    kind
        What the name should have been, such as ``"stage"`` or ``"column"``.
    name
        The name the user gave.
    valid
        The names that would have been accepted.
    """
    valid = list(valid)
    shown = ", ".join(repr(str(v)) for v in valid[:20])
    if len(valid) > 20:
        shown += f", ... ({len(valid)} in all)"
    return f"unknown {kind} {name!r}.{did_you_mean(name, valid)} Choose from: {shown or 'none'}."


def format_rows(labels: Iterable[object], most: int = 5) -> str:
    """List the first few row labels (or units, or periods) of a problem.

    Parameters
    ----------
    labels
        The labels to list.
    most
        How many to show before saying how many more there are.
    """
    labels = list(labels)
    shown = ", ".join(repr(_plain(x)) for x in labels[:most])
    return shown + (f" and {len(labels) - most} more" if len(labels) > most else "")


def _plain(value: object) -> object:
    """Numpy scalars as Python scalars, so messages read ``3`` not ``np.int64(3)``."""
    item = getattr(value, "item", None)
    return item() if callable(item) and getattr(value, "ndim", None) == 0 else value

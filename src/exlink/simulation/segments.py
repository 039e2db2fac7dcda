"""Investments offered in segments: one decision per segment, valued jointly.

An :class:`~exlink.simulation.investments.Investment` with ``segments`` is
split by :func:`expand_segments` into one investment per segment, named
``"name.segment"``, each reaching its segment's share of the investment's
units. The segments of one investment share its fixed cost: simulated
together, a plan pays it once (:class:`~exlink.simulation.plans.PlanSimulator`),
so segments of one investment always interact and
:func:`~exlink.simulation.portfolio.prioritise` values their combinations
jointly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from exlink._names import unknown_name_message
from exlink._spec_checks import check_name
from exlink.simulation.investments import Investment


def expand_segments(
    investments: Sequence[Investment],
    units_of: Callable[[Investment], np.ndarray],
    unit_labels: pd.Index,
    attributes: pd.DataFrame,
    select: Callable[[object, str], np.ndarray],
) -> list[Investment]:
    """Replace every segmented investment by its segments, in place in the order.

    Parameters
    ----------
    investments
        The candidates.
    units_of
        Positions of the units an investment reaches.
    unit_labels, attributes
        The panel's units and their attributes.
    select
        ``(selection, what) -> positions`` for a segment's own selection.
    """
    out = []
    for inv in investments:
        if inv.segments is None:
            out.append(inv)
            continue
        reached = units_of(inv)
        parts = _parts(inv, reached, unit_labels, attributes, select)
        for label, positions in parts.items():
            out.append(
                dataclasses.replace(
                    inv,
                    name=f"{inv.name}.{label}",
                    units=[unit_labels[p] for p in positions],
                    segments=None,
                    segment_of=inv.name,
                )
            )
    return out


def _parts(inv, reached, unit_labels, attributes, select) -> dict[str, np.ndarray]:
    where = f"Investment {inv.name!r}: segments"
    if isinstance(inv.segments, str):
        attribute = inv.segments
        if attribute not in attributes.columns:
            raise ValueError(
                f"{where}: " + unknown_name_message("attribute", attribute, attributes.columns)
            )
        values = attributes[attribute].to_numpy()[reached]
        if pd.isna(values).any():
            missing = unit_labels[reached[pd.isna(values)][0]]
            raise ValueError(
                f"{where}: unit {missing!r} has no {attribute!r}; give it one or list the "
                "segments' units."
            )
        return {
            _label(attribute, v, where): reached[values == v] for v in sorted(set(values.tolist()))
        }
    parts = {}
    taken: dict[int, str] = {}
    for label, choice in inv.segments.items():
        positions = np.intersect1d(select(choice, f"{where}[{label!r}]"), reached)
        if not len(positions):
            raise ValueError(
                f"{where}[{label!r}] holds none of the investment's units; check its selection "
                "against the investment's units."
            )
        for p in positions:
            if p in taken:
                raise ValueError(
                    f"{where}: unit {unit_labels[p]!r} is in both {taken[p]!r} and {label!r}; "
                    "segments must not overlap."
                )
            taken[int(p)] = label
        parts[label] = positions
    return parts


def _label(attribute: str, value: object, where: str) -> str:
    """The segment's name: the attribute's value, or ``"attribute value"`` for a number."""
    text = str(value)
    for label in (text, f"{attribute} {text}"):
        try:
            return check_name(label, f"{where}: segment")
        except ValueError:
            continue
    raise ValueError(
        f"{where}: the attribute value {text!r} cannot name a segment (a name starts with "
        "a letter); list the segments with their units instead."
    )

"""Rollout structure: when each unit started, whether timing varies, placebo rollouts.

An intervention's effect is identified by contrast: units treated against
units not (yet) treated, in the same periods. If every unit starts in the same
period, the start cannot be told from a common shock of that period; if no
unit is left untreated, only the timing of the waves carries the contrast.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from exlink._moved import renamed_attributes

MIN_TREATED_UNITS = 5
"""Fewer treated units than this and an effect rests on a handful of units."""


def start_periods(rollout: np.ndarray) -> np.ndarray:
    """Index of each unit's first period with a positive rollout, -1 if never treated.

    Examples
    --------
    >>> start_periods(np.array([[0, 1, 1], [0, 0, 0], [1, 1, 0]]))
    array([ 1, -1,  0])
    """
    treated = np.asarray(rollout) > 0
    return np.where(treated.any(axis=1), treated.argmax(axis=1), -1)


def relative_periods(rollout: np.ndarray) -> np.ndarray:
    """Periods since each unit's start (negative before it), NaN for never-treated units."""
    starts = start_periods(rollout)
    t = np.arange(np.shape(rollout)[1])
    out = (t[None, :] - starts[:, None]).astype(float)
    out[starts < 0] = np.nan
    return out


def rollout_variation(names: tuple[str, ...], rollouts: np.ndarray) -> pd.DataFrame:
    """How each intervention was rolled out, and whether that can identify its effect.

    Parameters
    ----------
    names
        Intervention names.
    rollouts
        Shape ``(interventions, units, periods)``.

    Returns
    -------
    pandas.DataFrame
        One row per intervention: ``intervention``, ``treated_units``,
        ``untreated_units``, ``start_periods`` (distinct start periods),
        ``identified`` and ``warning`` (empty when the rollout can identify
        the effect).
    """
    rows = []
    for name, rollout in zip(names, rollouts, strict=True):
        starts = start_periods(np.nan_to_num(rollout))
        treated = int((starts >= 0).sum())
        untreated = int((starts < 0).sum())
        distinct = len(np.unique(starts[starts >= 0]))
        warning = ""
        if treated == 0:
            warning = f"{name!r} was never rolled out: the data say nothing about its effect"
        elif distinct == 1 and untreated == 0:
            warning = (
                f"every unit started {name!r} in the same period: its effect cannot be told "
                "from a shock common to that period; its estimate is the prior's"
            )
        elif untreated == 0:
            warning = (
                f"no unit was left without {name!r}: its effect rests on the timing of the "
                "waves alone (late starters as the controls of early ones)"
            )
        elif distinct == 1:
            warning = (
                f"every treated unit started {name!r} in the same period: there is no staggered "
                "timing to check pre-trends against"
            )
        elif treated < MIN_TREATED_UNITS:
            warning = f"only {treated} unit(s) received {name!r}: its effect rests on them alone"
        rows.append(
            {
                "intervention": name,
                "treated_units": treated,
                "untreated_units": untreated,
                "start_periods": distinct,
                "identified": treated > 0 and not (distinct == 1 and untreated == 0),
                "warning": warning,
            }
        )
    columns = [
        "intervention",
        "treated_units",
        "untreated_units",
        "start_periods",
        "identified",
        "warning",
    ]
    return pd.DataFrame(rows, columns=columns)


def early_rollout(rollout: np.ndarray, shift: int) -> np.ndarray:
    """A placebo rollout: on for the ``shift`` periods before each unit's real start.

    Examples
    --------
    >>> early_rollout(np.array([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0]]), 2)
    array([[0., 1., 1., 0., 0.],
           [0., 0., 0., 0., 0.]])
    """
    if isinstance(shift, bool) or not isinstance(shift, int | np.integer) or shift < 1:
        raise ValueError(f"shift must be a whole number of periods >= 1, got {shift!r}.")
    starts = start_periods(rollout)
    out = np.zeros(np.shape(rollout))
    for u, s in enumerate(starts):
        if s > 0:
            out[u, max(s - shift, 0) : s] = 1.0
    return out


def borrowed_rollout(rollout: np.ndarray, seed: int = 0) -> np.ndarray:
    """A placebo rollout: the treated units' schedules given to units that were never treated.

    Each never-treated unit, in random order, takes the schedule of one
    treated unit; when there are fewer never-treated units than treated ones,
    a random subset of the schedules is used.

    Raises
    ------
    ValueError
        When no unit was left untreated, or none was treated.
    """
    starts = start_periods(rollout)
    treated, untreated = np.flatnonzero(starts >= 0), np.flatnonzero(starts < 0)
    if not len(treated) or not len(untreated):
        raise ValueError(
            "a placebo in space needs treated and never-treated units; this rollout has "
            f"{len(treated)} treated and {len(untreated)} never-treated."
        )
    rng = np.random.default_rng(seed)
    donors = rng.permutation(treated)
    receivers = rng.permutation(untreated)
    out = np.zeros(np.shape(rollout))
    for donor, receiver in zip(np.resize(donors, len(receivers)), receivers, strict=True):
        out[receiver] = np.asarray(rollout)[donor]
    return out


__getattr__ = renamed_attributes(
    __name__, {"placebo_in_time": "early_rollout", "placebo_in_space": "borrowed_rollout"}
)

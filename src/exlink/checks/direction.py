"""Reverse direction: does the target predict the source as the source predicts the target.

For a link ``source -> target`` with lag ``L``, two panel regressions with unit
and period fixed effects and unit-clustered standard errors:

- forward: ``target[t]`` on ``source[t-L]``, holding ``target[t-1]``;
- reverse: ``source[t+L']`` on ``target[t]``, holding ``source[t+L'-1]``, with
  ``L' = max(L, 1)`` (the target's effect on the source must take time).

Holding each outcome's own last value makes these Granger-style: each asks
whether one stage tells the next change of the other. Strengths are compared
as partial correlations, which do not depend on the stages' units. When the
link is causal and runs one way, the reverse association is nil. When the
target predicts the source clearly, and at least a third as strongly as the
source predicts the target, the data cannot tell the chain's direction from
reverse causation (happy customers making happy staff) or a common cause (a
good manager lifting both); the link's effect is then not a causal effect.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from exlink.checks.result import FAILED, NOT_RUN, PASSED, CheckResult, verdict_row
from exlink.models.fixed_effects import shifted, two_way_ols

if TYPE_CHECKING:
    from exlink.models.chain import ChainModel

RATIO = 1 / 3
"""The reverse association fails the check when at least this share of the forward one."""


def reverse_direction(
    model: ChainModel,
    links: Sequence[str] | None = None,
    *,
    level: float = 0.95,
    ratio: float = RATIO,
) -> CheckResult:
    """Compare each link's forward association with the reverse one.

    Parameters
    ----------
    model
        A built or fitted :class:`~exlink.models.chain.ChainModel` (only its
        data and structure are used).
    links
        Link labels to check (default: every link between two stages).
    level
        Probability of the intervals of the partial correlations.
    ratio
        A link fails when the reverse partial correlation is clearly not zero
        and at least ``ratio`` times the forward one (in absolute value).

    Returns
    -------
    CheckResult
        One row per link: ``forward`` and ``reverse`` partial correlations
        with their intervals.
    """
    design = model.design
    raw = design.scored_original_values()
    terms = [t for t in design.links if t.source != t.target]
    if links is not None:
        wanted = [links] if isinstance(links, str) else list(links)
        known = [t.label for t in terms]
        for label in wanted:
            if label not in known:
                from exlink._names import unknown_name_message

                raise ValueError(unknown_name_message("link", label, known))
        terms = [t for t in terms if t.label in wanted]
    z = stats.norm.ppf(0.5 + level / 2)
    rows = []
    for term in terms:
        source, target = raw[term.source], raw[term.target]
        ahead = max(term.lag, 1)
        forward = _partial(target, shifted(source, term.lag), shifted(target, 1), z)
        reverse = _partial(shifted(source, -ahead), target, shifted(source, -ahead + 1), z)
        rows.append(_verdict(term.label, forward, reverse, ratio))
    table = pd.DataFrame(rows)
    return CheckResult("reverse_direction", table, table)


def _partial(y: np.ndarray, x: np.ndarray, own: np.ndarray, z: float) -> tuple[float, ...]:
    """Partial correlation of ``y`` and ``x`` given ``own`` and fixed effects, with its interval."""
    result = two_way_ols(y, {"x": x, "own": own})
    t, df = float(result.tvalues["x"]), float(result.df_resid)
    r = t / np.sqrt(t**2 + df)
    half = z / np.sqrt(max(df - 1, 1))
    return r, float(np.tanh(np.arctanh(r) - half)), float(np.tanh(np.arctanh(r) + half))


def _verdict(label: str, forward: tuple, reverse: tuple, ratio: float) -> dict:
    (f, f_low, f_high), (r, r_low, r_high) = forward, reverse
    numbers = {
        "forward": f,
        "forward_lower": f_low,
        "forward_upper": f_high,
        "reverse": r,
        "reverse_lower": r_low,
        "reverse_upper": r_high,
    }
    clear_reverse = not (r_low <= 0 <= r_high)
    clear_forward = not (f_low <= 0 <= f_high)
    text = (
        f"forward {f:.2f} [{f_low:.2f}, {f_high:.2f}], reverse {r:.2f} [{r_low:.2f}, {r_high:.2f}]"
    )
    if clear_reverse and abs(r) >= ratio * abs(f):
        status = FAILED
        message = (
            f"{text}: the target predicts the source nearly as well as the source the target; "
            "reverse causation or a common cause (such as good management lifting both) can "
            "explain the link, so its effect is not a causal estimate"
        )
    elif not clear_forward and not clear_reverse:
        status = NOT_RUN
        message = f"{text}: neither direction is clear in the data (a weak or broken link)"
    else:
        status = PASSED
        message = f"{text}: the association runs from source to target"
    return verdict_row(label, status, message + ".", **numbers)

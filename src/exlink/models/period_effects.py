"""Period effects: zero-sum over periods, centred or not, and through period levels.

See :func:`period_effects` for the choice between the centred and the
non-centred form, and :mod:`exlink.models.levels` for period levels that
follow a latent source's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from exlink.dims import PERIOD, STAGE
from exlink.models.design import ChainDesign
from exlink.models.levels import SourceLevel, level_sources, zero_sum_levels
from exlink.models.reliability import signal_share

CENTRED_PERIODS_FROM_UNITS = 30
"""Period effects are centred when at least this many units inform each period."""


def period_effects(
    period_sd: pt.TensorVariable,
    design: ChainDesign,
    coords: dict,
    slopes: Mapping[int, pt.TensorVariable] | None = None,
    order: Sequence[int] = (),
) -> pt.TensorVariable:
    """Zero-sum period effects of every stage, with spreads ``period_sd``.

    Each period effect is informed by every unit's observation in that
    period. With many units the likelihood pins it down far more tightly than
    its spread does, and the centred form samples best: its draws barely
    depend on ``period_sd``. The non-centred form would then tie every
    period's raw value to ``period_sd`` and mix worse the more units there
    are. With few units the prior dominates, and the non-centred form avoids
    the funnel between the effects and their spread. A survey stage's values
    carry sampling error, so its units count in proportion to the share of
    signal in them (:func:`~exlink.models.reliability.signal_share`): a stage
    is centred when ``units x signal share`` reaches
    :data:`CENTRED_PERIODS_FROM_UNITS`. ``benchmarks/convergence.py`` measures
    both forms.

    ``slopes`` holds, by link index, the slope of each link of
    :func:`period_level_links` (links out of latent stages between two centred
    stages; a moderated slope is averaged over units): the target's period
    effects are then sampled through its period levels, which follow the
    source's, lagged, as unit levels do (:mod:`exlink.models.levels`). A
    survey stage's period-to-period swings are uncertain, and a lagged
    target's period effects were tied to its source's (a correlation of -0.7
    between NPS's and revenue's a month later on
    ``benchmarks/fit_speed.py``'s case (b)). ``order`` is the stages in the
    chain's order.
    """
    centred = centred_periods(design)
    n_periods = len(coords[PERIOD])
    sources = [
        SourceLevel(
            design.links[i].target, design.links[i].source, _mean_slope(b), design.links[i].lag
        )
        for i, b in (slopes or {}).items()
    ]
    if centred.all() and sources:
        zero = [pt.zeros(n_periods)] * len(centred)
        sigma = period_sd[:, None]
        _, rows = zero_sum_levels(
            "period_level", zero, sigma, sources, order, (STAGE, PERIOD), n_periods
        )
        return pm.Deterministic("period_effect", pt.stack(rows), dims=(STAGE, PERIOD))
    if centred.all():
        return pm.ZeroSumNormal("period_effect", sigma=period_sd[:, None], dims=(STAGE, PERIOD))
    if not centred.any():
        raw = pm.ZeroSumNormal("period_effect_raw", sigma=1.0, dims=(STAGE, PERIOD))
        return pm.Deterministic("period_effect", period_sd[:, None] * raw, dims=(STAGE, PERIOD))
    inside, outside = np.flatnonzero(centred), np.flatnonzero(~centred)
    model = pm.modelcontext(None)
    model.add_coord(CENTRED_STAGE, [coords[STAGE][j] for j in inside])
    model.add_coord(NONCENTRED_STAGE, [coords[STAGE][j] for j in outside])
    if sources:
        row = {j: r for r, j in enumerate(inside)}
        _, rows = zero_sum_levels(
            "period_level_centred",
            [pt.zeros(n_periods)] * len(inside),
            period_sd[inside][:, None],
            [SourceLevel(row[s.target], row[s.source], s.weight, s.lag) for s in sources],
            [row[j] for j in order if j in row],
            (CENTRED_STAGE, PERIOD),
            n_periods,
        )
        direct = pt.stack(rows)
    else:
        direct = pm.ZeroSumNormal(
            "period_effect_centred",
            sigma=period_sd[inside][:, None],
            dims=(CENTRED_STAGE, PERIOD),
        )
    raw = pm.ZeroSumNormal("period_effect_raw", sigma=1.0, dims=(NONCENTRED_STAGE, PERIOD))
    effects = pt.zeros((len(centred), len(coords[PERIOD])))
    effects = pt.set_subtensor(effects[inside], direct)
    effects = pt.set_subtensor(effects[outside], period_sd[outside][:, None] * raw)
    return pm.Deterministic("period_effect", effects, dims=(STAGE, PERIOD))


def centred_periods(design: ChainDesign) -> np.ndarray:
    """Whether each stage's period effects are centred (see :func:`period_effects`)."""
    n_units = design.shape[0]
    return np.array(
        [
            n_units * signal_share(design, j) >= CENTRED_PERIODS_FROM_UNITS
            for j in range(len(design.stage_names))
        ]
    )


def period_level_links(design: ChainDesign) -> list[int]:
    """The links whose target's period levels follow their latent source's, by index."""
    if design.cross_sectional:
        return []
    centred = centred_periods(design)
    return [
        i
        for i, source in level_sources(design).items()
        if centred[source] and centred[design.links[i].target]
    ]


def _mean_slope(slope: pt.TensorVariable) -> pt.TensorVariable:
    """A link's slope on average over units (moderated slopes vary by unit)."""
    return slope.mean() if slope.ndim == 2 else slope


CENTRED_STAGE = "period_centred_stage"
"""Dimension of the stages whose period effects are centred, when only some are."""
NONCENTRED_STAGE = "period_noncentred_stage"
"""Dimension of the stages whose period effects are non-centred, when only some are."""

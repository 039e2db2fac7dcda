"""Unit effects sampled through each unit's level, apart from the slopes that explain it.

In a stage's equation::

    mu[j,u,t] = intercept[j] + a[j,u] + ... + sum over terms k into j  slope_k[u] * x_k[u,t]

(``x_k`` a link's source values through its curve, lagged, or an
intervention's exposure) the data pin down each unit's *level*, its unit
effect plus what its terms contribute on average over its periods, far more
tightly than the unit effect ``a[j,u]`` itself: a unit whose source runs high
could have a high slope and a low unit effect, or the reverse. Sampled as
``a``, every unit effect is tied to every slope into its stage, and a
sampler with a diagonal mass matrix needs long trajectories to move along
that ridge (on the bundled bank, the autoregression of engagement mixed
slowest of all quantities). So the sampler moves the level instead::

    level[j,u] = a[j,u] + shift[j,u],
    shift[j,u] = sum over k  slope_k[u] * c_k[u]   minus its mean over units,

where ``c_k[u]`` is unit ``u``'s mean, over its periods in which stage
``j`` is modelled, of data close to ``x_k``: a link's source values as
observed (survey means for a survey stage; a curve is close to its source
over the source's central range), an intervention's rollout. They are fixed
when the model is built (:attr:`~exlink.models.design.ChainDesign.term_means`),
so the shift depends on the slopes only, never on ``a``: ``(level, the rest)
-> (a, the rest)`` has a Jacobian of one and ``a``'s prior carries over
unchanged, ``level ~ shift + ZeroSumNormal(unit_sd)``. Any ``c`` keeps this
exact; one close to the unit's mean of ``x_k`` frees the level from the
slopes. This is the same model, exactly, with the same prior and posterior
for every quantity; ``unit_effect`` is recorded as before, as
``level - shift``. A prediction from the fitted draws on other data keeps
the fitted ``c``. A model saved before unit levels has no ``level`` draws;
its graph samples ``a`` directly (``ChainDesign.term_means`` is ``None``).

A link out of a stage whose true values are latent (a survey stage measured
with sampling error, a construct) takes its source's *level* as ``c``
instead of data: the true values' mean over a unit's periods is uncertain,
and with data in its place each target's level was tied to its source's (a
correlation of -0.75 between NPS's and revenue's levels on
``benchmarks/fit_speed.py``'s case (b)). Then ``shift[j]`` depends on the
levels of stages before ``j`` in the chain's order, never on its own or a
later one's: ``level -> a`` is triangular with ones on its diagonal, and its
Jacobian is still one. A link from a latent stage that does not come before
its target (one pointing back up the chain) keeps its data mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pymc as pm
import pytensor.tensor as pt

from exlink.dims import STAGE, UNIT
from exlink.models.levels import SourceLevel, zero_sum_levels

LEVEL = "unit_level"
"""The sampled quantity: each stage's unit effects plus their terms' shift."""


@dataclass(frozen=True)
class Term:
    """One term of a stage's equation, ``slope * x``, by its mean over each unit's periods.

    Attributes
    ----------
    target
        The stage whose equation holds the term.
    slope
        A scalar, or one per unit ``(units, 1)``.
    mean
        ``(units,)``: each unit's mean of ``x`` over its periods in which the
        target is modelled and ``x`` is known
        (:meth:`~exlink.models.design.ChainDesign.unit_term_means`), or
        ``None`` when the mean is the level of stage ``source``.
    source
        A stage before ``target`` in the chain's order whose level stands for
        the term's mean (a link out of a latent stage), or ``None``.
    """

    target: int
    slope: pt.TensorVariable
    mean: pt.TensorVariable | None
    source: int | None = None

    def __post_init__(self) -> None:
        if (self.mean is None) == (self.source is None):
            raise ValueError("a term's mean is either data or its source stage's level")


def unit_effects(
    unit_sd: pt.TensorVariable,
    terms: Sequence[Term],
    n_stages: int,
    n_units: int,
    order: Sequence[int] = (),
) -> list[pt.TensorVariable]:
    """Zero-sum unit effects with spreads ``unit_sd``, sampled as levels.

    Parameters
    ----------
    unit_sd
        Each stage's spread of unit effects.
    terms
        Every term of every stage's equation that varies by unit.
    n_stages, n_units
        The effects' shape.
    order
        The stages in the chain's order, every term's ``source`` before its
        ``target``; needed only when a term has a source.

    Returns
    -------
    list of TensorVariable
        Each stage's unit effects, shape ``(units,)``. They are recorded as
        ``unit_effect`` ``(stages, units)``.
    """
    if not terms:
        effects = pm.ZeroSumNormal("unit_effect", sigma=unit_sd[:, None], dims=(STAGE, UNIT))
        return [effects[j] for j in range(n_stages)]
    fixed: list[pt.TensorVariable | None] = [None] * n_stages
    for term in terms:
        if term.source is None:
            before = fixed[term.target]
            part = _per_unit(term.slope) * term.mean
            fixed[term.target] = part if before is None else before + part
    fixed = [pt.zeros(n_units) if s is None else s - s.mean() for s in fixed]
    sources = [
        SourceLevel(term.target, term.source, _per_unit(term.slope))
        for term in terms
        if term.source is not None
    ]
    level, effects = zero_sum_levels(
        LEVEL,
        fixed,
        unit_sd[:, None],
        sources,
        order or range(n_stages),
        (STAGE, UNIT),
        n_units,
    )
    recorded = pt.stack(effects) if sources else level - pt.stack(fixed)
    pm.Deterministic("unit_effect", recorded, dims=(STAGE, UNIT))
    return effects


def _per_unit(slope: pt.TensorVariable) -> pt.TensorVariable:
    """A scalar slope, or one per unit ``(units, 1)`` as ``(units,)``."""
    return slope[:, 0] if slope.ndim == 2 else slope

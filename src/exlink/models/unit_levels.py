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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from exlink.dims import STAGE, UNIT

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
        (:meth:`~exlink.models.design.ChainDesign.unit_term_means`).
    """

    target: int
    slope: pt.TensorVariable
    mean: pt.TensorVariable


def unit_effects(
    unit_sd: pt.TensorVariable, terms: Sequence[Term], n_stages: int, n_units: int
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

    Returns
    -------
    list of TensorVariable
        Each stage's unit effects, shape ``(units,)``. They are recorded as
        ``unit_effect`` ``(stages, units)``.
    """
    if not terms:
        effects = pm.ZeroSumNormal("unit_effect", sigma=unit_sd[:, None], dims=(STAGE, UNIT))
        return [effects[j] for j in range(n_stages)]
    shifts: list[pt.TensorVariable | None] = [None] * n_stages
    for term in terms:
        slope = term.slope[:, 0] if term.slope.ndim == 2 else term.slope
        before = shifts[term.target]
        part = slope * term.mean
        shifts[term.target] = part if before is None else before + part
    shifts = [pt.zeros(n_units) if s is None else s - s.mean() for s in shifts]
    shift = pt.stack(shifts)

    def shifted(shift, sigma, size):
        return shift + pm.ZeroSumNormal.dist(sigma=sigma, support_shape=(n_units,))

    def logp(value, shift, sigma):
        # ZeroSumNormal's density of value - shift, over n_units - 1 degrees of freedom.
        free = (n_units - 1) / n_units
        return pt.sum(
            -0.5 * ((value - shift) / sigma) ** 2
            - free * (0.5 * np.log(2 * np.pi) + pt.log(sigma)),
            axis=-1,
        )

    def start(rv, size, shift, sigma):
        # Zero, whatever the data: nutpie starts from jittered slopes, and a start
        # read from the term means would differ between two panels sharing a
        # compiled model (:mod:`exlink.models.compiled_models`).
        return pt.zeros((n_stages, n_units))

    level = pm.CustomDist(
        LEVEL,
        shift,
        unit_sd[:, None],
        dist=shifted,
        logp=logp,
        support_point=start,
        dims=(STAGE, UNIT),
        transform=pm.distributions.transforms.ZeroSumTransform([-1]),
    )
    pm.Deterministic("unit_effect", level - shift, dims=(STAGE, UNIT))
    # Each stage's equation reads its own row, not a row of the stacked shifts: the
    # gradient then stays one term per stage.
    return [level[j] - s for j, s in enumerate(shifts)]

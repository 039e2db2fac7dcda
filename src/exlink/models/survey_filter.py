"""Survey stages' true values integrated out exactly, by sequential conditioning.

Within an :class:`~exlink.models.integration.IntegratedGroup`, per unit and
slice ``t`` of the group, the true values ``x`` of the integrated stages and
the values of the targets of their links form a linear Gaussian network::

    x[s]  = m[s] + sum over links a -> s  b[a,s] * x[a] + e[s],   e[s] ~ Normal(0, sigma[s])
    ybar[s] = x[s] + Normal(0, 1 / sqrt(w[s]))        (a latent stage's survey mean)
    y[k]  = m[k] + sum over links a -> k  b[a,k] * x[a] + e[k]   (an observed target)

where ``m`` is the part of each stage's expected value that does not come
through an integrated stage, ``b`` a link's slope and ``w = n / s**2`` the
precision of a survey mean. Visiting the stages with sources before targets,
the joint distribution of the true values seen so far, given the values
observed so far, stays normal with mean ``M`` and covariance ``C``. Each
stage's observed value then has a normal predictive distribution given
everything before it (the *prediction-error decomposition* of a Kalman
filter)::

    a new latent stage:  x[s] ~ Normal(m[s] + b'M, b'Cb + sigma[s]**2)
                         ybar[s] ~ Normal(that mean, that variance + 1 / w[s])
    an observed target:  y[k] ~ Normal(m[k] + b'M, b'Cb + sigma[k]**2 (+ 1 / w[k]))

and ``M, C`` are updated with the observed value by the Kalman gain. The
product of these predictive densities is exactly the likelihood with the true
values integrated out, and after the last stage ``M`` is each true value's
mean given every value of its unit and slice: the value its links' targets
are predicted from (:meth:`~exlink.models.chain.ChainModel.predict`).

In cells where a latent stage's equation is not defined (its leading
periods) its true value is ``Normal(0, 1)``, as when it is sampled; a
target's value enters where its expected value is defined and it is observed
or imputed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pytensor.tensor as pt

from exlink.models.design import ChainDesign
from exlink.models.integration import IntegratedGroup


@dataclass(frozen=True)
class Filtered:
    """What integrating one group gives, on each stage's own ``(units, periods)`` grid.

    Attributes
    ----------
    mean, variance
        Stage -> the predictive mean and variance of its observed values
        given the values before it in the group (for a latent stage, of its
        true value: add ``1 / w`` for its survey mean).
    expected
        Latent stage -> its true values' mean given every observed value of
        the group.
    """

    mean: Mapping[int, pt.TensorVariable]
    variance: Mapping[int, pt.TensorVariable]
    expected: Mapping[int, pt.TensorVariable]


def integrate_group(
    design: ChainDesign,
    group: IntegratedGroup,
    base: Mapping[int, pt.TensorVariable],
    sigma: pt.TensorVariable,
    slopes: Mapping[int, pt.TensorVariable],
    values: Mapping[int, pt.TensorVariable],
    weights: Mapping[int, pt.TensorVariable],
) -> Filtered:
    """Integrate one group's true values out, unit by unit and slice by slice.

    Parameters
    ----------
    design
        The model's design.
    group
        The group.
    base
        Stage -> its expected values without the links out of the group's
        latent stages, shape ``(units, periods)``.
    sigma
        Every stage's equation spread.
    slopes
        Link position -> its slope, a scalar or one per unit ``(units, 1)``.
    values
        Stage -> its values: a latent stage's survey means (0 where absent),
        an observed target's values with missing ones imputed.
    weights
        Survey stage -> the precision ``n / s**2`` of its means (0 where absent).
    """
    grid = _Grid(design, group)
    mean: dict[int, pt.TensorVariable] = {}
    cov: dict[tuple[int, int], pt.TensorVariable] = {}

    def c(a: int, b: int) -> pt.TensorVariable:
        return cov[(a, b) if (a, b) in cov else (b, a)]

    def condition(cross: dict[int, pt.TensorVariable], gain, innovation) -> None:
        """Condition the state on one value whose covariance with each true value is ``cross``."""
        for a in mean:
            mean[a] = mean[a] + cross[a] * gain * innovation
        for key in cov:
            cov[key] = cov[key] - cross[key[0]] * cross[key[1]] * gain

    out_mean, out_variance = {}, {}
    for s in group.order:
        load: dict[int, pt.TensorVariable] = {}
        for i in group.links:
            term = design.links[i]
            if term.target == s:
                load[term.source] = load.get(term.source, 0.0) + slopes[i]
        predicted = grid.to_group(base[s], s) + sum(b * mean[a] for a, b in load.items())
        cross = {a: sum(b * c(a, other) for other, b in load.items()) for a in mean}
        variance = sum(load[a] * cross[a] for a in load) + sigma[s] ** 2
        modelled = grid.mask(design.modelled(s), s)
        y = grid.to_group(values[s], s)
        if s in group.latent:
            predicted = pt.where(modelled, predicted, 0.0)
            variance = pt.where(modelled, variance, 1.0)
            cross = {a: pt.where(modelled, v, 0.0) for a, v in cross.items()}
            mean[s] = predicted
            for a, v in cross.items():
                cov[(a, s)] = v
            cov[(s, s)] = variance
            cross[s] = variance
            w = grid.to_group(weights[s], s)
            condition(cross, w / (w * variance + 1.0), y - predicted)
        else:
            if s in weights:
                present = design.surveys[s].n > 0
                safe = pt.where(present, weights[s], 1.0)
                variance = variance + grid.to_group(pt.where(present, 1.0 / safe, 0.0), s)
            enters = grid.mask(_enters(design, s), s)
            condition(
                cross, pt.where(enters, 1.0 / variance, 0.0), pt.where(enters, y - predicted, 0.0)
            )
        out_mean[s] = grid.to_time(predicted, s)
        out_variance[s] = grid.to_time(variance, s)
    expected = {a: grid.to_time(mean[a], a) for a in group.latent}
    return Filtered(out_mean, out_variance, expected)


def _enters(design: ChainDesign, j: int) -> np.ndarray:
    """Cells whose value conditions the group: modelled and observed or imputed."""
    cells = np.zeros(design.shape, dtype=bool).ravel()
    cells[design.observed_cells(j)] = True
    cells[design.imputed_cells(j)] = True
    return cells.reshape(design.shape) & design.modelled(j)


class _Grid:
    """A group's slices: stage ``s`` at time ``t`` sits in slice ``t - offset[s] + span``."""

    def __init__(self, design: ChainDesign, group: IntegratedGroup) -> None:
        self.n_units, self.n_periods = design.shape
        self.group = group
        self.span = group.span

    def _pads(self, s: int) -> tuple[int, int]:
        offset = self.group.offsets[s]
        return self.span - offset, offset

    def to_group(self, x, s: int):
        """``(units, periods)`` -> ``(units, periods + span)``, zero outside the stage's times."""
        before, after = self._pads(s)
        if not before and not after:
            return x
        x = pt.broadcast_to(x, (self.n_units, self.n_periods))
        return pt.concatenate(
            [pt.zeros((self.n_units, before)), x, pt.zeros((self.n_units, after))], axis=1
        )

    def mask(self, cells: np.ndarray, s: int) -> np.ndarray:
        """A boolean ``(units, periods)`` array on the group's slices, False outside."""
        return np.pad(cells, ((0, 0), self._pads(s)), constant_values=False)

    def to_time(self, x, s: int):
        """``(units, periods + span)`` -> the stage's own ``(units, periods)``."""
        before, _ = self._pads(s)
        if not self.span:
            return x
        x = pt.broadcast_to(x, (self.n_units, self.n_periods + self.span))
        return x[:, before : before + self.n_periods]

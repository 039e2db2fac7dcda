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

The state need not hold every true value seen so far. Once a true value
``x[a]`` feeds no stage still to come except through links into stages
``t``, only ``b[a,t] * x[a]`` matters to them: it is added to an entry
``in[t]``, the part of ``t``'s expected value from true values no longer in
the state, and ``x[a]`` leaves. A true value leaves as soon as that does not
make the state larger. Where six pillars feed NPS, the state holds one entry
for NPS instead of six pillars; the cost of conditioning grows with the
square of the state, so this is what keeps large groups affordable. The
predictive distributions are unchanged (the state is a linear function of
the same normal vector); the means of every true value given the whole
group are read from a second pass that keeps them all, which the log
density does not need.

A folded target (:mod:`exlink.models.integration`) comes last: its entry
``in[k]``, the sum of the group's links into it, has a normal distribution
given every value of the group, ``Normal(b'M, b'Cb)``, which the graph
samples from; nothing is conditioned on it.

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
        true value: add ``1 / w`` for its survey mean). For the folded
        target, the mean and variance of the group's input to it (the sum of
        its links from the group's latent stages) given every value of the
        group.
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
    run = _Pass(design, group, grid, _children(design, group, slopes), base, sigma, values, weights)
    # The likelihood's pass keeps the state small; the full pass is only read for the
    # true values' means, outside the log density.
    mean, variance, _ = run(fold=True)
    _, _, state = run(fold=False)
    expected = {a: grid.to_time(state.mean[("x", a)], a) for a in group.latent}
    return Filtered(mean, variance, expected)


def _children(design: ChainDesign, group: IntegratedGroup, slopes) -> dict[int, dict[int, object]]:
    """Latent stage -> the stages its links feed -> the links' summed slope."""
    children: dict[int, dict[int, object]] = {s: {} for s in group.latent}
    for i in group.links:
        term = design.links[i]
        kids = children[term.source]
        kids[term.target] = kids.get(term.target, 0.0) + slopes[i]
    return children


class _State:
    """The joint normal of the state's entries given the values seen so far.

    An entry is ``("x", a)``, latent stage ``a``'s true value, or ``("in", t)``,
    the part of stage ``t``'s expected value that comes from true values no
    longer in the state (``sum of b[a,t] * x[a]`` over those ``a``).
    """

    def __init__(self) -> None:
        self.mean: dict[tuple[str, int], pt.TensorVariable] = {}
        self.cov: dict[tuple[tuple[str, int], tuple[str, int]], pt.TensorVariable] = {}

    def c(self, a, b) -> pt.TensorVariable:
        return self.cov[(a, b) if (a, b) in self.cov else (b, a)]

    def condition(self, cross, gain, innovation) -> None:
        """Condition on one value whose covariance with each entry is ``cross``."""
        for a in self.mean:
            self.mean[a] = self.mean[a] + cross[a] * gain * innovation
        for key in self.cov:
            self.cov[key] = self.cov[key] - cross[key[0]] * cross[key[1]] * gain

    def drop(self, a) -> None:
        del self.mean[a]
        self.cov = {k: v for k, v in self.cov.items() if a not in k}

    def fold(self, a, into, b) -> None:
        """``into += b * a``, ``into`` created at 0 when absent."""
        if into not in self.mean:
            self.mean[into] = 0.0
            for k in self.mean:
                self.cov[(into, k)] = 0.0
        before = self.c(a, into)
        self.mean[into] = self.mean[into] + b * self.mean[a]
        for k in self.mean:
            if k != into:
                key = (into, k) if (into, k) in self.cov else (k, into)
                self.cov[key] = self.cov[key] + b * self.c(a, k)
        key = (into, into)
        self.cov[key] = self.cov[key] + b * (before + self.c(a, into))


class _Pass:
    """One pass of sequential conditioning over a group's stages, sources first.

    With ``fold``, a true value leaves the state as soon as keeping it is no
    smaller than keeping its share of the stages it still feeds: it is added
    to their ``("in", t)`` entries. The state then holds what the stages still
    to come depend on, not every true value: a stage fed by six others costs
    one entry, not six. Both passes give the same predictive distributions.
    """

    def __init__(self, design, group, grid, children, base, sigma, values, weights) -> None:
        self.design, self.group, self.grid, self.children = design, group, grid, children
        self.base, self.sigma, self.values, self.weights = base, sigma, values, weights

    def __call__(self, fold: bool):
        design, group, grid, state = self.design, self.group, self.grid, _State()
        out_mean, out_variance = {}, {}
        self.largest = 0
        for step, s in enumerate(group.order):
            load = {("x", a): kids[s] for a, kids in self.children.items() if s in kids}
            load = {k: b for k, b in load.items() if k in state.mean}
            if ("in", s) in state.mean:
                load[("in", s)] = 1.0
            inflow = sum(b * state.mean[a] for a, b in load.items())
            cross = {a: sum(b * state.c(a, k) for k, b in load.items()) for a in state.mean}
            spread = sum(load[a] * cross[a] for a in load)
            if s in group.folded:
                # The group's input to a folded target, given every value of the group
                # (it comes last): sampled by the graph, never conditioned on here.
                out_mean[s] = grid.to_time(inflow, s)
                out_variance[s] = grid.to_time(spread, s)
                continue
            predicted = grid.to_group(self.base[s], s) + inflow
            variance = spread + self.sigma[s] ** 2
            modelled = grid.mask(design.modelled(s), s)
            y = grid.to_group(self.values[s], s)
            if s in group.latent:
                me = ("x", s)
                predicted = pt.where(modelled, predicted, 0.0)
                variance = pt.where(modelled, variance, 1.0)
                cross = {a: pt.where(modelled, v, 0.0) for a, v in cross.items()}
                state.mean[me] = predicted
                for a, v in cross.items():
                    state.cov[(a, me)] = v
                state.cov[(me, me)] = variance
                cross[me] = variance
                w = grid.to_group(self.weights[s], s)
                state.condition(cross, w / (w * variance + 1.0), y - predicted)
            else:
                if s in self.weights:
                    present = design.surveys[s].n > 0
                    safe = pt.where(present, self.weights[s], 1.0)
                    variance = variance + grid.to_group(pt.where(present, 1.0 / safe, 0.0), s)
                enters = grid.mask(_enters(design, s), s)
                state.condition(
                    cross,
                    pt.where(enters, 1.0 / variance, 0.0),
                    pt.where(enters, y - predicted, 0.0),
                )
            if ("in", s) in state.mean:
                state.drop(("in", s))
            self.largest = max(self.largest, len(state.mean))
            if fold:
                self._fold(state, step)
            out_mean[s] = grid.to_time(predicted, s)
            out_variance[s] = grid.to_time(variance, s)
        return out_mean, out_variance, state

    def _fold(self, state: _State, step: int) -> None:
        """Fold every true value that no longer needs its own entry into what it feeds."""
        later = set(self.group.order[step + 1 :])
        for key in [k for k in state.mean if k[0] == "x"]:
            feeds = {t: b for t, b in self.children[key[1]].items() if t in later}
            if sum(("in", t) not in state.mean for t in feeds) <= 1:
                for t, b in feeds.items():
                    state.fold(key, ("in", t), b)
                state.drop(key)


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

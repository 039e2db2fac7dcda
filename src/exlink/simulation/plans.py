"""Investments simulated together, on the same posterior samples, against the status quo.

One investment or several, :class:`PlanSimulator` builds one change per unit:

- every historical intervention goes on as it stands at the end of the data
  (the status quo); the investments in it raise its rollout to their
  ``level`` over their periods, the highest level where two of them overlap
  on a unit, and the change is the difference of the two paths' direct
  effects;
- each new investment adds its elicited effect on its units;

then carries the change through the chain once (so saturating and threshold
links see the investments' joint change) and turns it into money. The value
of a plan is therefore not the sum of its investments' values where they
reach the same units, stages or intervention.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from exlink.models.experiments import Experiment
from exlink.models.propagation import (
    StandardisedDraws,
    exposure_shocks,
    intervention_exposure,
    propagate_stages,
)
from exlink.simulation.investments import Investment
from exlink.simulation.pilots import draw_effects, update_with_pilots
from exlink.transforms import ramped_exposure

Z90 = 1.6448536269514722
_MEMORY_CELLS = 25_000_000
"""Array cells (stages x samples x units x periods) propagated at once."""


@dataclass
class Outcome:
    """What a set of investments does together, per posterior sample.

    Attributes
    ----------
    units
        Positions of the units any of them reaches.
    money
        Benefits per sample, unit, period and component (revenue, cost to
        serve, attrition), shape ``(samples, units, horizon, 3)``.
    stage_sum
        Change of every stage summed over the units, ``(stages, samples, horizon)``.
    unit_costs
        Costs per unit and period, ``(units, horizon)``, fixed costs apart.
    costs
        All costs per period, fixed costs included, ``(horizon,)``.
    """

    units: np.ndarray
    money: np.ndarray
    stage_sum: np.ndarray
    unit_costs: np.ndarray
    costs: np.ndarray

    def net(self) -> np.ndarray:
        """Net cash flow per sample and period."""
        return self.money.sum(axis=(1, 3)) - self.costs


class PlanSimulator:
    """Simulates any set of investments on one set of posterior samples.

    Parameters
    ----------
    samples
        Posterior effect parameters.
    baseline
        Each unit's recent standardised level per stage, ``(stages, units)``.
    units
        Investment name -> positions of the units it reaches.
    money
        ``(changes, units, shape) -> benefits`` (see :class:`Outcome` and
        :meth:`~exlink.simulation.money.MoneySetup.money`).
    horizon
        Periods simulated.
    rng
        Draws the effects of new investments, once each, in the order given.
    investments
        Every investment that may be simulated.
    pilots
        Investment name -> pilots of that new investment, which update its
        elicited effect.
    """

    def __init__(
        self,
        samples: StandardisedDraws,
        baseline: np.ndarray,
        units: Mapping[str, np.ndarray],
        money: Callable[[Mapping[int, np.ndarray], np.ndarray, tuple[int, int, int]], np.ndarray],
        horizon: int,
        rng: np.random.Generator,
        investments: Sequence[Investment],
        pilots: Mapping[str, Sequence[Experiment]] | None = None,
    ) -> None:
        self.samples, self.baseline, self.units = samples, baseline, dict(units)
        self.money_of, self.horizon = money, horizon
        pilots = pilots or {}
        self.effects = {
            inv.name: _new_effects(inv, samples, rng, pilots.get(inv.name, ()))
            for inv in investments
            if inv.is_new
        }

    def end(self, inv: Investment) -> int:
        """The period after an investment's last one, within the horizon."""
        return self.horizon if inv.duration is None else min(self.horizon, inv.start + inv.duration)

    def run(self, investments: Sequence[Investment]) -> Outcome:
        """Simulate ``investments`` together."""
        samples, horizon = self.samples, self.horizon
        design = samples.design
        units = np.unique(np.concatenate([self.units[inv.name] for inv in investments]))
        money = np.zeros((samples.n_samples, len(units), horizon, 3))
        stage_sum = np.zeros((len(design.stage_names), samples.n_samples, horizon))
        chunk = max(1, _MEMORY_CELLS // (len(design.stage_names) * samples.n_samples * horizon))
        for first in range(0, len(units), chunk):
            picked = units[first : first + chunk]
            z = {name: m.z[picked] for name, m in design.moderators.items()}
            shape = (samples.n_samples, len(picked), horizon)
            changes = propagate_stages(
                samples,
                self._shocks(investments, picked, z),
                shape,
                baseline=self.baseline[:, picked],
                moderators=z,
            )
            for j, moved in changes.items():
                stage_sum[j] += moved.sum(axis=1)
            money[:, first : first + len(picked)] = self.money_of(changes, picked, shape)
        unit_costs = np.zeros((len(units), horizon))
        costs = np.zeros(horizon)
        fixed_paid: set[str] = set()
        for inv in investments:
            per_unit = np.zeros(horizon)
            per_unit[inv.start : self.end(inv)] += inv.cost_per_period
            if inv.start < horizon:
                per_unit[inv.start] += inv.cost_upfront
            reached = np.isin(units, self.units[inv.name])
            unit_costs[reached] += per_unit
            costs += per_unit * reached.sum()
            if inv.start < horizon and inv.family not in fixed_paid:
                costs[inv.start] += inv.cost_fixed
                fixed_paid.add(inv.family)  # segments of one investment share it
        return Outcome(units, money, stage_sum, unit_costs, costs)

    def _shocks(self, investments, picked: np.ndarray, z: dict) -> dict[int, np.ndarray]:
        """The investments' direct change, stage position -> ``(samples, units, periods)``."""
        horizon = self.horizon
        shocks: dict[int, np.ndarray] = {}
        historical: dict[str, list[Investment]] = {}
        for inv in investments:
            reached = np.isin(picked, self.units[inv.name])
            if inv.is_new:
                rollout = np.zeros((len(picked), horizon))
                rollout[reached, inv.start : self.end(inv)] = inv.level
                _add(shocks, _new_shocks(inv, rollout, self.effects[inv.name]))
            else:
                historical.setdefault(inv.intervention, []).append(inv)
        for name, members in historical.items():
            _add(shocks, self._status_quo_shocks(name, members, picked, z))
        return shocks

    def _status_quo_shocks(
        self, name: str, members, picked: np.ndarray, z: dict
    ) -> dict[int, np.ndarray]:
        """The direct change of a historical intervention's investments against the status quo.

        The status quo: each unit's rollout held at its level at the end of
        the data, its exposure going on from where the data leave it (still
        ramping, or fading where the rollout ended). The investments raise
        the rollout to their ``level`` over their periods (never lower it).
        A unit reached by a reinforced investment keeps its exposure without
        fading from that investment's start.
        """
        samples, horizon = self.samples, self.horizon
        k = samples.design.intervention_names.index(name)
        history = samples.design.rollouts[k][picked]
        held = np.repeat(history[:, -1:], horizon, axis=1)
        plan = held.copy()
        reinforced_from = np.full(len(picked), horizon)
        for inv in members:
            reached = np.isin(picked, self.units[inv.name])
            window = slice(inv.start, self.end(inv))
            plan[reached, window] = np.maximum(plan[reached, window], inv.level)
            if inv.reinforced:
                reinforced_from[reached] = np.minimum(reinforced_from[reached], inv.start)
        exposure = intervention_exposure(samples, name, plan, history=history)
        for start in np.unique(reinforced_from[reinforced_from < horizon]):
            rows = reinforced_from == start
            kept = intervention_exposure(
                samples,
                name,
                plan[rows],
                history=history[rows],
                fade=np.zeros(samples.n_samples),
                from_period=start,
            )
            exposure[:, rows] = kept
        exposure -= intervention_exposure(samples, name, held, history=history)
        return exposure_shocks(samples, name, exposure, moderators=z)


def _new_effects(
    inv: Investment, samples: StandardisedDraws, rng: np.random.Generator, pilots: Sequence = ()
) -> dict:
    """Per-sample effect of a new investment on each elicited stage, in stage units.

    With pilots of the investment, the effects are drawn from their normal
    posterior given the pilots' lifts (:mod:`exlink.simulation.pilots`).
    """
    design = samples.design
    out = {}
    priors = {}
    for stage, (low, high) in inv.effect.items():
        j = design.stage_names.index(stage)
        mean, sd = (low + high) / 2.0, max((high - low) / (2 * Z90), 1e-12)
        mean, var = np.full(samples.n_samples, mean), np.full(samples.n_samples, sd**2)
        if inv.lever is not None and inv.lever in design.levers:
            k = design.levers.index(inv.lever)
            pop_mean = samples.params["lever_mean"][:, k] * design.sds[j]
            pop_var = (samples.params["lever_sd"][:, k] * design.sds[j]) ** 2
            precision = 1.0 / var + 1.0 / pop_var
            mean = (mean / var + pop_mean / pop_var) / precision
            var = 1.0 / precision
        if not pilots:
            out[j] = rng.normal(mean, np.sqrt(var))
        priors[j] = (mean, var)
    if not pilots:
        return out
    stages = list(priors)
    mean = np.column_stack([priors[j][0] for j in stages])
    covariance = np.zeros((samples.n_samples, len(stages), len(stages)))
    for k, j in enumerate(stages):
        covariance[:, k, k] = priors[j][1]
    mean, covariance = update_with_pilots(mean, covariance, samples, stages, pilots, inv.ramp)
    drawn = draw_effects(mean, covariance, rng)
    return {j: drawn[:, k] for k, j in enumerate(stages)}


def _new_shocks(inv: Investment, rollout: np.ndarray, effects: dict) -> dict[int, np.ndarray]:
    """A new investment's direct change, stage position -> ``(samples, units, periods)``."""
    fade = 0.0 if inv.reinforced else inv.ramp
    e = ramped_exposure(rollout, inv.ramp, fade)
    return {j: effect[:, None, None] * e[None] for j, effect in effects.items()}


def _add(total: dict[int, np.ndarray], more: Mapping[int, np.ndarray]) -> None:
    """Add stage-by-stage changes into ``total``, in place."""
    for j, change in more.items():
        if j in total:
            total[j] = total[j] + change
        else:
            total[j] = change

"""The return of candidate investments: cash flows, NPV, ROI, payback and risk.

For every posterior sample, each investment's rollout is propagated through the
chain (:mod:`exlink.models.propagation`) against a baseline on the same sample,
with expected values only. Stage changes become money through
:class:`~exlink.simulation.investments.Finance`: revenue times the margin, cost to
serve saved, and leavers avoided times their replacement cost; the
investment's costs are subtracted and the net cash flow discounted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from exlink._names import unknown_name_message
from exlink._tasks import counting
from exlink.dims import HORIZON, INVESTMENT, SAMPLE, STAGE, UNIT
from exlink.models.design import recent_level
from exlink.models.diagnostics import require_convergence
from exlink.models.propagation import StandardisedDraws
from exlink.selection import select_units
from exlink.simulation.investments import Finance, Investment
from exlink.simulation.money import PERIODS_PER_YEAR, MoneySetup
from exlink.simulation.objectives import (
    objective_weights,
)
from exlink.simulation.plans import PlanSimulator
from exlink.simulation.roi_result import RoiResult
from exlink.simulation.segments import expand_segments

if TYPE_CHECKING:
    from exlink.models.chain import ChainModel


__all__ = ["RoiResult", "simulate"]


def simulate(
    model: ChainModel,
    investments: Sequence[Investment],
    finance: Finance,
    *,
    draws: int | None = 1000,
    random_seed: int | None = None,
    allow_unconverged: bool = False,
    objectives: Mapping[str, str | Mapping[str, float]] | None = None,
    progressbar: bool = False,
) -> RoiResult:
    """Simulate the return of candidate investments through a fitted chain model.

    Parameters
    ----------
    model
        A fitted :class:`~exlink.models.chain.ChainModel`.
    investments
        The candidates; names must be unique.
    finance
        Finance assumptions.
    draws
        Posterior samples to use, spread over the chains (``None`` for all).
    random_seed
        Seed for the effects of new investments.
    allow_unconverged
        Simulate even when the model fails its health check
        (:meth:`~exlink.models.chain.ChainModel.diagnostics`). The result is
        marked (``RoiResult.model_converged`` is false) and so are its
        summaries, plans, files and report.
    objectives
        Role (``cx``, ``customer``, ``ex``) -> the stage that sums up the
        role's objective (``{"cx": "nps"}``), or weights of an index over
        several stages (``{"ex": {"engagement": 0.5, "enablement": 0.5}}``).
        Roles left out weigh all their stages equally; see
        :mod:`exlink.simulation.objectives`.
    progressbar
        Count the investments as they are simulated.

    Returns
    -------
    RoiResult

    Raises
    ------
    ConvergenceError
        When the model has not converged and ``allow_unconverged`` is false:
        its returns should not drive decisions.

    Warns
    -----
    ConvergenceWarning
        When the model has not converged and ``allow_unconverged`` is true.
    """
    fitted = model.fitted
    design = fitted.design
    health = fitted.diagnostics
    require_convergence(health, "Simulating investments", allow_unconverged)
    posterior = fitted.thinned_posterior(draws)
    samples = StandardisedDraws.from_posterior(design, posterior)
    investments = list(investments)
    _check_investments(investments, design)
    panel = model.panel
    investments = expand_segments(
        investments,
        lambda inv: _select_units(inv, model),
        panel.units,
        panel.attributes,
        lambda choice, what: select_units(choice, panel.units, panel.attributes, what=what),
    )
    _check_investments(investments, design)
    setup = MoneySetup(model, finance)
    weights = objective_weights(model.chain, objectives, setup.lower_is_better)
    rng = np.random.default_rng(random_seed)
    horizon = finance.horizon
    rate = finance.period_rate(PERIODS_PER_YEAR[model.panel.frequency])
    discount = (1.0 + rate) ** -np.arange(horizon)
    baseline = _baseline(design)
    simulator = PlanSimulator(
        samples,
        baseline,
        {inv.name: _select_units(inv, model) for inv in investments},
        setup.money,
        horizon,
        rng,
        investments,
        _pilots(model, investments),
    )
    flows, paths, unit_npv, leavers = [], [], {}, []
    with counting("simulated investment", len(investments), progressbar) as advance:
        for inv in investments:
            outcome = simulator.run([inv])
            benefits = outcome.money.sum(axis=1)
            net = outcome.net()
            if not np.isfinite(net).all():
                raise ValueError(
                    f"Investment {inv.name!r}: its cash flows are not finite numbers; check its "
                    "effect range, costs and the finance assumptions for values out of scale."
                )
            flows.append(
                np.stack(
                    [
                        benefits[..., 0],
                        benefits[..., 1],
                        benefits[..., 2],
                        np.broadcast_to(outcome.costs, net.shape),
                        net,
                    ]
                )
            )
            paths.append(outcome.stage_sum / len(outcome.units))
            per_unit = ((outcome.money.sum(axis=-1) - outcome.unit_costs) * discount).sum(axis=-1)
            unit_npv[inv.name] = xr.DataArray(
                per_unit, dims=(SAMPLE, UNIT), coords={UNIT: list(model.panel.units[outcome.units])}
            )
            leavers.append(setup.leavers(outcome.money))
            advance()
    names = [inv.name for inv in investments]
    coords = {INVESTMENT: names, HORIZON: np.arange(horizon)}
    stacked = np.stack(flows)
    flow_set = xr.Dataset(
        {
            component: xr.DataArray(
                stacked[:, i], dims=(INVESTMENT, SAMPLE, HORIZON), coords=coords
            )
            for i, component in enumerate(("revenue", "cost_to_serve", "attrition", "costs", "net"))
        }
    )
    flow_set["discount"] = xr.DataArray(
        discount, dims=HORIZON, coords={HORIZON: np.arange(horizon)}
    )
    stage_paths = xr.DataArray(
        np.stack(paths),
        dims=(INVESTMENT, STAGE, SAMPLE, HORIZON),
        coords=coords | {STAGE: list(design.stage_names)},
    )
    leaver_array = xr.DataArray(
        np.stack(leavers), dims=(INVESTMENT, SAMPLE), coords={INVESTMENT: names}
    )
    return RoiResult(
        investments,
        finance,
        flow_set,
        stage_paths,
        unit_npv,
        leaver_array,
        setup.roles,
        model_health=health.headline(),
        model_converged=health.converged,
        simulator=simulator,
        n_units=model.panel.n_units,
        stage_roles={stage.name: stage.role for stage in model.chain.stages},
        objectives=weights,
        stage_sds=dict(zip(design.stage_names, map(float, design.sds), strict=True)),
    )


def _check_investments(investments: list[Investment], design) -> None:
    if not investments:
        raise ValueError("simulate needs at least one Investment.")
    names = [inv.name for inv in investments]
    repeated = {n for n in names if names.count(n) > 1}
    if repeated:
        raise ValueError(f"investment names must be unique: {sorted(repeated)} repeat.")
    for inv in investments:
        if not isinstance(inv, Investment):
            raise TypeError(f"expected Investment objects, got {type(inv).__name__}.")
        if inv.intervention is not None and inv.intervention not in design.intervention_names:
            raise ValueError(
                f"Investment {inv.name!r}: "
                + unknown_name_message("intervention", inv.intervention, design.intervention_names)
            )
        for stage in inv.effect or {}:
            if stage not in design.stage_names:
                raise ValueError(
                    f"Investment {inv.name!r}: effect on "
                    + unknown_name_message("stage", stage, design.stage_names)
                )


def _pilots(model: ChainModel, investments: list[Investment]) -> dict[str, list]:
    """The model's pilots of new investments, by investment; a pilot of a rollout is refused."""
    out: dict[str, list] = {}
    kinds = {inv.name: inv for inv in investments}
    for pilot in model.pilots:
        inv = kinds.get(pilot.intervention)
        if inv is None:
            continue
        if not inv.is_new:
            raise ValueError(
                f"Investment {inv.name!r}: the model holds a pilot of a new investment of that "
                "name, but this one rolls out an intervention; rename one of them."
            )
        out.setdefault(inv.name, []).append(pilot)
    return out


def _select_units(inv: Investment, model: ChainModel) -> np.ndarray:
    panel = model.panel
    treated = None
    if inv.intervention is not None:
        treated = (panel.exposure.sel(intervention=inv.intervention).fillna(0).values > 0).any(1)
    return select_units(
        inv.units,
        panel.units,
        panel.attributes,
        treated=treated,
        what=f"Investment {inv.name!r}: units",
    )


def _baseline(design) -> np.ndarray:
    """Each unit's recent standardised level of every stage, shape ``(stages, units)``.

    A unit that never observed a stage stands at the stage's mean (0). A
    construct stands where its marker item does (the construct is on its scale).
    """
    return np.nan_to_num(recent_level(design.scored_values()))

"""The result of simulating investments: per-sample cash flows, stage paths and their summaries.

:func:`~exlink.simulation.roi.simulate` makes a :class:`RoiResult`; plans,
figures, the value of information and the report read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from exlink._names import unknown_name_message
from exlink.dims import HORIZON, INVESTMENT, SAMPLE, STAGE, UNIT
from exlink.simulation.investments import Finance, Investment
from exlink.simulation.objectives import (
    OBJECTIVE_ROLES,
    describe_objective,
    objective_value,
)
from exlink.simulation.plans import PlanSimulator


@dataclass
class RoiResult:
    """Per-sample results of simulating investments.

    Attributes
    ----------
    investments
        The investments, in order.
    finance
        The finance assumptions.
    flows
        Cash flows per investment, sample and period (all units together):
        ``revenue``, ``cost_to_serve``, ``attrition`` (benefits), ``costs`` and
        ``net``, and ``discount`` (the discount factor per period).
    stage_paths
        Mean change per targeted unit of every stage, dims ``(investment,
        stage, sample, horizon)``.
    unit_npv
        NPV per unit and sample (fixed costs not included), one array per
        investment with dims ``(sample, unit)``.
    leavers
        Leavers avoided per investment and sample over the horizon.
    roles
        Stage name by role (``cx``, ``customer``, ``ex``) of the summary's
        objectives.
    model_health
        The model's health verdict when simulated.
    n_units
        Units in the panel, over which :meth:`average_changes` averages.
    stage_roles
        Stage name -> its role (``ex``, ``cx``, ``customer``, ``financial``).
    objectives
        Role -> stage -> weight: the definition of each ``{role}_change``
        column of :meth:`summary` (see :mod:`exlink.simulation.objectives`).
    stage_sds
        Each stage's standard deviation over the panel, in its units: the
        scale of a weighted objective index.
    model_converged
        Whether the model passed the health check. ``False`` only when the
        simulation was asked with ``allow_unconverged=True``; every summary,
        plan, file and report of such a result says so.
    """

    investments: list[Investment]
    finance: Finance
    flows: xr.Dataset
    stage_paths: xr.DataArray
    unit_npv: dict[str, xr.DataArray]
    leavers: xr.DataArray
    roles: dict[str, str]
    model_health: str = ""
    model_converged: bool = True
    simulator: PlanSimulator | None = field(default=None, repr=False)
    n_units: int | None = None
    stage_roles: dict[str, str] = field(default_factory=dict)
    objectives: dict[str, dict[str, float]] = field(default_factory=dict)
    stage_sds: dict[str, float] = field(default_factory=dict)
    _joint: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray, float, np.ndarray]] = field(
        default_factory=dict, repr=False
    )

    @property
    def names(self) -> list[str]:
        """Investment names."""
        return [inv.name for inv in self.investments]

    def npv(self) -> xr.DataArray:
        """Net present value per investment and sample."""
        return (self.flows["net"] * self.flows["discount"]).sum(HORIZON)

    def portfolio_npv(self, names: Sequence[str]) -> xr.DataArray:
        """NPV per posterior sample of funding the named investments together.

        The investments are simulated jointly on the same samples, against
        the status quo (see :mod:`exlink.simulation.plans`): where they reach
        the same units, stages or intervention, the plan's value is not the
        sum of theirs. With no interaction it is the sum.

        Parameters
        ----------
        names
            Investment names, each at most once.

        Returns
        -------
        xarray.DataArray
            Dims ``(sample,)``, in the finance's currency, discounted to the
            first simulated period.
        """
        npv, *_ = self._joint_outcome(names)
        out = xr.DataArray(npv.copy(), dims=SAMPLE, name="npv")
        out.attrs.update(currency=self.finance.currency, baseline="status quo")
        return out

    def portfolio_average_changes(self, names: Sequence[str]) -> pd.Series:
        """Expected change of every stage when the named investments are funded together.

        The change at the horizon's last period against the status quo, in
        each stage's units, averaged over every unit of the panel (units no
        investment reaches count as 0): the joint counterpart of
        :meth:`average_changes`, and what ``stage_limits`` of
        :func:`~exlink.simulation.portfolio.prioritise` bound.

        Returns
        -------
        pandas.Series
            Indexed by stage.
        """
        _, changes, *_ = self._joint_outcome(names)
        stages = [str(s) for s in self.stage_paths[STAGE].values]
        return pd.Series(changes.copy(), index=pd.Index(stages, name=STAGE), name="change")

    def portfolio_cost(self, names: Sequence[str]) -> float:
        """Undiscounted cost of funding the named investments together: what a budget pays.

        The sum of their costs, except that segments of one investment pay
        its fixed cost once.
        """
        return self._joint_outcome(names)[2]

    def portfolio_summary(self, names: Sequence[str]) -> pd.Series:
        """Value, risk, payback and objectives of funding the named investments together.

        The plan's counterpart of a :meth:`summary` row, from the joint
        simulation (:meth:`portfolio_npv`), against the status quo:

        - ``npv_mean``, ``npv_p05``, ``npv_p95`` (a 90% interval), ``p_loss``
          (the share of samples with NPV < 0) and ``cvar_05``, in the
          finance's currency, discounted to the first simulated period;
        - ``cost``: undiscounted, what a budget pays;
        - ``payback``: the first period (0 = the first simulated one) in which
          the expected discounted cumulative net cash flow turns positive;
          NaN if not within the horizon;
        - ``{role}_change`` for each objective role with stages: the
          objective (:attr:`objectives`) of the stages' expected change at
          the horizon's last period, **averaged over every unit of the
          panel** (units the plan does not reach count as 0), since the
          investments of a plan may reach different units.

        Parameters
        ----------
        names
            Investment names, each at most once; none for the empty plan.

        Returns
        -------
        pandas.Series
        """
        npv, changes, cost, flow = self._joint_outcome(names)
        positive = np.nonzero(np.cumsum(flow) >= 0)[0] if len(names) else []
        worst = np.sort(npv)[: max(1, int(np.ceil(0.05 * len(npv))))]
        row = {
            "npv_mean": float(npv.mean()),
            "npv_p05": float(np.quantile(npv, 0.05)),
            "npv_p95": float(np.quantile(npv, 0.95)),
            "p_loss": float((npv < 0).mean()),
            "cvar_05": float(worst.mean()),
            "cost": float(cost),
            "payback": float(positive[0]) if len(positive) else np.nan,
        }
        stages = [str(s) for s in self.stage_paths[STAGE].values]
        by_stage = dict(zip(stages, changes, strict=True))
        objectives = self.objectives or {role: {stage: 1.0} for role, stage in self.roles.items()}
        for role in OBJECTIVE_ROLES:
            weights = objectives.get(role)
            if weights:
                row[f"{role}_change"] = float(objective_value(weights, by_stage, self.stage_sds))
        out = pd.Series(row, name=" + ".join(names) or "nothing")
        out.attrs.update(currency=self.finance.currency, baseline="status quo")
        return out

    def _joint_outcome(
        self, names: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
        """What funding ``names`` together gives, computed once and kept.

        NPV draws, panel-average stage changes, cost, and the expected
        discounted net cash flow per period.
        """
        names = list(names)
        for name in names:
            if name not in self.names:
                raise ValueError(unknown_name_message("investment", name, self.names))
        if len(set(names)) != len(names):
            raise ValueError(f"each investment at most once in a plan, got {names}.")
        n_stages = self.stage_paths.sizes[STAGE]
        if not names:
            return (
                np.zeros(self.flows.sizes[SAMPLE]),
                np.zeros(n_stages),
                0.0,
                np.zeros(self.flows.sizes[HORIZON]),
            )
        key = tuple(sorted(names))
        if key in self._joint:
            return self._joint[key]
        if len(names) == 1 or self.simulator is None:
            if len(names) > 1:
                raise ValueError(
                    "a plan's joint value needs the simulation itself: this result was not "
                    "made by simulate() in this session. Run xl.simulate(model, investments, "
                    "finance) again."
                )
            npv = self.npv().sel({INVESTMENT: names[0]}).values
            changes = self._single_averages(names[0])
            cost = float(self.total_cost()[names[0]])
            flow = (
                (self.flows["net"] * self.flows["discount"])
                .sel({INVESTMENT: names[0]})
                .mean(SAMPLE)
                .values
            )
        else:
            discount = self.flows["discount"].values
            chosen = [inv for inv in self.investments if inv.name in names]
            outcome = self.simulator.run(chosen)
            discounted = outcome.net() * discount
            npv = discounted.sum(axis=-1)
            flow = discounted.mean(axis=0)
            changes = outcome.stage_sum[:, :, -1].mean(axis=1) / (self.n_units or 1)
            cost = float(outcome.costs.sum())
        self._joint[key] = (npv, changes, cost, flow)
        return npv, changes, cost, flow

    def _single_averages(self, name: str) -> np.ndarray:
        last = self.stage_paths.sel({INVESTMENT: name}).isel({HORIZON: -1}).mean(SAMPLE).values
        if name not in self.unit_npv or not self.n_units:
            return np.zeros_like(last)
        return last * self.unit_npv[name].sizes[UNIT] / self.n_units

    def present_cost(self) -> xr.DataArray:
        """Present value of each investment's costs."""
        return (self.flows["costs"] * self.flows["discount"]).sum(HORIZON)

    def total_cost(self) -> pd.Series:
        """Undiscounted cost of each investment over the horizon: what a budget pays."""
        return self.flows["costs"].isel({SAMPLE: 0}).sum(HORIZON).to_pandas()

    def summary(self) -> pd.DataFrame:
        """One row per investment: value, risk and the three objectives side by side.

        Returns
        -------
        pandas.DataFrame
            ``npv_mean``, ``npv_median``, ``npv_p05``, ``npv_p95``, ``roi``
            (NPV over the present value of costs, mean), ``payback`` (first
            period in which the expected discounted cumulative net cash flow
            turns positive; NaN if not within the horizon), ``p_loss``
            (probability that NPV < 0), ``cvar_05`` (mean NPV of the worst 5%
            of samples), ``cost``; the customer objective (``cx_change``,
            ``customer_change``), the staff objective (``ex_change``,
            ``leavers_avoided``) and cost efficiency (``net_money``, the
            expected NPV). Each ``{role}_change`` is the expected change at
            the horizon per targeted unit of the role's stage, or a weighted
            index of its stages, as :attr:`objectives` defines and
            ``attrs["objectives"]`` states in words;
            :meth:`stage_changes` gives every stage's change.
        """
        npv = self.npv()
        present_cost = self.present_cost()
        roi = npv / present_cost.where(present_cost > 0)
        total_cost = self.total_cost()
        cumulative = (self.flows["net"] * self.flows["discount"]).mean(SAMPLE).cumsum(HORIZON)
        rows = []
        last = self.stage_paths.isel({HORIZON: -1}).mean(SAMPLE)
        objectives = self.objectives or {role: {stage: 1.0} for role, stage in self.roles.items()}
        for name in self.names:
            values = npv.sel({INVESTMENT: name}).values
            worst = np.sort(values)[: max(1, int(np.ceil(0.05 * len(values))))]
            positive = np.nonzero(cumulative.sel({INVESTMENT: name}).values >= 0)[0]
            row = {
                "investment": name,
                "npv_mean": values.mean(),
                "npv_median": np.median(values),
                "npv_p05": np.quantile(values, 0.05),
                "npv_p95": np.quantile(values, 0.95),
                "roi": float(roi.sel({INVESTMENT: name}).mean()),
                "payback": float(positive[0]) if len(positive) else np.nan,
                "p_loss": float((values < 0).mean()),
                "cvar_05": worst.mean(),
                "cost": float(total_cost[name]),
            }
            changes = last.sel({INVESTMENT: name}).to_pandas()
            for role in OBJECTIVE_ROLES:
                weights = objectives.get(role)
                row[f"{role}_change"] = (
                    float(objective_value(weights, changes, self.stage_sds)) if weights else np.nan
                )
            row["leavers_avoided"] = float(self.leavers.sel({INVESTMENT: name}).mean())
            row["net_money"] = row["npv_mean"]
            row["model_converged"] = self.model_converged
            rows.append(row)
        table = pd.DataFrame(rows).set_index("investment")
        table.attrs["stages"] = dict(self.roles)
        table.attrs["objectives"] = {
            f"{role}_change": describe_objective(weights) for role, weights in objectives.items()
        }
        table.attrs["currency"] = self.finance.currency
        return table

    def cashflows(self) -> pd.DataFrame:
        """Expected cash flows per investment, period and component (tidy).

        Columns: ``investment``, ``period``, ``component``, ``mean``, ``p05``,
        ``p95``, ``model_converged``.
        """
        parts = []
        for component in ("revenue", "cost_to_serve", "attrition", "costs", "net"):
            values = self.flows[component]
            frame = (
                xr.Dataset(
                    {
                        "mean": values.mean(SAMPLE),
                        "p05": values.quantile(0.05, SAMPLE, method="linear").drop_vars("quantile"),
                        "p95": values.quantile(0.95, SAMPLE, method="linear").drop_vars("quantile"),
                    }
                )
                .to_dataframe()
                .reset_index()
            )
            frame.insert(2, "component", component)
            parts.append(frame)
        out = pd.concat(parts, ignore_index=True).rename(columns={HORIZON: "period"})
        out["model_converged"] = self.model_converged
        return out[["investment", "period", "component", "mean", "p05", "p95", "model_converged"]]

    def by_unit(self) -> pd.DataFrame:
        """NPV per investment and targeted unit: ``npv_mean`` and ``p_loss``."""
        rows = []
        for name, values in self.unit_npv.items():
            for unit in values[UNIT].values:
                draws = values.sel({UNIT: unit}).values
                rows.append(
                    {
                        "investment": name,
                        "unit": unit,
                        "npv_mean": draws.mean(),
                        "p_loss": float((draws < 0).mean()),
                    }
                )
        return pd.DataFrame(rows)

    def stage_changes(self) -> pd.DataFrame:
        """Every stage's change at the horizon's last period, per investment, in its own units.

        Returns
        -------
        pandas.DataFrame
            One row per investment and stage: ``role``, ``mean``, ``p05``
            and ``p95`` of the change per targeted unit against the status
            quo, over the posterior samples.
        """
        last = self.stage_paths.isel({HORIZON: -1})
        rows = []
        for name in self.names:
            for stage in last[STAGE].values:
                draws = last.sel({INVESTMENT: name, STAGE: stage}).values
                rows.append(
                    {
                        "investment": name,
                        "stage": str(stage),
                        "role": self.stage_roles.get(str(stage), ""),
                        "mean": float(draws.mean()),
                        "p05": float(np.quantile(draws, 0.05)),
                        "p95": float(np.quantile(draws, 0.95)),
                    }
                )
        return pd.DataFrame(rows)

    def average_changes(self, stage: str) -> pd.Series:
        """Each investment's expected change of ``stage``, averaged over the whole panel.

        The change at the horizon's last period, in the stage's units, with
        the units an investment does not reach counting as 0. Averages over
        the panel add up across investments that do not interact.
        """
        stages = list(self.stage_paths[STAGE].values)
        if stage not in stages:
            raise ValueError(unknown_name_message("stage", stage, stages))
        if not self.n_units:
            raise ValueError("average_changes needs the panel's size: run simulate() again.")
        last = self.stage_paths.sel({STAGE: stage}).isel({HORIZON: -1}).mean(SAMPLE)
        reached = pd.Series({name: values.sizes[UNIT] for name, values in self.unit_npv.items()})
        return last.to_pandas().reindex(self.names) * reached.reindex(self.names) / self.n_units

    def paths(self, stage: str) -> xr.DataArray:
        """Change of one stage per targeted unit, dims ``(investment, sample, horizon)``."""
        stages = list(self.stage_paths[STAGE].values)
        if stage not in stages:
            raise KeyError(unknown_name_message("stage", stage, stages))
        return self.stage_paths.sel({STAGE: stage})

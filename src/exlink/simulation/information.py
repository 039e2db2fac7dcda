"""Value of information: what resolving uncertainty before deciding is worth.

Both measures compare deciding now with deciding after learning something,
over the same posterior samples and the same feasible plans (budget, groups,
``must_fund`` and ``stage_limits``), with plans valued jointly
(:mod:`exlink.simulation.plan_values`):

- **EVPI**, the expected value of perfect information::

      EVPI = E_theta[ max_plan NPV(plan, theta) ] - max_plan E_theta[ NPV(plan, theta) ]

  the most any research could be worth.
- **EVPPI** of a parameter ``phi`` (one investment's return, a link, an
  intervention's effect): learning ``phi`` only::

      EVPPI(phi) = E_phi[ max_plan E[NPV(plan) | phi] ] - max_plan E[NPV(plan)]

  The inner expectation is estimated by the regression method of Strong,
  Oakley and Brennan (2014, *Medical Decision Making* 34(3)): each column's
  NPV per sample is regressed on ``phi`` with an additive cubic spline, and
  the fitted values stand for ``E[NPV | phi]``. No nested simulation is
  needed.

A pilot of an investment is worth at most its EVPPI; :class:`InformationValue`
ranks pilots by EVPPI minus the pilot's cost.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.interpolate import BSpline

from exlink._names import unknown_name_message
from exlink._values import as_number
from exlink.dims import EFFECT, LINK, SAMPLE
from exlink.simulation.optimisation import (
    checked_arguments,
    exclusive_groups,
    solve,
    stage_limits_of,
)
from exlink.simulation.plan_values import PlanValues, plan_values
from exlink.simulation.portfolio import UNCONVERGED_NOTE
from exlink.simulation.roi import RoiResult

_ROUNDING = 1e-12
MAX_LISTED = 12
"""Up to this many investments, every feasible plan is listed instead of solved for."""
SPLINE_KNOTS = 6
"""Interior knots of each parameter's cubic spline (fewer with few samples)."""


@dataclass
class InformationValue:
    """Expected value of perfect and partial perfect information.

    Attributes
    ----------
    evpi
        How much more the best plan would be worth, on average, if every
        uncertain quantity were known before deciding, in the finance's
        currency.
    expected_best
        Expected NPV of the best plan chosen now, the baseline of every
        value here.
    per_investment
        One row per investment: ``evppi`` (the value of learning its return
        before deciding), ``expected_npv``, ``cost``, ``pilot_cost`` and
        ``pilot_value`` (``evppi - pilot_cost``).
    parameters
        One row per named parameter asked for: ``evppi``.
    pilot_first
        The investment with the largest positive ``pilot_value``, or ``None``
        when no pilot is worth its cost.
    budget
        The budget of the plans compared (``inf`` for none).
    model_converged
        False when computed on a model that had not converged.
    """

    evpi: float
    expected_best: float
    per_investment: pd.DataFrame
    parameters: pd.DataFrame
    pilot_first: str | None
    budget: float
    model_converged: bool = True

    @property
    def overall(self) -> float:
        """The EVPI (kept under its former name)."""
        return self.evpi

    def __repr__(self) -> str:
        warning = "" if self.model_converged else f"{UNCONVERGED_NOTE}\n"
        limit = "no budget" if np.isinf(self.budget) else f"budget {self.budget:,.0f}"
        if self.pilot_first:
            row = self.per_investment.loc[self.pilot_first]
            advice = (
                f"pilot {self.pilot_first!r} first: learning its return is worth "
                f"{row['evppi']:,.0f}, {row['pilot_value']:,.0f} after the pilot's cost"
            )
        else:
            advice = "no pilot is worth its cost"
        return (
            f"{warning}Value of information ({limit}): EVPI {self.evpi:,.0f} over the best "
            f"plan's expected NPV {self.expected_best:,.0f}; {advice}."
        )


def value_of_information(
    result: RoiResult,
    budget: float | None = None,
    *,
    parameters: Sequence[str] | Mapping[str, np.ndarray] = (),
    pilot_costs: Mapping[str, float] | None = None,
    must_fund: Sequence[str] = (),
    stage_limits: Mapping[str, tuple[float | None, float | None]] | None = None,
) -> InformationValue:
    """EVPI overall and EVPPI per investment and per parameter, under the budget.

    Parameters
    ----------
    result
        Simulated investments.
    budget
        The budget of every plan compared; ``None`` for none.
    parameters
        Further uncertain quantities whose EVPPI to compute. Names of a link
        (``"engagement -> nps"``), an intervention effect
        (``"coaching -> engagement"``), an intervention (all its effects and
        rates) or a new investment (its effects); or a mapping of name ->
        draws, one row per posterior sample of ``result``.
    pilot_costs
        Investment name -> cost of a pilot that would reveal its return;
        investments not named cost nothing to pilot.
    must_fund, stage_limits
        As in :func:`~exlink.simulation.portfolio.prioritise`; stage limits
        bound expected changes.

    Returns
    -------
    InformationValue

    Notes
    -----
    EVPI is never negative and never exceeds the expected value of the best
    plan under perfect information minus that of the best plan now; with no
    uncertainty it is 0. EVPPI lies between 0 and EVPI up to the regression's
    estimation error.
    """
    single, costs, names = _investment_values(result)
    limits = stage_limits_of(result, stage_limits)
    checked = float(costs.sum()) if budget is None else budget
    limit, *_ = checked_arguments(
        checked,
        costs,
        names,
        "expected_npv",
        0.05,
        None,
        must_fund,
        result,
    )
    if budget is None:
        limit = np.inf
    forced = [names.index(n) for n in ((must_fund,) if isinstance(must_fund, str) else must_fund)]
    groups = exclusive_groups(result)
    problem = plan_values(result, [stage for stage, *_ in limits], groups)

    listed = (
        _feasible_plans(problem, groups, limit, forced, limits)
        if len(names) <= MAX_LISTED
        else None
    )

    def best(values: np.ndarray) -> np.ndarray:
        """Value of the best plan for each row of ``values``."""
        if listed is not None:
            return (values @ listed.T).max(axis=1)
        return _best_per_row(problem, values, groups, limit, forced, limits)

    now = float(best(problem.values.mean(axis=0, keepdims=True))[0])
    perfect = float(best(problem.values).mean())
    evpi = perfect - now
    if evpi <= _ROUNDING * max(1.0, float(np.abs(problem.values).max(initial=0.0))):
        evpi = 0.0  # no decision changes with any sample: rounding only
    pilot_costs = dict(pilot_costs or {})
    for name, cost in pilot_costs.items():
        if name not in names:
            raise ValueError("pilot_costs: " + unknown_name_message("investment", name, names))
        pilot_costs[name] = as_number(cost, f"pilot_costs[{name!r}]")

    def partial(phi: np.ndarray) -> float:
        if evpi == 0.0:
            return 0.0
        fitted = _regress(phi, problem.values)
        return float(np.clip(best(fitted).mean() - now, 0.0, evpi))

    evppi = [partial(single[:, i]) for i in range(len(names))]
    table = pd.DataFrame(
        {
            "evppi": evppi,
            "expected_npv": single.mean(axis=0),
            "cost": costs,
            "pilot_cost": [pilot_costs.get(n, 0.0) for n in names],
        },
        index=pd.Index(names, name="investment"),
    )
    table["pilot_value"] = table["evppi"] - table["pilot_cost"]
    named = _parameter_draws(result, parameters)
    parameter_table = pd.DataFrame(
        {"evppi": [partial(draws) for draws in named.values()]},
        index=pd.Index(list(named), name="parameter"),
    )
    worth = table["pilot_value"]
    pilot = str(worth.idxmax()) if worth.max() > 0 else None
    return InformationValue(
        evpi=evpi,
        expected_best=now,
        per_investment=table,
        parameters=parameter_table,
        pilot_first=pilot,
        budget=float(limit),
        model_converged=result.model_converged,
    )


def _investment_values(result: RoiResult) -> tuple[np.ndarray, np.ndarray, list[str]]:
    names = result.names
    values = np.column_stack([result.portfolio_npv([n]).values for n in names])
    return values, result.total_cost().reindex(names).to_numpy(float), names


def _best_per_row(problem: PlanValues, values, groups, budget, forced, limits) -> np.ndarray:
    """The best feasible plan's value for each row of ``values``: one MILP per distinct row."""
    rows, inverse = np.unique(values, axis=0, return_inverse=True)
    out = np.empty(len(rows))
    for r, row in enumerate(rows):
        columns = solve(
            problem, groups, budget, "expected_npv", 0.05, None, forced, limits, row[None]
        )
        out[r] = row @ columns
    return out[inverse.ravel()]


def _feasible_plans(problem: PlanValues, groups, budget, forced, limits) -> np.ndarray:
    """Column vectors of every plan within the budget and constraints, ``(plans, columns)``."""
    n = len(problem.names)
    x = (np.arange(2**n)[:, None] >> np.arange(n)[None, :]) & 1
    keep = (x[:, forced] == 1).all(axis=1)
    for members in groups:
        keep &= x[:, members].sum(axis=1) <= 1
    columns = np.array([problem.columns_of(row) for row in x[keep]])
    columns = columns[columns @ problem.costs <= budget * (1 + 1e-12) + 1e-9]
    for (_, low, high), change in zip(limits, problem.changes, strict=True):
        level = columns @ change
        inside = (level >= low - 1e-12) & (level <= high + 1e-12)
        columns = columns[inside]
    if not len(columns):
        raise ValueError(
            "no plan satisfies the budget and constraints. Raise the budget or loosen a constraint."
        )
    return columns


def _regress(phi: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Fitted values of each column of ``values`` on ``phi`` (additive cubic splines)."""
    phi = np.asarray(phi, dtype=float)
    phi = phi[:, None] if phi.ndim == 1 else phi
    n = len(phi)
    parts = [np.ones((n, 1))]
    knots = max(0, min(SPLINE_KNOTS, n // 30 - 4))
    for column in phi.T:
        if np.ptp(column) == 0:
            continue
        inner = np.unique(np.quantile(column, np.linspace(0, 1, knots + 2)[1:-1]))
        low, high = column.min(), column.max()
        t = np.concatenate([[low] * 4, inner[(inner > low) & (inner < high)], [high] * 4])
        basis = BSpline.design_matrix(column, t, 3).toarray()
        parts.append(basis[:, 1:])
    design = np.hstack(parts)
    coefficients, *_ = np.linalg.lstsq(design, values, rcond=None)
    return design @ coefficients


def _parameter_draws(result: RoiResult, given) -> dict[str, np.ndarray]:
    """Name -> draws ``(samples, p)`` of each parameter asked for."""
    n_samples = result.flows.sizes[SAMPLE]
    out = {}
    if isinstance(given, Mapping):
        for name, draws in given.items():
            draws = np.asarray(draws, dtype=float)
            if draws.shape[0] != n_samples or not np.isfinite(draws).all():
                raise ValueError(
                    f"parameters[{name!r}]: give one finite value per posterior sample "
                    f"({n_samples}), got shape {draws.shape}."
                )
            out[str(name)] = draws
        return out
    if isinstance(given, str):
        given = [given]
    for name in given:
        out[name] = _named_draws(result, name)
    return out


def _named_draws(result: RoiResult, name: str) -> np.ndarray:
    simulator = result.simulator
    if simulator is None:
        raise ValueError(
            f"parameter {name!r}: naming parameters needs the simulation itself; pass draws "
            "instead (parameters={name: draws})."
        )
    samples = simulator.samples
    coords = samples.design.coords()
    params = samples.params
    if name in coords[LINK]:
        return params["beta"][:, [coords[LINK].index(name)]]
    if name in coords[EFFECT]:
        return params["gamma"][:, [coords[EFFECT].index(name)]]
    interventions = list(samples.design.intervention_names)
    if name in interventions:
        columns = [i for i, label in enumerate(coords[EFFECT]) if label.startswith(f"{name} ->")]
        k = interventions.index(name)
        return np.column_stack(
            [params["gamma"][:, columns], params["ramp"][:, [k]], params["fade"][:, [k]]]
        )
    if name in simulator.effects:
        return np.column_stack(list(simulator.effects[name].values()))
    known = [*coords[LINK], *coords[EFFECT], *interventions, *simulator.effects]
    raise ValueError(unknown_name_message("parameter", name, known))

"""Which investments to fund: exact selection under a budget, and the frontier.

Selection is a 0-1 programme solved exactly by :func:`scipy.optimize.milp`
over the joint posterior samples of the plans' NPVs:

- ``"expected_npv"``: maximise the expected NPV of the plan;
- ``"cvar"``: maximise the plan's CVaR (the mean NPV of its worst ``alpha``
  share of samples), linearised as Rockafellar and Uryasev did;
- either objective with ``max_loss_probability``: the plan may lose money in at
  most that share of samples (one binary indicator per sample).

Constraints: total cost within the budget, at most one investment of each
``Investment.group``, ``must_fund`` investments always in, and bounds on the
plan's average change of any stage (``stage_limits``).

Plans are valued jointly (:mod:`exlink.simulation.plan_values`). Investments
that do not interact are worth their sum. Interacting ones are valued on
every combination simulated together, so the choice is exact for any
interaction as long as no more than
:data:`~exlink.simulation.plan_values.MAX_ENUMERATED` investments interact with
one another; beyond that only pairwise interactions enter and the plan says
so (``Plan.exact``). The chosen plan is always valued by simulating its
investments together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from exlink._values import as_number
from exlink.dims import INVESTMENT, SAMPLE
from exlink.simulation.optimisation import (
    checked_arguments,
    exclusive_groups,
    plan_cost,
    solve,
    stage_limits_of,
)
from exlink.simulation.plan_values import plan_values
from exlink.simulation.roi import RoiResult

UNCONVERGED_NOTE = (
    "WARNING: computed on a model that has not converged (allowed by the user); "
    "do not base decisions on it."
)


@dataclass
class Plan:
    """The investments to fund, and what the plan is worth.

    Attributes
    ----------
    selected
        Names of the funded investments.
    budget
        The budget given.
    cost
        Total cost of the plan.
    expected_npv, p_loss, cvar
        Expected NPV, probability of losing money and CVaR of the plan's NPV,
        with the funded investments simulated together
        (:meth:`~exlink.simulation.roi_result.RoiResult.portfolio_npv`).
    separate_npv
        The sum of the funded investments' separate expected NPVs. Where it
        differs from ``expected_npv`` the investments interact
        (:attr:`interacting`).
    exact
        Whether the selection was made on exact joint values. False only
        when a cluster of interacting investments had more than
        :data:`~exlink.simulation.plan_values.MAX_ENUMERATED` members and only
        their pairwise interactions were modelled.
    objective
        What was optimised.
    table
        One row per investment: cost, expected NPV, whether it is funded and
        ``model_converged``.
    model_converged
        False when the simulation behind the plan was allowed on a model that
        had not converged: the plan should not drive decisions.
    """

    selected: list[str]
    budget: float
    cost: float
    expected_npv: float
    p_loss: float
    cvar: float
    objective: str
    table: pd.DataFrame
    model_converged: bool = True
    separate_npv: float | None = None
    exact: bool = True

    @property
    def interacting(self) -> bool:
        """True when the funded investments, simulated together, are not worth their sum."""
        if self.separate_npv is None:
            return False
        return not np.isclose(self.expected_npv, self.separate_npv, rtol=1e-6, atol=1e-6)

    def __repr__(self) -> str:
        funded = ", ".join(self.selected) or "nothing"
        text = (
            ("" if self.model_converged else f"{UNCONVERGED_NOTE}\n")
            + f"Plan ({self.objective}, budget {self.budget:,.0f}): fund {funded}\n"
            f"  cost {self.cost:,.0f}, expected NPV {self.expected_npv:,.0f}, "
            f"P(loss) {self.p_loss:.1%}, CVaR {self.cvar:,.0f}"
        )
        if self.interacting:
            text += (
                f"\n  Simulated together, the funded investments are worth "
                f"{self.expected_npv:,.0f}, against {self.separate_npv:,.0f} for the sum of "
                "their separate values: they interact (shared units, stages or "
                "intervention), and the plan was chosen on their joint values."
            )
        if not self.exact:
            text += (
                "\n  Too many investments interact to value every combination: the choice "
                "modelled pairwise interactions only and may miss the best plan where "
                "three or more interact at once."
            )
        return text


def prioritise(
    result: RoiResult,
    budget: float,
    objective: str = "expected_npv",
    *,
    alpha: float = 0.05,
    max_loss_probability: float | None = None,
    must_fund: Sequence[str] = (),
    stage_limits: Mapping[str, tuple[float | None, float | None]] | None = None,
) -> Plan:
    """The best set of investments under a budget.

    Parameters
    ----------
    result
        Simulated investments.
    budget
        Money available: the plans' undiscounted total cost may not exceed it.
    objective
        ``"expected_npv"`` or ``"cvar"``.
    alpha
        Tail share of the CVaR.
    max_loss_probability
        Cap on the plan's probability of losing money, or ``None``.
    must_fund
        Investments that are always in the plan.
    stage_limits
        Stage -> ``(low, high)`` bounds (``None`` for none) on the plan's
        expected change of the stage at the horizon's last period, averaged
        over every unit of the panel, in the stage's units
        (:meth:`~exlink.simulation.roi_result.RoiResult.average_changes`, added over
        the funded investments). ``{"attrition_rate": (None, 0.0)}``:
        attrition must not rise; ``{"nps": (2.0, None)}``: NPS up 2 points at
        least.

    Returns
    -------
    Plan
    """
    values, costs, names = _problem(result)
    limits = stage_limits_of(result, stage_limits)
    budget, alpha, max_loss_probability, must_fund = checked_arguments(
        budget,
        costs,
        names,
        objective,
        alpha,
        max_loss_probability,
        must_fund,
        result,
    )
    groups = exclusive_groups(result)
    problem = plan_values(result, [stage for stage, *_ in limits], groups)
    x = solve(
        problem,
        groups,
        budget,
        objective,
        alpha,
        max_loss_probability,
        [names.index(n) for n in must_fund],
        limits,
    )[: len(names)]
    return _plan(values, costs, names, x, budget, objective, alpha, result, problem.exact)


def efficient_frontier(
    result: RoiResult, budgets: Sequence[float], objective: str = "expected_npv", **kwargs
) -> pd.DataFrame:
    """Value and risk of the best plan at each budget.

    A budget below the cheapest investment funds nothing (value and risk 0).

    Returns
    -------
    pandas.DataFrame
        ``budget``, ``cost``, ``expected_npv``, ``p_loss``, ``cvar``,
        ``selected`` (names joined by ``+``), ``model_converged``.
    """
    cheapest = float(result.total_cost().min())
    rows = []
    for budget in budgets:
        budget = as_number(budget, "budget")
        if budget < cheapest:
            rows.append(
                {
                    "budget": budget,
                    "cost": 0.0,
                    "expected_npv": 0.0,
                    "p_loss": 0.0,
                    "cvar": 0.0,
                    "selected": "",
                }
            )
            continue
        plan = prioritise(result, budget, objective, **kwargs)
        rows.append(
            {
                "budget": budget,
                "cost": plan.cost,
                "expected_npv": plan.expected_npv,
                "p_loss": plan.p_loss,
                "cvar": plan.cvar,
                "selected": " + ".join(plan.selected),
            }
        )
    return pd.DataFrame(rows).assign(model_converged=result.model_converged)


# -- internals -----------------------------------------------------------------------------


def _problem(result: RoiResult) -> tuple[np.ndarray, np.ndarray, list[str]]:
    npv = result.npv().transpose(SAMPLE, INVESTMENT)
    costs = result.total_cost()
    names = result.names
    return npv.values, costs.reindex(names).to_numpy(float), names


def _plan(
    values, costs, names, x, budget, objective, alpha, result: RoiResult, exact: bool = True
) -> Plan:
    """The plan of the selection ``x``, its value checked by simulating it jointly."""
    converged = result.model_converged
    selected = [name for name, chosen in zip(names, x, strict=True) if chosen > 0.5]
    separate = values @ x
    total = separate
    if result.simulator is not None and len(selected) > 1:
        total = result.portfolio_npv(selected).values
    worst = np.sort(total)[: max(1, int(np.ceil(alpha * len(total))))]
    table = pd.DataFrame(
        {
            "cost": costs,
            "expected_npv": values.mean(axis=0),
            "funded": x > 0.5,
            "model_converged": converged,
        },
        index=pd.Index(names, name="investment"),
    )
    return Plan(
        selected=selected,
        budget=float(budget),
        cost=plan_cost(result, selected),
        expected_npv=float(total.mean()),
        p_loss=float((total < 0).mean()),
        cvar=float(worst.mean()),
        objective=objective,
        table=table,
        model_converged=converged,
        separate_npv=float(separate.mean()),
        exact=exact,
    )

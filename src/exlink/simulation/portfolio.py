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
from dataclasses import dataclass, field

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
    constraints
        The other arguments the plan was chosen under (``alpha``,
        ``max_loss_probability``, ``must_fund``, ``stage_limits``), so the
        same choice can be repeated at other budgets
        (``budget_steps(result, plan.objective, **plan.constraints)``).
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
    constraints: dict = field(default_factory=dict)

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
    return _Chooser(
        result,
        objective,
        alpha=alpha,
        max_loss_probability=max_loss_probability,
        must_fund=must_fund,
        stage_limits=stage_limits,
    ).plan(budget)


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
    chooser = _Chooser(result, objective, **kwargs)
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
        plan = chooser.plan(budget)
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


def budget_steps(
    result: RoiResult,
    objective: str = "expected_npv",
    *,
    max_budget: float | None = None,
    **kwargs,
) -> list[Plan]:
    """The best plan at every budget, as the steps at which it changes.

    The best plan is a step function of the budget: it changes only where the
    budget crosses the cost of a plan. Starting from ``max_budget``, each step
    is the plan :func:`prioritise` chooses there; that plan stays the best
    down to its own cost (it remains affordable and nothing better becomes
    affordable as the budget falls), and the next step is the best plan
    costing less. So the best plan at any budget ``b <= max_budget`` is the
    first step whose cost is at most ``b``: no grid, and no budget missed.

    Parameters
    ----------
    result
        Simulated investments.
    objective
        ``"expected_npv"`` or ``"cvar"``.
    max_budget
        The largest budget; by default the sum of every investment's cost,
        which affords any plan.
    **kwargs
        ``alpha``, ``max_loss_probability``, ``must_fund`` and
        ``stage_limits``, as for :func:`prioritise`.

    Returns
    -------
    list of Plan
        Most expensive first, each with ``budget`` set to the largest budget
        at which it is the best plan: each is the best for budgets from its
        ``cost`` up to its ``budget``. Below the last step's cost nothing can
        be funded (or nothing the constraints allow); the list is empty when
        ``max_budget`` is below the cheapest investment.
    """
    chooser = _Chooser(result, objective, **kwargs)
    if max_budget is None:
        budget = float(result.total_cost().sum())
    else:
        budget = as_number(max_budget, "max_budget")
    steps: list[Plan] = []
    while budget >= chooser.cheapest:
        try:
            plan = chooser.plan(budget)
        except ValueError:
            if not steps:
                raise
            break  # nothing cheaper satisfies the constraints
        steps.append(plan)
        if not plan.selected:
            break
        budget = plan.cost - max(_COST_RESOLUTION, _COST_RESOLUTION * abs(plan.cost))
    return steps


# -- internals -----------------------------------------------------------------------------

_COST_RESOLUTION = 1e-6
"""Plans whose costs differ by less than this (absolute, and relative) are one budget step."""


class _Chooser:
    """Chooses the best plan at any budget for one result and one set of constraints.

    The programme's columns (:func:`~exlink.simulation.plan_values.plan_values`,
    which simulates interacting investments together) are built once and
    shared by every budget asked.
    """

    def __init__(
        self,
        result: RoiResult,
        objective: str = "expected_npv",
        *,
        alpha: float = 0.05,
        max_loss_probability: float | None = None,
        must_fund: Sequence[str] = (),
        stage_limits: Mapping[str, tuple[float | None, float | None]] | None = None,
    ) -> None:
        self.result = result
        self.values, self.costs, self.names = _problem(result)
        self.cheapest = float(self.costs.min())
        self.limits = stage_limits_of(result, stage_limits)
        self.objective = objective
        self.constraints = {
            "alpha": alpha,
            "max_loss_probability": max_loss_probability,
            "must_fund": must_fund,
            "stage_limits": stage_limits,
        }
        # Checked once here, so a bad argument fails before any simulation.
        checked_arguments(
            self.costs.sum(),
            self.costs,
            self.names,
            objective,
            alpha,
            max_loss_probability,
            must_fund,
        )
        self.groups = exclusive_groups(result)
        self._problem = None

    def plan(self, budget: float) -> Plan:
        given = self.constraints
        budget, alpha, max_loss_probability, must_fund = checked_arguments(
            budget,
            self.costs,
            self.names,
            self.objective,
            given["alpha"],
            given["max_loss_probability"],
            given["must_fund"],
            self.result,
        )
        if self._problem is None:
            self._problem = plan_values(
                self.result, [stage for stage, *_ in self.limits], self.groups
            )
        x = solve(
            self._problem,
            self.groups,
            budget,
            self.objective,
            alpha,
            max_loss_probability,
            [self.names.index(n) for n in must_fund],
            self.limits,
        )[: len(self.names)]
        return _plan(
            self.values,
            self.costs,
            self.names,
            x,
            budget,
            self.objective,
            alpha,
            self.result,
            self._problem.exact,
            self.constraints,
        )


def _problem(result: RoiResult) -> tuple[np.ndarray, np.ndarray, list[str]]:
    npv = result.npv().transpose(SAMPLE, INVESTMENT)
    costs = result.total_cost()
    names = result.names
    return npv.values, costs.reindex(names).to_numpy(float), names


def _plan(
    values,
    costs,
    names,
    x,
    budget,
    objective,
    alpha,
    result: RoiResult,
    exact: bool = True,
    constraints: dict | None = None,
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
        constraints=dict(constraints or {}),
    )

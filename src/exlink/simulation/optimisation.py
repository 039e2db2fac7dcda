"""The 0-1 programme behind every plan: its arguments checked, its constraints, its solution.

:func:`~exlink.simulation.portfolio.prioritise` and the value of information
(:mod:`exlink.simulation.information`) both choose plans with it. See
:mod:`exlink.simulation.portfolio` for the objectives and constraints.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from exlink._names import unknown_name_message
from exlink._values import as_number
from exlink.dims import STAGE
from exlink.simulation.plan_values import PlanValues
from exlink.simulation.roi import RoiResult

OBJECTIVES = ("expected_npv", "cvar")
"""What a plan maximises: its expected NPV or its CVaR."""


def exclusive_groups(result: RoiResult) -> list[list[int]]:
    """Positions of the investments of each group of which at most one may be funded."""
    groups: dict[str, list[int]] = {}
    for i, inv in enumerate(result.investments):
        if inv.group is not None:
            groups.setdefault(inv.group, []).append(i)
    return [members for members in groups.values() if len(members) > 1]


def checked_arguments(
    budget, costs, names, objective, alpha, max_loss_probability, must_fund, result=None
) -> tuple:
    """Validate the arguments of a selection; returns them read as plain numbers."""
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; choose from {', '.join(OBJECTIVES)}.")
    budget = as_number(budget, "budget")
    if budget < costs.min():
        cheapest = names[int(np.argmin(costs))]
        raise ValueError(
            f"budget {budget:,.0f} is below the cheapest investment ({cheapest!r} costs "
            f"{costs.min():,.0f}): nothing can be funded."
        )
    alpha = as_number(alpha, "alpha")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1 (a tail share such as 0.05), got {alpha}.")
    if max_loss_probability is not None:
        max_loss_probability = as_number(max_loss_probability, "max_loss_probability")
        if not 0 <= max_loss_probability < 1:
            raise ValueError(
                f"max_loss_probability must be in [0, 1) (a share such as 0.2), "
                f"got {max_loss_probability}."
            )
    must_fund = (must_fund,) if isinstance(must_fund, str) else tuple(must_fund)
    for name in must_fund:
        if name not in names:
            raise ValueError("must_fund: " + unknown_name_message("investment", name, names))
    forced = (
        plan_cost(result, list(must_fund))
        if result is not None
        else sum(costs[names.index(n)] for n in must_fund)
    )
    if forced > budget:
        raise ValueError(
            f"must_fund investments cost {forced:,.0f}, more than the budget {budget:,.0f}."
        )
    return budget, alpha, max_loss_probability, must_fund


def stage_limits_of(result: RoiResult, given) -> list[tuple[str, float, float]]:
    """Per limited stage: its name and the bounds."""
    out = []
    for stage, bounds in (given or {}).items():
        where = f"stage_limits[{stage!r}]"
        if not isinstance(bounds, tuple | list) or len(bounds) != 2:
            raise ValueError(f"{where} must be a pair (low, high), None for no bound.")
        low = -np.inf if bounds[0] is None else as_number(bounds[0], where, minimum=None)
        high = np.inf if bounds[1] is None else as_number(bounds[1], where, minimum=None)
        if low > high:
            raise ValueError(f"{where}: the low bound {low:g} is above the high bound {high:g}.")
        stages = [str(s) for s in result.stage_paths[STAGE].values]
        if stage not in stages:
            raise ValueError(f"{where}: " + unknown_name_message("stage", stage, stages))
        out.append((stage, low, high))
    return out


def solve(
    problem: PlanValues,
    groups,
    budget,
    objective,
    alpha,
    max_loss_probability,
    forced,
    limits=(),
    values: np.ndarray | None = None,
) -> np.ndarray:
    """0-1 choice of the programme's columns; returns them (investments' indicators first).

    ``values`` replaces the problem's value per sample (``(samples,
    columns)``), for value of information.
    """
    values = problem.values if values is None else values
    n_samples, k = values.shape
    use_cvar = objective == "cvar"
    use_cap = max_loss_probability is not None
    n_vars = k + (1 + n_samples if use_cvar else 0) + (n_samples if use_cap else 0)
    c = np.zeros(n_vars)
    lower, upper = np.zeros(n_vars), np.ones(n_vars)
    integrality = np.zeros(n_vars)
    integrality[:k] = 1
    lower[forced] = 1
    rows, lo, hi = [], [], []

    def constraint(coefficients: dict, low: float, high: float) -> None:
        row = np.zeros(n_vars)
        for index, value in coefficients.items():
            row[index] = value
        rows.append(row)
        lo.append(low)
        hi.append(high)

    constraint(dict(enumerate(problem.costs)), -np.inf, budget)
    for (_, low, high), change in zip(limits, problem.changes, strict=True):
        constraint(dict(enumerate(change)), low, high)
    for members in groups:
        constraint(dict.fromkeys(members, 1.0), -np.inf, 1.0)
    for tie in problem.constraints:
        constraint(tie.coefficients, tie.low, tie.high)
    if use_cvar:
        t, u = k, k + 1
        c[t] = -1.0
        c[u : u + n_samples] = 1.0 / (alpha * n_samples)
        lower[t], upper[t] = -np.inf, np.inf
        upper[u : u + n_samples] = np.inf
        block = np.zeros((n_samples, n_vars))
        block[:, :k] = values
        block[:, t] = -1.0
        block[np.arange(n_samples), u + np.arange(n_samples)] = 1.0
        rows.extend(block)
        lo.extend([0.0] * n_samples)
        hi.extend([np.inf] * n_samples)
    else:
        c[:k] = -values.mean(axis=0)
    if use_cap:
        y = n_vars - n_samples
        integrality[y:] = 1
        big = np.maximum(-values, 0).sum(axis=1) + 1.0
        block = np.zeros((n_samples, n_vars))
        block[:, :k] = values
        block[np.arange(n_samples), y + np.arange(n_samples)] = big
        rows.extend(block)
        lo.extend([0.0] * n_samples)
        hi.extend([np.inf] * n_samples)
        constraint(
            {y + d: 1.0 for d in range(n_samples)},
            -np.inf,
            np.floor(max_loss_probability * n_samples),
        )
    solution = milp(
        c,
        constraints=LinearConstraint(np.array(rows), lo, hi),
        integrality=integrality,
        bounds=Bounds(lower, upper),
    )
    if not solution.success:
        limited = ", ".join(repr(stage) for stage, *_ in limits)
        hint = f" (stage_limits on {limited} included)" if limited else ""
        raise ValueError(
            f"no plan satisfies the budget and constraints{hint}: {solution.message}. "
            "Raise the budget or loosen a constraint."
        )
    return np.round(solution.x[:k]).astype(float)


def plan_cost(result: RoiResult, names: list[str]) -> float:
    """What funding ``names`` together costs (segments share a fixed cost)."""
    if result.simulator is None and len(names) > 1:
        return float(result.total_cost()[names].sum())
    return result.portfolio_cost(names)

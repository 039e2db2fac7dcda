"""What each plan is worth, in a form a 0-1 programme can choose from exactly.

A plan's value is linear in its investments only where they do not interact.
:func:`plan_values` finds which ones do and builds the programme's *columns*:
binary choice variables, each with its value per posterior sample, its
panel-average change of every bounded stage, and linear constraints tying it
to the investments' own indicators ``x``.

- **Independent investments** (they reach different units, or their joint
  simulation equals the sum of their separate ones on every sample) are one
  column each: ``x_i`` with the investment's own value.
- **A cluster of interacting investments** (connected by pairs whose joint
  value differs from the sum) of at most :data:`MAX_ENUMERATED` members is
  enumerated: one column per funded subset ``S`` of the cluster, carrying the
  joint value of ``S`` simulated together, with ``sum_S w_S <= 1`` and
  ``x_i = sum_{S containing i} w_S``. The programme is then exact for any
  interaction, of pairs, triples or more.
- **A larger cluster** keeps ``x_i`` with the investments' own values and adds
  one column ``z_ij = x_i x_j`` per interacting pair (linearised:
  ``z <= x_i``, ``z <= x_j``, ``z >= x_i + x_j - 1``) carrying the pair's
  interaction, joint value minus the two separate ones. This is exact when
  the interactions are pairwise only; ``PlanValues.exact`` is then false and
  the chosen plan is still valued by simulating it jointly.

Interactions are measured, not assumed: two investments that reach a common
unit are simulated together and compared with the sum of their separate values
on every sample (and on every bounded stage's change).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from exlink.simulation.roi import RoiResult

MAX_ENUMERATED = 8
"""Largest cluster of interacting investments whose subsets are all simulated."""

_RELATIVE_TOLERANCE = 1e-9


@dataclass
class Constraint:
    """``low <= sum(coefficients[k] * column_k) <= high`` over the programme's columns."""

    coefficients: dict[int, float]
    low: float
    high: float


@dataclass
class PlanValues:
    """The columns of the selection programme.

    Attributes
    ----------
    names
        Investment names; columns ``0 .. len(names) - 1`` are their indicators.
    values
        Value of each column per posterior sample, ``(samples, columns)``.
    changes
        Panel-average change of each bounded stage per column, ``(limits, columns)``.
    costs
        Undiscounted cost of each column, what the budget bounds (joint costs
        for combinations: segments of one investment share its fixed cost).
    constraints
        Ties between the extra columns and the indicators.
    members
        The investments (positions) each extra column stands for.
    enumerated
        Per extra column: True for a subset of an enumerated cluster (worth
        its joint value), False for a pair's interaction.
    clusters
        Groups of interacting investments (positions), each of two or more.
    exact
        False when a cluster was too large to enumerate and only pairwise
        interactions were modelled.
    """

    names: list[str]
    values: np.ndarray
    changes: np.ndarray
    costs: np.ndarray
    constraints: list[Constraint] = field(default_factory=list)
    members: list[tuple[int, ...]] = field(default_factory=list)
    clusters: list[list[int]] = field(default_factory=list)
    exact: bool = True
    enumerated: list[bool] = field(default_factory=list)

    @property
    def n_columns(self) -> int:
        """All binary columns: indicators first, then the extra ones."""
        return self.values.shape[1]

    def columns_of(self, x: np.ndarray) -> np.ndarray:
        """The value of every column when the investments ``x`` (0 or 1 each) are funded."""
        x = np.asarray(x, dtype=float)
        chosen = set(np.flatnonzero(x > 0.5).tolist())
        own = x.copy()
        extra = np.zeros(len(self.members))
        for k, (members, whole) in enumerate(zip(self.members, self.enumerated, strict=True)):
            if whole:
                cluster = next(c for c in self.clusters if set(members) <= set(c))
                extra[k] = float(chosen.intersection(cluster) == set(members))
                own[list(cluster)] = 0.0
            else:
                extra[k] = float(set(members) <= chosen)
        return np.concatenate([own, extra])


def plan_values(
    result: RoiResult, stages: Sequence[str] = (), groups: Sequence[Sequence[int]] = ()
) -> PlanValues:
    """Build the programme's columns for ``result``'s investments.

    Parameters
    ----------
    result
        Simulated investments.
    stages
        Stages whose panel-average change is bounded.
    groups
        Mutually exclusive investments (positions): subsets holding two of
        one group are never simulated.
    """
    names = result.names
    n = len(names)
    values = [result.portfolio_npv([name]).values for name in names]
    changes = [_changes(result, [name], stages) for name in names]
    costs = [result.portfolio_cost([name]) for name in names]
    clusters = interaction_clusters(result, stages)
    exclusive = [set(g) for g in groups]
    constraints: list[Constraint] = []
    members: list[tuple[int, ...]] = []
    enumerated: list[bool] = []
    exact = True
    for cluster in clusters:
        if len(cluster) <= MAX_ENUMERATED:
            for i in cluster:
                values[i] = np.zeros_like(values[i])
                changes[i] = np.zeros_like(changes[i])
                costs[i] = 0.0
            first = n + len(members)
            for subset in _subsets(cluster, exclusive):
                chosen = [names[i] for i in subset]
                values.append(result.portfolio_npv(chosen).values)
                changes.append(_changes(result, chosen, stages))
                costs.append(result.portfolio_cost(chosen))
                members.append(subset)
                enumerated.append(True)
            columns = range(first, n + len(members))
            constraints.append(Constraint(dict.fromkeys(columns, 1.0), -np.inf, 1.0))
            for i in cluster:
                tie = {k: -1.0 for k in columns if i in members[k - n]}
                constraints.append(Constraint({i: 1.0} | tie, 0.0, 0.0))
        else:
            exact = False
            for i, j in itertools.combinations(cluster, 2):
                pair = [names[i], names[j]]
                joint = result.portfolio_npv(pair).values
                interaction = joint - values[i] - values[j]
                cost = result.portfolio_cost(pair) - costs[i] - costs[j]
                if not _differs(joint, values[i] + values[j]) and abs(cost) < 1e-9:
                    continue
                k = n + len(members)
                values.append(interaction)
                costs.append(cost)
                changes.append(_changes(result, pair, stages) - changes[i] - changes[j])
                members.append((i, j))
                enumerated.append(False)
                constraints.append(Constraint({k: 1.0, i: -1.0}, -np.inf, 0.0))
                constraints.append(Constraint({k: 1.0, j: -1.0}, -np.inf, 0.0))
                constraints.append(Constraint({k: 1.0, i: -1.0, j: -1.0}, -1.0, np.inf))
    return PlanValues(
        names=names,
        values=np.column_stack(values),
        changes=np.column_stack(changes) if stages else np.zeros((0, len(values))),
        costs=np.asarray(costs, dtype=float),
        constraints=constraints,
        members=members,
        clusters=clusters,
        exact=exact,
        enumerated=enumerated,
    )


def interaction_clusters(result: RoiResult, stages: Sequence[str] = ()) -> list[list[int]]:
    """Groups of investments (positions) linked by pairs that interact.

    Two investments interact when they reach a common unit and their joint
    simulation differs from the sum of their separate ones, in value on some
    sample or in the change of a bounded stage. Without the simulation (a
    result made by hand) every investment counts as independent.
    """
    simulator = result.simulator
    names = result.names
    if simulator is None or len(names) < 2:
        return []
    parent = list(range(len(names)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    family = [inv.family for inv in result.investments]
    for i, j in itertools.combinations(range(len(names)), 2):
        shared = np.intersect1d(simulator.units[names[i]], simulator.units[names[j]]).size
        if not shared and family[i] != family[j]:
            continue
        pair = [names[i], names[j]]
        apart = result.portfolio_npv([names[i]]).values + result.portfolio_npv([names[j]]).values
        interacts = _differs(result.portfolio_npv(pair).values, apart)
        if stages and not interacts:
            together = _changes(result, pair, stages)
            apart_changes = _changes(result, [names[i]], stages) + _changes(
                result, [names[j]], stages
            )
            interacts = _differs(together, apart_changes)
        if interacts:
            parent[root(i)] = root(j)
    clusters: dict[int, list[int]] = {}
    for i in range(len(names)):
        clusters.setdefault(root(i), []).append(i)
    return [members for members in clusters.values() if len(members) > 1]


def _subsets(cluster: list[int], exclusive: list[set[int]]) -> list[tuple[int, ...]]:
    """Every non-empty subset of ``cluster`` holding at most one of each exclusive group."""
    out = []
    for size in range(1, len(cluster) + 1):
        for subset in itertools.combinations(cluster, size):
            if all(len(group.intersection(subset)) <= 1 for group in exclusive):
                out.append(subset)
    return out


def _changes(result: RoiResult, names: list[str], stages: Sequence[str]) -> np.ndarray:
    if not stages:
        return np.zeros(0)
    return result.portfolio_average_changes(names).reindex(list(stages)).to_numpy(float)


def _differs(a: np.ndarray, b: np.ndarray) -> bool:
    scale = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0)), 1.0)
    return bool(np.max(np.abs(a - b), initial=0.0) > _RELATIVE_TOLERANCE * scale)

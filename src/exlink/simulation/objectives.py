"""The customer and staff objectives of an investment: one defined number per role.

Each role with stages (``cx``, ``customer``, ``ex``) gets one summary number
per investment, the ``{role}_change`` columns of
:meth:`~exlink.simulation.roi_result.RoiResult.summary`, defined by weights over the
role's stages:

- one stage (named by the user, or the role's only stage): its change at the
  horizon per targeted unit, in the stage's own units;
- several stages: the weighted index ``sum_s w_s * change_s / sd_s``, each
  change in standard deviations of its stage over the panel (so stages on
  different scales can be added), weights as given; by default every stage of
  the role with weight ``1 / m``, and ``-1 / m`` for the attrition stage (a
  fall in attrition is a gain for staff).

The definitions travel with the table (``summary().attrs["objectives"]``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np

from exlink._names import unknown_name_message
from exlink._values import as_number
from exlink.spec import Chain

OBJECTIVE_ROLES = ("cx", "customer", "ex")


def objective_weights(
    chain: Chain,
    given: Mapping[str, str | Mapping[str, float]] | None = None,
    lower_is_better: Collection[str] = (),
) -> dict[str, dict[str, float]]:
    """Role -> stage -> weight of each objective, checked against the chain.

    Parameters
    ----------
    chain
        The model's chain.
    given
        Role -> a stage name, or a mapping of stage -> weight. Roles left out
        weigh their stages equally.
    lower_is_better
        Stages whose fall is a gain (the attrition stage): in a role left to
        the default, they weigh ``-1 / m``, so the index rises when they fall.
    """
    given = dict(given or {})
    for role in given:
        if role not in OBJECTIVE_ROLES:
            raise ValueError("objectives: " + unknown_name_message("role", role, OBJECTIVE_ROLES))
    stages = list(chain.stage_names)
    out = {}
    for role in OBJECTIVE_ROLES:
        own = [s.name for s in chain.stages if s.role == role]
        choice = given.get(role)
        if choice is None:
            if own:
                out[role] = {
                    stage: (-1.0 if stage in lower_is_better else 1.0) / len(own) for stage in own
                }
            continue
        weights = {choice: 1.0} if isinstance(choice, str) else dict(choice)
        if not weights:
            raise ValueError(f"objectives[{role!r}] names no stage.")
        checked = {}
        for stage, weight in weights.items():
            if stage not in stages:
                raise ValueError(
                    f"objectives[{role!r}]: " + unknown_name_message("stage", stage, stages)
                )
            checked[stage] = as_number(weight, f"objectives[{role!r}][{stage!r}]", minimum=None)
        if not any(checked.values()):
            raise ValueError(f"objectives[{role!r}]: the weights are all 0.")
        out[role] = checked
    return out


def objective_value(weights: Mapping[str, float], changes, sds: Mapping[str, float]):
    """The objective of stage ``changes`` (a mapping stage -> value or array)."""
    if len(weights) == 1:
        ((stage, weight),) = weights.items()
        return weight * changes[stage]
    return sum(w * changes[s] / sds.get(s, 1.0) for s, w in weights.items())


def describe_objective(weights: Mapping[str, float], units: Mapping[str, str] | None = None) -> str:
    """The definition of an objective in words, weights stated."""
    units = units or {}
    if len(weights) == 1:
        ((stage, weight),) = weights.items()
        scale = "" if np.isclose(weight, 1.0) else f"{weight:g} x "
        unit = f" ({units[stage]})" if units.get(stage) else ""
        return f"{scale}change of {stage}{unit}"
    if len({abs(w) for w in weights.values()}) == 1:
        names = ", ".join(s + (" (falling)" if w < 0 else "") for s, w in weights.items())
        return f"equal-weight index of {names}, each change in standard deviations of its stage"
    terms = " ".join(f"{'-' if w < 0 else '+'} {abs(w):g} x {s}" for s, w in weights.items())
    return f"index {terms.removeprefix('+ ')}, each change in standard deviations of its stage"

"""Which stages carry money, and how a stage change becomes money per unit and period.

See :class:`~exlink.simulation.investments.Finance` for the formulas: revenue
times the margin (a growth rate compounding on each unit's revenue base),
cost to serve saved, and leavers avoided times their replacement cost.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from exlink._names import unknown_name_message
from exlink.models.design import recent_level
from exlink.simulation.investments import Finance

if TYPE_CHECKING:
    from exlink.models.chain import ChainModel

PERIODS_PER_YEAR = {"month": 12, "quarter": 4, "integer": 12}
"""Periods per year of each panel frequency (integer periods count as months)."""


class MoneySetup:
    """Which stages carry money, and how much per unit."""

    def __init__(self, model: ChainModel, finance: Finance) -> None:
        design, chain = model.design, model.chain
        self.design, self.finance = design, finance
        self.units = model.panel.units
        names = design.stage_names

        def find(given: str | None, role: str | None, word: str, what: str) -> int | None:
            if given == "":
                return None
            if given is not None:
                if given not in names:
                    raise ValueError(
                        f"Finance: {what} " + unknown_name_message("stage", given, names)
                    )
                return names.index(given)
            for stage in chain.stages:
                if word in stage.name and (role is None or stage.role == role):
                    return names.index(stage.name)
            return None

        self.revenue = find(finance.revenue_stage, "financial", "revenue", "revenue_stage")
        self.cost = find(finance.cost_stage, "financial", "cost", "cost_stage")
        self.attrition = find(finance.attrition_stage, None, "attrition", "attrition_stage")
        self.lower_is_better = {names[i] for i in (self.cost, self.attrition) if i is not None}
        """Stages whose fall is a gain: the cost-to-serve and attrition stages."""
        if self.revenue is None and self.cost is None and self.attrition is None:
            raise ValueError(
                "Finance: the chain has no revenue, cost or attrition stage to turn into money; "
                "name one with revenue_stage=, cost_stage= or attrition_stage=."
            )
        if isinstance(finance.headcount, str):
            if finance.headcount not in model.panel.attribute_names:
                raise ValueError(
                    "Finance: headcount "
                    + unknown_name_message(
                        "attribute", finance.headcount, model.panel.attribute_names
                    )
                )
            self.headcount = model.panel.attributes[finance.headcount].to_numpy(float)
        else:
            self.headcount = np.full(model.panel.n_units, float(finance.headcount))
        self.periods_per_year = PERIODS_PER_YEAR[model.panel.frequency]
        self.revenue_base = self.growth_level = None
        if self.revenue is not None and finance.revenue_kind == "growth":
            original = design.original_values()
            self.revenue_base = _revenue_base(model, finance.revenue_base, original)
            self.growth_level = recent_level(original[self.revenue])
        self.roles = {}
        for role in ("ex", "cx", "customer"):
            stage = next((s.name for s in chain.stages if s.role == role), None)
            if stage:
                self.roles[role] = stage

    def money(
        self, change: Mapping[int, np.ndarray], units: np.ndarray, shape: tuple[int, int, int]
    ) -> np.ndarray:
        """Revenue, cost-to-serve and attrition benefits, shape ``(samples, units, periods, 3)``.

        ``change`` maps a stage's position to its change, ``shape``
        ``(samples, units, periods)``; a stage absent from it does not change.
        """
        f = self.finance
        out = np.zeros((*shape, 3))
        if self.revenue in change:
            delta = change[self.revenue]
            if f.revenue_kind == "growth":
                delta = self.compounded(delta, units)
            out[..., 0] = delta * f.money_per_stage_unit * f.margin
        if self.cost in change:
            out[..., 1] = -change[self.cost] * f.money_per_stage_unit
        if self.attrition in change:
            leavers = -change[self.attrition] / 100.0 * self.headcount[units][None, :, None]
            out[..., 2] = leavers * f.cost_per_leaver
        return out

    def compounded(self, growth_change: np.ndarray, units: np.ndarray) -> np.ndarray:
        """Revenue change of a growth change, compounding on each unit's base.

        ``growth_change`` has shape ``(samples, units, periods)``, in the
        growth stage's % units; so has the result, in revenue per period.
        """
        f = self.finance
        growth = self.design.stage_names[self.revenue]
        drop = "drop the unit from the investment's units"
        for values, problem in (
            (
                self.revenue_base,
                f"has no revenue_base ({f.revenue_base!r}) to compound on; give revenue_base= "
                f"a number or a unit attribute, or {drop}",
            ),
            (
                self.growth_level,
                f"has no observed {growth!r} to continue at the status quo; {drop}",
            ),
        ):
            missing = units[np.isnan(values[units])]
            if len(missing):
                raise ValueError(f"Finance: unit {self.units[missing[0]]!r} {problem}.")
        level = self.growth_level[units][None, :, None]
        rate = f.growth_per_period
        status_quo = np.cumprod(
            np.broadcast_to(1.0 + rate(level, self.periods_per_year), growth_change.shape),
            axis=-1,
        )
        changed = np.cumprod(1.0 + rate(level + growth_change, self.periods_per_year), axis=-1)
        return self.revenue_base[units][None, :, None] * (changed - status_quo)

    def leavers(self, money: np.ndarray) -> np.ndarray:
        """Leavers avoided over the horizon per sample."""
        if self.attrition is None or self.finance.cost_per_leaver == 0:
            return np.zeros(money.shape[0])
        return money[..., 2].sum(axis=(1, 2)) / self.finance.cost_per_leaver


def _revenue_base(model: ChainModel, given: float | str, original: np.ndarray) -> np.ndarray:
    """Each unit's revenue per period that growth compounds on (``Finance.revenue_base``)."""
    panel, names = model.panel, model.design.stage_names
    if not isinstance(given, str):
        return np.full(panel.n_units, float(given))
    attribute, stage = given in panel.attribute_names, given in names
    if attribute and stage:
        raise ValueError(
            f"Finance: revenue_base {given!r} names both a unit attribute and a stage; "
            "rename one of them."
        )
    if stage:
        return recent_level(original[names.index(given)])
    if not attribute:
        raise ValueError(
            "Finance: revenue_base "
            + unknown_name_message(
                "unit attribute or stage", given, [*panel.attribute_names, *names]
            )
        )
    column = panel.attributes[given]
    if not pd.api.types.is_numeric_dtype(column):
        raise TypeError(f"Finance: revenue_base attribute {given!r} must be numeric.")
    values = column.to_numpy(dtype=float)
    negative = np.flatnonzero(values < 0)
    if len(negative):
        raise ValueError(
            f"Finance: revenue_base attribute {given!r} is negative for unit "
            f"{panel.units[negative[0]]!r}; revenue cannot be below 0."
        )
    return values

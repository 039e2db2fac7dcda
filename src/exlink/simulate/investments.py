"""Candidate investments and the finance assumptions that price them."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from exlink.spec import LEVERS

Units = str | Sequence[Any] | Callable[[pd.DataFrame], Any]


def _number(value: object, what: str, *, minimum: float | None = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise TypeError(f"{what} must be a number, got {value!r}.")
    if minimum is not None and value < minimum:
        raise ValueError(f"{what} must be >= {minimum:g}, got {value:g}.")
    return float(value)


@dataclass(frozen=True)
class Investment:
    """A candidate EX investment.

    Either a historical intervention rolled out further (``intervention=``,
    its fitted effect, ramp and fade), or a new one whose effect on one or more
    stages is elicited as a 90% range (``effect=``), informed, where
    ``lever=`` is named, by that lever's fitted population of effects.

    Parameters
    ----------
    name
        A name for reports.
    intervention
        The historical intervention to roll out.
    lever
        The lever of a new investment.
    effect
        Stage -> ``(low, high)``: the 90% range of the effect of full exposure,
        in stage units, for a new investment.
    units
        ``"all"``, ``"untreated"`` (units the intervention has not reached), a
        list of unit labels, a pandas query on unit attributes
        (``"region == 'north'"``) or a function of the attribute table
        returning a boolean mask.
    start
        Period of the simulation (0 = the first period after the data) in
        which the rollout starts.
    duration
        Periods it runs, ``None`` for permanent.
    level
        Rollout level (1 = full).
    ramp
        Adoption rate per period of a new investment (a historical one uses
        its fitted rate).
    reinforced
        If true, the effect does not fade once the rollout stops.
    cost_upfront
        Cost per unit when the unit starts.
    cost_per_period
        Cost per unit and period while the rollout runs.
    cost_fixed
        One-off cost at the start, whatever the number of units.
    group
        Investments sharing a group are mutually exclusive in
        :func:`~exlink.simulate.portfolio.prioritise`.
    """

    name: str
    intervention: str | None = None
    lever: str | None = None
    effect: Mapping[str, tuple[float, float]] | None = None
    units: Units = "all"
    start: int = 0
    duration: int | None = None
    level: float = 1.0
    ramp: float = 0.5
    reinforced: bool = False
    cost_upfront: float = 0.0
    cost_per_period: float = 0.0
    cost_fixed: float = 0.0
    group: str | None = None

    def __post_init__(self) -> None:
        where = f"Investment {self.name!r}"
        if not isinstance(self.name, str) or not self.name.strip():
            raise TypeError(f"an investment needs a name, got {self.name!r}.")
        if (self.intervention is None) == (self.effect is None):
            raise ValueError(
                f"{where}: give either intervention= (roll out a historical one) or "
                "effect= (a new one, with the 90% range of its effect per stage)."
            )
        if self.lever is not None and self.lever not in LEVERS:
            raise ValueError(f"{where}: lever {self.lever!r} is not one of {', '.join(LEVERS)}.")
        if self.effect is not None:
            if not isinstance(self.effect, Mapping) or not self.effect:
                raise TypeError(f"{where}: effect must map stages to (low, high) ranges.")
            for stage, bounds in self.effect.items():
                if not isinstance(bounds, Sequence) or len(bounds) != 2:
                    raise TypeError(f"{where}: effect[{stage!r}] must be (low, high).")
                low = _number(bounds[0], f"{where}: effect[{stage!r}] low", minimum=None)
                high = _number(bounds[1], f"{where}: effect[{stage!r}] high", minimum=None)
                if low > high:
                    raise ValueError(
                        f"{where}: effect[{stage!r}] range has low {low:g} above high {high:g}."
                    )
            object.__setattr__(self, "effect", {k: tuple(v) for k, v in self.effect.items()})
        if isinstance(self.start, bool) or not isinstance(self.start, int) or self.start < 0:
            raise ValueError(f"{where}: start must be a period >= 0, got {self.start!r}.")
        if self.duration is not None and (
            isinstance(self.duration, bool)
            or not isinstance(self.duration, int)
            or self.duration < 1
        ):
            raise ValueError(
                f"{where}: duration must be >= 1 period or None, got {self.duration!r}."
            )
        _number(self.level, f"{where}: level")
        ramp = _number(self.ramp, f"{where}: ramp")
        if not 0 < ramp <= 1:
            raise ValueError(f"{where}: ramp must be in (0, 1], got {ramp:g}.")
        for cost in ("cost_upfront", "cost_per_period", "cost_fixed"):
            _number(getattr(self, cost), f"{where}: {cost}")

    @property
    def is_new(self) -> bool:
        """True for a new investment with an elicited effect."""
        return self.effect is not None


@dataclass(frozen=True)
class Finance:
    """Finance assumptions that turn stage changes into money.

    Parameters
    ----------
    horizon
        Periods simulated, from the first period after the data.
    discount_rate
        Annual discount rate, converted to the period.
    periods_per_year
        12 for months, 4 for quarters; taken from the panel when ``None``
        (and 12 for integer periods).
    margin
        Share of a revenue change that is profit.
    revenue_stage
        The stage carrying revenue; the first financial stage whose name
        contains ``revenue`` when ``None``.
    revenue_kind
        ``"level"`` (money per unit and period) or ``"growth"`` (% growth per
        period on ``revenue_base``).
    revenue_base
        Revenue per unit and period for ``"growth"``; the unit's recent mean
        of the revenue stage when ``None``.
    money_per_stage_unit
        Money per unit of the financial stages (1000 when they are in
        thousands).
    cost_stage
        A cost-to-serve stage (money per unit and period); the first financial
        stage whose name contains ``cost`` when ``None``; ``""`` for none.
    attrition_stage
        A staff attrition stage in % of staff leaving per period; the first
        stage whose name contains ``attrition`` when ``None``; ``""`` for none.
    cost_per_leaver
        Replacement cost of one leaver.
    headcount
        Staff per unit: a number, or a unit attribute's name.
    currency
        Label for reports.
    """

    horizon: int
    discount_rate: float = 0.08
    periods_per_year: int | None = None
    margin: float = 1.0
    revenue_stage: str | None = None
    revenue_kind: str = "level"
    revenue_base: float | None = None
    money_per_stage_unit: float = 1.0
    cost_stage: str | None = None
    attrition_stage: str | None = None
    cost_per_leaver: float = 0.0
    headcount: float | str = 0.0
    currency: str = "EUR"

    def __post_init__(self) -> None:
        if isinstance(self.horizon, bool) or not isinstance(self.horizon, int) or self.horizon < 1:
            raise ValueError(
                f"Finance: horizon must be a whole number of periods >= 1, got {self.horizon!r}."
            )
        rate = _number(self.discount_rate, "Finance: discount_rate", minimum=None)
        if rate <= -1:
            raise ValueError(f"Finance: discount_rate must be above -1, got {rate:g}.")
        if self.periods_per_year is not None and self.periods_per_year not in (1, 2, 4, 12, 52):
            raise ValueError(
                f"Finance: periods_per_year must be 1, 2, 4, 12 or 52, "
                f"got {self.periods_per_year!r}."
            )
        margin = _number(self.margin, "Finance: margin")
        if margin > 1:
            raise ValueError(f"Finance: margin is a share of revenue, at most 1; got {margin:g}.")
        if self.revenue_kind not in ("level", "growth"):
            raise ValueError(
                f"Finance: revenue_kind must be 'level' or 'growth', got {self.revenue_kind!r}."
            )
        if self.revenue_base is not None:
            _number(self.revenue_base, "Finance: revenue_base")
        _number(self.money_per_stage_unit, "Finance: money_per_stage_unit")
        _number(self.cost_per_leaver, "Finance: cost_per_leaver")
        if not isinstance(self.headcount, str):
            _number(self.headcount, "Finance: headcount")

    def period_rate(self, periods_per_year: int) -> float:
        """The discount rate per period."""
        per_year = self.periods_per_year or periods_per_year
        return (1.0 + self.discount_rate) ** (1.0 / per_year) - 1.0

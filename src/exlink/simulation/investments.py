"""Candidate investments and the finance assumptions that price them."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from exlink._spec_checks import check_name
from exlink._values import as_count, as_number
from exlink.selection import parse_selection
from exlink.spec import LEVERS

Units = str | Sequence[Any] | Mapping[str, Any] | Callable[[pd.DataFrame], Any]


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
        ``"all"``, ``"untreated"`` or ``"treated"`` (units the intervention
        has not reached, or has reached, in the data), a list of unit labels,
        a mapping of unit attributes to conditions (``{"region": "north"}``,
        ``{"culture": {"min": 3}}``), comparisons on unit attributes
        (``"region == 'north' and culture >= 3"``, parsed, never evaluated),
        or a function of the attribute table returning a boolean mask. See
        :mod:`exlink.selection`.
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
        :func:`~exlink.simulation.portfolio.prioritise`.
    segments
        Offer the investment in parts, each a decision of its own: the name
        of a unit attribute (one segment per value among the investment's
        units, ``"region"``), or segment name -> a selection of units as for
        ``units`` (``{"north_east": {"region": ["north", "east"]}, "big":
        "headcount >= 30"}``), disjoint and within the investment's units.
        :func:`~exlink.simulation.roi.simulate` makes one investment per
        segment, named ``"name.segment"``; the fixed cost is paid once,
        however many segments are funded.
    segment_of
        Set on the segments :func:`~exlink.simulation.roi.simulate` makes: the
        investment they are part of.
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
    segments: str | Mapping[str, Units] | None = None
    segment_of: str | None = None

    def __post_init__(self) -> None:
        check_name(self.name, "Investment name")
        where = f"Investment {self.name!r}"
        if (self.intervention is None) == (self.effect is None):
            raise ValueError(
                f"{where}: give either intervention= (roll out a historical one) or "
                "effect= (a new one, with the 90% range of its effect per stage)."
            )
        if self.intervention is not None:
            check_name(self.intervention, f"{where}: intervention")
        if self.lever is not None and self.lever not in LEVERS:
            raise ValueError(f"{where}: lever {self.lever!r} is not one of {', '.join(LEVERS)}.")
        if self.effect is not None:
            object.__setattr__(self, "effect", _effect_ranges(self.effect, where))
        object.__setattr__(self, "units", _units(self.units, where))
        object.__setattr__(self, "start", as_count(self.start, f"{where}: start"))
        if self.duration is not None:
            duration = as_count(self.duration, f"{where}: duration", minimum=1)
            object.__setattr__(self, "duration", duration)
        object.__setattr__(self, "level", as_number(self.level, f"{where}: level"))
        ramp = as_number(self.ramp, f"{where}: ramp")
        if not 0 < ramp <= 1:
            raise ValueError(f"{where}: ramp must be in (0, 1], got {ramp:g}.")
        object.__setattr__(self, "ramp", ramp)
        if not isinstance(self.reinforced, bool | np.bool_):
            raise TypeError(f"{where}: reinforced must be true or false, got {self.reinforced!r}.")
        for cost in ("cost_upfront", "cost_per_period", "cost_fixed"):
            object.__setattr__(self, cost, as_number(getattr(self, cost), f"{where}: {cost}"))
        if self.group is not None:
            check_name(self.group, f"{where}: group")
        if self.segments is not None:
            object.__setattr__(self, "segments", _segments(self.segments, where))
            if self.group is not None:
                raise ValueError(
                    f"{where}: segments and group do not go together (a group makes its "
                    "members exclusive, segments are chosen freely); drop one."
                )
        if self.segment_of is not None:
            check_name(self.segment_of, f"{where}: segment_of")

    @property
    def family(self) -> str:
        """The investment a segment is part of; its own name otherwise."""
        return self.segment_of or self.name

    @property
    def is_new(self) -> bool:
        """True for a new investment with an elicited effect."""
        return self.effect is not None


def _effect_ranges(effect: object, where: str) -> dict[str, tuple[float, float]]:
    if not isinstance(effect, Mapping) or not effect:
        raise TypeError(f"{where}: effect must map stages to (low, high) ranges.")
    out = {}
    for stage, bounds in effect.items():
        check_name(stage, f"{where}: effect stage")
        if isinstance(bounds, str) or not isinstance(bounds, Sequence) or len(bounds) != 2:
            raise TypeError(f"{where}: effect[{stage!r}] must be (low, high), got {bounds!r}.")
        low = as_number(bounds[0], f"{where}: effect[{stage!r}] low", minimum=None)
        high = as_number(bounds[1], f"{where}: effect[{stage!r}] high", minimum=None)
        if low > high:
            raise ValueError(
                f"{where}: effect[{stage!r}] range has low {low:g} above high {high:g}."
            )
        out[stage] = (low, high)
    return out


def _segments(segments: object, where: str) -> str | dict:
    if isinstance(segments, str):
        check_name(segments, f"{where}: segments (a unit attribute)")
        return segments
    if not isinstance(segments, Mapping) or not segments:
        raise TypeError(
            f"{where}: segments is a unit attribute's name or a mapping of segment name -> "
            f"units, got {segments!r}."
        )
    out = {}
    for name, choice in segments.items():
        check_name(name, f"{where}: segment name")
        out[str(name)] = _units(choice, f"{where}: segments[{name!r}]")
    return out


def _units(units: object, where: str) -> object:
    parse_selection(units, f"{where}: units")
    if isinstance(units, list | np.ndarray | pd.Index):
        return tuple(units)
    return units


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
        ``"level"``: the revenue stage is money per unit and period, and a
        change in it is a change in revenue. ``"growth"``: the revenue stage
        is a growth rate in % (per period, or a year: see ``growth_rate``), and
        a change in it compounds into each unit's revenue level::

            revenue[u, h] = base[u] * prod over s <= h of (1 + r(g[u, s]))

        where ``h`` counts the horizon's periods from 1, ``g`` is the growth
        rate (the status quo: the unit's recent level, plus the investment's
        change), ``r(g) = g / 100`` per period, or ``(1 + g / 100) ** (1 /
        periods_per_year) - 1`` for an annual rate. The revenue change is
        this path minus the same path at the status quo's growth.
    revenue_base
        For ``"growth"`` (required): each unit's revenue per period at the
        end of the data, in the financial stages' units. A number (every
        unit alike), the name of a numeric unit attribute, or the name of a
        stage carrying revenue per period (each unit's recent level).
    growth_rate
        For ``"growth"``: ``"period"`` when the revenue stage is % growth per
        period, ``"annual"`` when it is % a year.
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
    revenue_base: float | str | None = None
    growth_rate: str = "period"
    money_per_stage_unit: float = 1.0
    cost_stage: str | None = None
    attrition_stage: str | None = None
    cost_per_leaver: float = 0.0
    headcount: float | str = 0.0
    currency: str = "EUR"

    def __post_init__(self) -> None:
        object.__setattr__(self, "horizon", as_count(self.horizon, "Finance: horizon", minimum=1))
        rate = as_number(self.discount_rate, "Finance: discount_rate", minimum=None)
        if rate <= -1:
            raise ValueError(f"Finance: discount_rate must be above -1, got {rate:g}.")
        if rate > 1:
            warnings.warn(
                f"Finance: discount_rate {rate:g} is {rate:.0%} a year; a rate of "
                f"{rate:g}% is written {rate / 100:g}.",
                UserWarning,
                stacklevel=3,
            )
        object.__setattr__(self, "discount_rate", rate)
        if self.periods_per_year is not None:
            per_year = as_count(self.periods_per_year, "Finance: periods_per_year", minimum=1)
            if per_year not in (1, 2, 4, 12, 52):
                raise ValueError(
                    f"Finance: periods_per_year must be 1, 2, 4, 12 or 52, got {per_year!r}."
                )
            object.__setattr__(self, "periods_per_year", per_year)
        margin = as_number(self.margin, "Finance: margin")
        if margin > 1:
            raise ValueError(f"Finance: margin is a share of revenue, at most 1; got {margin:g}.")
        object.__setattr__(self, "margin", margin)
        if self.revenue_kind not in ("level", "growth"):
            raise ValueError(
                f"Finance: revenue_kind must be 'level' or 'growth', got {self.revenue_kind!r}."
            )
        for name in ("revenue_stage", "cost_stage", "attrition_stage"):
            value = getattr(self, name)
            if value is not None and value != "":
                check_name(value, f"Finance: {name}")
        if self.growth_rate not in ("period", "annual"):
            raise ValueError(
                "Finance: growth_rate must be 'period' (% growth per period) or 'annual' "
                f"(% a year), got {self.growth_rate!r}."
            )
        if self.revenue_kind == "level" and self.revenue_base is not None:
            raise ValueError(
                "Finance: revenue_base is the revenue a growth rate compounds on; it applies "
                "to revenue_kind='growth' only. Drop it, or set revenue_kind='growth'."
            )
        if self.revenue_kind == "growth" and self.revenue_base is None:
            raise ValueError(
                "Finance: revenue_kind='growth' needs revenue_base=, the revenue each unit's "
                "growth compounds on: a number, a unit attribute's name (revenue_base="
                "'revenue_last') or a revenue stage's name."
            )
        if isinstance(self.revenue_base, str):
            check_name(self.revenue_base, "Finance: revenue_base")
        elif self.revenue_base is not None:
            base = as_number(self.revenue_base, "Finance: revenue_base")
            object.__setattr__(self, "revenue_base", base)
        for name in ("money_per_stage_unit", "cost_per_leaver"):
            object.__setattr__(self, name, as_number(getattr(self, name), f"Finance: {name}"))
        if isinstance(self.headcount, str):
            check_name(self.headcount, "Finance: headcount")
        else:
            headcount = as_number(self.headcount, "Finance: headcount")
            object.__setattr__(self, "headcount", headcount)
        if not isinstance(self.currency, str) or not self.currency.strip():
            raise TypeError(
                f"Finance: currency is a label such as 'EUR', got {self.currency!r}; "
                "quote it in YAML if it looks like a number."
            )

    def growth_per_period(self, growth: np.ndarray, periods_per_year: int) -> np.ndarray:
        """A growth rate in % (per period or a year, see ``growth_rate``) as a per-period share."""
        if self.growth_rate == "period":
            return growth / 100.0
        per_year = self.periods_per_year or periods_per_year
        return (1.0 + growth / 100.0) ** (1.0 / per_year) - 1.0

    def period_rate(self, periods_per_year: int) -> float:
        """The discount rate per period."""
        per_year = self.periods_per_year or periods_per_year
        return (1.0 + self.discount_rate) ** (1.0 / per_year) - 1.0

"""Experiments and pilots as evidence: a measured lift with its standard error.

A randomised pilot (coaching in 4 branches, 4 comparable branches without)
measures the lift of an intervention on a stage directly. Added to a chain
model, its estimate enters the likelihood as one more observation::

    lift ~ Normal(implied_lift(theta), se)

where ``implied_lift`` is the lift the model's parameters predict for that
pilot: the intervention's effect on the stage, direct or through the chain's
links (slopes of nonlinear links at the source's observed mean), for the
pilot's units (their moderators) over the pilot's periods (the adoption ramp
from a full-level start). Without ``periods`` the lift is the settled,
long-run effect. A precise pilot pins the effect down; a pilot with a large
``se`` moves the posterior little, as much as its evidence warrants.

The pilot must be independent evidence: if its units and periods are also in
the panel with their rollouts, the panel already holds them, and adding the
pilot counts that evidence twice.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytensor.tensor as pt

from exlink._names import unknown_name_message
from exlink.models.design import ChainDesign
from exlink.spec import Chain
from exlink.transforms import link_curve_tensor

SLOPE_STEP = 1e-3
"""Half-width, in standard deviations of the source, of the difference giving a nonlinear slope."""


@dataclass(frozen=True)
class Experiment:
    """A measured lift of an intervention on a stage, with its standard error.

    Parameters
    ----------
    intervention
        The intervention tested, one of the chain's.
    stage
        The stage measured: a target of the intervention or a stage
        downstream of one.
    lift
        Treated minus control, in the stage's units.
    se
        Standard error of the lift, > 0.
    units
        Units the pilot ran in (their moderators set the implied lift);
        ``None`` for an average unit.
    periods
        Periods the lift was measured over after a full-level start (the
        ramp counts); ``None`` for the settled, long-run effect.
    """

    intervention: str
    stage: str
    lift: float
    se: float
    units: tuple[Any, ...] | None = None
    periods: int | None = None

    def __post_init__(self) -> None:
        for name in ("lift", "se"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float | np.number):
                raise TypeError(f"experiment {name} must be a number, got {value!r}.")
            if not math.isfinite(value):
                raise ValueError(f"experiment {name} must be finite, got {value!r}.")
            object.__setattr__(self, name, float(value))
        if self.se <= 0:
            raise ValueError(
                f"experiment se must be positive, got {self.se}: a pilot always has sampling "
                "error; give its standard error."
            )
        if self.units is not None:
            units = (self.units,) if isinstance(self.units, str) else tuple(self.units)
            if not units:
                raise ValueError("experiment units is empty: name the pilot's units or use None.")
            object.__setattr__(self, "units", units)
        periods = self.periods
        if periods is not None and (
            isinstance(periods, bool) or not isinstance(periods, int | np.integer) or periods < 1
        ):
            raise ValueError(
                f"experiment periods must be a whole number >= 1 or None, got {periods!r}."
            )

    @property
    def label(self) -> str:
        """``"coaching -> nps"``, with the pilot's length when given."""
        window = f" ({self.periods} periods)" if self.periods else ""
        return f"{self.intervention} -> {self.stage}{window}"

    def check(self, chain: Chain, units: Sequence[Any] | None = None) -> None:
        """Refuse an experiment the chain (or the panel's units) cannot hold."""
        if self.intervention not in chain.intervention_names:
            raise ValueError(
                "experiment: "
                + unknown_name_message("intervention", self.intervention, chain.intervention_names)
            )
        reachable = chain.downstream(self.intervention)
        if self.stage not in reachable:
            if self.stage not in chain.stage_names:
                raise ValueError(
                    "experiment: " + unknown_name_message("stage", self.stage, chain.stage_names)
                )
            raise ValueError(
                f"experiment: the chain gives {self.intervention!r} no path to {self.stage!r} "
                f"(it reaches {', '.join(reachable)}): add the link, or measure a stage it reaches."
            )
        if self.units is not None and units is not None:
            known = set(units)
            for unit in self.units:
                if unit not in known:
                    raise ValueError(
                        "experiment units: " + unknown_name_message("unit", unit, list(units))
                    )

    def to_dict(self) -> dict[str, Any]:
        """Plain values, for JSON."""
        units = None if self.units is None else [_plain(u) for u in self.units]
        return {
            "intervention": self.intervention,
            "stage": self.stage,
            "lift": self.lift,
            "se": self.se,
            "units": units,
            "periods": None if self.periods is None else int(self.periods),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Experiment:
        """Inverse of :meth:`to_dict`."""
        return cls(**dict(data))


def check_candidate_pilot(experiment: Experiment, chain: Chain) -> None:
    """Refuse a pilot of a new investment that measures a stage the chain does not hold."""
    if experiment.stage not in chain.stage_names:
        raise ValueError(
            f"pilot of {experiment.intervention!r}: "
            + unknown_name_message("stage", experiment.stage, chain.stage_names)
        )


def experiments_from_table(table: pd.DataFrame) -> list[Experiment]:
    """Experiments from a table with ``intervention``, ``stage``, ``lift``, ``se``, ``periods``.

    ``periods`` is optional (empty for the settled effect). A bad row is named
    in the error.
    """
    required = ["intervention", "stage", "lift", "se"]
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise ValueError(
            f"the experiments table lacks column(s) {missing}: it needs {required} "
            "and may have 'periods'."
        )
    out = []
    for row, record in enumerate(table.to_dict("records")):
        periods = record.get("periods")
        periods = None if periods is None or pd.isna(periods) else int(periods)
        values = {k: record[k] for k in required}
        try:
            out.append(Experiment(**values, periods=periods))
        except (TypeError, ValueError) as error:
            raise type(error)(f"experiments table row {row}: {error}") from error
    return out


def implied_lift(
    design: ChainDesign, experiment: Experiment, params: Mapping[str, Any]
) -> pt.TensorVariable:
    """The lift the model's parameters predict for an experiment, on the stage's standardised scale.

    Parameters
    ----------
    design
        The model's design.
    experiment
        The pilot.
    params
        Standardised-scale tensors of the graph: ``beta``, ``gamma``,
        ``reference``, ``curvature``, ``link_moderation``,
        ``effect_moderation`` (``None`` when absent) and ``ramp`` (intervention
        name -> adoption rate tensor).
    """
    k = design.intervention_names.index(experiment.intervention)
    zbar = _mean_moderators(design, experiment.units)
    direct = {}
    moderated_effects = [i for i, t in enumerate(design.effects) if t.moderator]
    for i, term in enumerate(design.effects):
        if term.intervention == k:
            slope = params["gamma"][i]
            if term.moderator:
                position = moderated_effects.index(i)
                slope = slope + params["effect_moderation"][position] * zbar[term.moderator]
            direct[term.target] = slope
    links = [
        (term, _link_slope(design, i, term, params, zbar)) for i, term in enumerate(design.links)
    ]
    order = [design.stage_names.index(s) for s in design.chain.topological_order()]
    target = design.stage_names.index(experiment.stage)
    if experiment.periods is None:
        return _long_run(order, direct, links)[target]
    rate = params["ramp"].get(experiment.intervention, pt.constant(1.0))
    return _windowed(order, direct, links, rate, int(experiment.periods), target)


def _long_run(order: list[int], direct: dict, links: list) -> dict[int, Any]:
    position = {j: n for n, j in enumerate(order)}
    if any(position[t.source] > position[t.target] for t, _ in links):
        return _long_run_with_feedback(order, direct, links)
    effect: dict[int, Any] = {}
    for j in order:
        total = direct.get(j, pt.constant(0.0))
        own = pt.constant(0.0)
        for term, slope in links:
            if term.target != j:
                continue
            if term.source == j:
                own = own + slope
            else:
                total = total + slope * effect[term.source]
        effect[j] = total / (1 - own)
    return effect


def _long_run_with_feedback(order: list[int], direct: dict, links: list) -> dict[int, Any]:
    """The settled effect when lagged links point back up the chain: ``(I - B) x = d``."""
    n = len(order)
    slopes = pt.zeros((n, n))
    for term, slope in links:
        slopes = pt.inc_subtensor(slopes[term.target, term.source], slope)
    shock = pt.stack([direct.get(j, pt.constant(0.0)) for j in range(n)])
    settled = pt.linalg.solve(pt.eye(n) - slopes, shock)
    return {j: settled[j] for j in range(n)}


def _windowed(order: list[int], direct: dict, links: list, rate, periods: int, target: int):
    history: dict[int, list] = {j: [] for j in order}
    for t in range(periods):
        exposure = 1 - (1 - rate) ** (t + 1)
        for j in order:
            value = direct.get(j, pt.constant(0.0)) * exposure
            for term, slope in links:
                if term.target == j and t - term.lag >= 0:
                    value = value + slope * history[term.source][t - term.lag]
            history[j].append(value)
    return pt.mean(pt.stack(history[target]))


def _link_slope(design: ChainDesign, i: int, term, params: Mapping[str, Any], zbar: dict):
    slope = params["beta"][i]
    if term.moderator:
        position = [t.label for t in design.links if t.moderator].index(term.label)
        slope = slope + params["link_moderation"][position] * zbar[term.moderator]
    if term.form == "linear":
        return slope
    position = [t.label for t in design.links if t.form != "linear"].index(term.label)
    reference, curvature = params["reference"][position], params["curvature"][position]
    low, high = design.central[term.source]
    h = SLOPE_STEP
    rise = link_curve_tensor(term.form, h, reference, curvature, low, high) - link_curve_tensor(
        term.form, -h, reference, curvature, low, high
    )
    return slope * rise / (2 * h)


def _mean_moderators(design: ChainDesign, units: tuple | None) -> dict[str, float]:
    if units is None:
        return {name: 0.0 for name in design.moderators}
    rows = [list(design.units).index(u) for u in units]
    return {name: float(np.mean(m.z[rows])) for name, m in design.moderators.items()}


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value

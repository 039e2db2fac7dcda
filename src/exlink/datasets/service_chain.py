"""A seeded generator of service-chain panels with known truth."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
import pandas as pd

from exlink._names import unknown_name_message
from exlink.data import Panel
from exlink.datasets.construct_items import measure_by_items
from exlink.datasets.survey_measurement import measure_by_survey
from exlink.datasets.threats import (
    confounder_loadings,
    confounder_path,
    feedback_links,
    pretrend_drift,
)
from exlink.datasets.truth import ChainTruth, InterventionTruth, LinkTruth, StageTruth
from exlink.spec import Chain, Intervention, Link, Stage
from exlink.surveys import Survey

BURN_IN = 24
"""Periods simulated and discarded before the first reported period."""

ROLE_DEFAULTS: dict[str, StageTruth] = {
    "ex": StageTruth(intercept=68.0, unit_sd=6.0, period_sd=1.0, noise_sd=2.5),
    "cx": StageTruth(intercept=35.0, unit_sd=6.0, period_sd=1.5, noise_sd=3.0),
    "customer": StageTruth(intercept=86.0, unit_sd=2.5, period_sd=0.4, noise_sd=1.0),
    "financial": StageTruth(intercept=250.0, unit_sd=30.0, period_sd=5.0, noise_sd=8.0),
}
"""Stage levels and spreads used when a stage has no entry of its own."""

DEFAULT_CHAIN = Chain(
    stages=[
        Stage("engagement", "ex", description="% favourable, employee pulse survey"),
        Stage("nps", "cx", description="Net Promoter Score, -100 to 100"),
        Stage("retention", "customer", description="% of customers retained, annualised"),
        Stage("revenue", "financial", description="revenue per unit and period, thousands"),
    ],
    links=[
        Link("engagement", "nps"),
        Link("nps", "retention", lag=1),
        Link("retention", "revenue", lag=1),
    ],
    interventions=[
        Intervention("coaching", "engagement", lever="people"),
        Intervention("scheduling_tool", "engagement", lever="technology"),
        Intervention("complaint_redesign", "nps", lever="process"),
    ],
)
"""EX -> CX -> customer -> financial, with three interventions of three levers."""

# Parameters of DEFAULT_CHAIN; other chains take defaults scaled to their stages.
DEFAULT_LINKS: dict[str, float] = {
    "engagement -> nps": 0.6,
    "nps -> retention (lag 1)": 0.08,
    "retention -> revenue (lag 1)": 4.0,
}
DEFAULT_INTERVENTIONS: dict[str, dict[str, Any]] = {
    "coaching": {"effects": {"engagement": 4.0}, "ramp_rate": 0.35},
    "scheduling_tool": {"effects": {"engagement": 2.5}, "ramp_rate": 0.5},
    "complaint_redesign": {"effects": {"nps": 3.0}, "ramp_rate": 0.6},
}
ROLLOUT_DEFAULTS: dict[str, Any] = {
    "coverage": 0.5,
    "waves": 3,
    "first_wave": None,
    "last_wave": None,
    "duration": None,
    "level": 1.0,
}
"""How an intervention is rolled out unless told otherwise: half the units, in
three waves between a sixth and two thirds of the way through the panel,
permanently, at full level."""

REGIONS = ("north", "south", "east", "west")


@dataclass
class ServiceChainData:
    """A generated (or bundled) panel with the truth behind it.

    Attributes
    ----------
    data
        Long DataFrame, one row per unit and period.
    truth
        Every parameter used to make it.
    chain
        The chain's structure.
    unit, period
        Names of the unit and period columns.
    attributes
        Names of the unit attribute columns.
    surveys
        Survey-measured stages and their columns (see :mod:`exlink.surveys`).
    true_values
        For survey stages and constructs, the true values behind the survey
        means and items, one column per stage in the rows of ``data``.
    constructs
        Construct name -> its items, loadings, intercepts and noise SDs (the
        truth of the measurement model), for stages generated as items.
    """

    data: pd.DataFrame
    truth: ChainTruth
    chain: Chain
    unit: str = "unit"
    period: str = "period"
    attributes: tuple[str, ...] = ("region", "culture", "headcount")
    surveys: dict[str, Survey] = field(default_factory=dict)
    true_values: pd.DataFrame | None = None
    constructs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def panel(self) -> Panel:
        """The data as a validated :class:`~exlink.data.Panel` (a construct's items as stages)."""
        return Panel.from_frame(
            self.data,
            unit=self.unit,
            period=self.period,
            stages=list(self.chain.columns),
            interventions=list(self.chain.intervention_names),
            attributes=list(self.attributes),
            surveys=self.surveys or None,
        )


def make_service_chain(
    n_units: int = 60,
    n_periods: int = 24,
    *,
    seed: int = 0,
    chain: Chain | None = None,
    stages: Mapping[str, Mapping[str, float]] | None = None,
    links: Mapping[str, float | Mapping[str, Any]] | None = None,
    interventions: Mapping[str, Mapping[str, Any]] | None = None,
    rollouts: Mapping[str, Mapping[str, Any]] | None = None,
    missing_rate: float | Mapping[str, float] = 0.0,
    start: str | None = None,
    unit: str = "unit",
    period: str = "period",
    unit_prefix: str = "U",
    pretrend: Mapping[str, Mapping[str, float]] | None = None,
    confounder: Mapping[str, Any] | None = None,
    feedback: Mapping[str, float] | None = None,
    surveys: Mapping[str, Mapping[str, Any]] | None = None,
    constructs: Mapping[str, Mapping[str, Any]] | None = None,
) -> ServiceChainData:
    """Generate a panel of business units from a chain with known parameters.

    Every quantity follows the equations in :mod:`exlink.datasets.truth`:
    unit and period effects, links with lags and forms, interventions rolled
    out in staggered waves with an adoption ramp, and an optional fade after a
    rollout stops. Units get a ``region``, a ``culture`` score (1 to 5) and a
    ``headcount``; numeric attributes can moderate links and interventions.

    Parameters
    ----------
    n_units, n_periods
        Size of the panel.
    seed
        Seed of the random generator; the same seed gives the same data.
    chain
        The structure; :data:`DEFAULT_CHAIN` (engagement -> NPS -> retention ->
        revenue, with coaching, a scheduling tool and a complaint redesign)
        when omitted.
    stages
        Stage name -> overrides of :class:`~exlink.datasets.truth.StageTruth`
        fields (``intercept``, ``unit_sd``, ``period_sd``, ``noise_sd``,
        ``nu``). Unlisted stages take their role's defaults.
    links
        Link label (``"a -> b"`` or ``"a -> b (lag 1)"``) -> coefficient, or a
        mapping of ``coef``, ``reference``, ``scale``, ``moderation``. Set a
        coefficient to 0 to break the chain at that link.
    interventions
        Intervention name -> mapping of ``effects`` (target -> effect of full
        exposure), ``ramp_rate``, ``fade_rate`` and ``moderation`` (target ->
        change of the effect per standard deviation of the moderator).
    rollouts
        Intervention name -> mapping of ``coverage`` (share of units treated),
        ``waves``, ``first_wave`` and ``last_wave`` (0-based periods),
        ``duration`` (periods, ``None`` for permanent) and ``level``.
    missing_rate
        Share of stage values set missing at random, overall or per stage.
    start
        First period as a date (``"2023-01-01"``) for monthly dated periods;
        ``None`` numbers periods 1, 2, 3, ...
    unit, period
        Names of the unit and period columns.
    unit_prefix
        Units are called ``f"{unit_prefix}{i:03d}"``.
    pretrend
        Threat: intervention name -> ``{stage: rise}``. Each treated unit's
        stage rises by ``rise`` (stage units) over the
        :data:`~exlink.datasets.threats.PRETREND_PERIODS` periods before its
        rollout starts, and keeps it: units improving anyway were treated.
    confounder
        Threat: ``{"loadings": {stage: size}, "persistence": 0.9}``. A slowly
        moving unit factor (AR(1), unit variance) lifts each stage by
        ``size`` per standard deviation: the stages move together without
        one causing the other.
    feedback
        Threat: links against the chain, ``{"nps -> engagement (lag 1)":
        0.4}``, which no model of the chain contains (reverse causation).
    surveys
        Stage name -> ``{"responses": 20, "sd": 14}``: the stage is reported
        as the mean of a Poisson number of responses (``responses`` on
        average, at least 2) with response SD ``sd``, beside columns
        ``{stage}_n`` and ``{stage}_sd`` (the responses' sample SD; leave it
        out with ``"report_sd": False``). The chain runs on the true values,
        kept in :attr:`ServiceChainData.true_values`. A construct's items
        (see ``constructs``) may be survey means too.
    constructs
        Stage name -> ``{"items": [...], "loadings": [1, 0.8, ...],
        "intercepts": [0, 5, ...], "noise_sd": 2}``: the stage is measured by
        several items instead of one column, item ``k`` being ``intercepts[k]
        + loadings[k] * stage + Normal(0, noise_sd[k])``. The first item is the
        marker (loading 1, intercept 0). Items default to ``{stage}_q1``,
        ``{stage}_q2``, ...; loadings to ``(1, 0.8, 1.2, 0.9)``. The returned
        chain has those stages as :class:`~exlink.Construct`; the truth of the
        measurement model is :attr:`ServiceChainData.constructs`.

    Returns
    -------
    ServiceChainData
        The data, the truth and the chain.

    Examples
    --------
    >>> from exlink.datasets import make_service_chain
    >>> sim = make_service_chain(n_units=40, n_periods=18, seed=3)
    >>> sim.data.shape[0]
    720
    >>> sim.truth.long_run_effect("coaching")["engagement"].round(6)
    np.float64(4.0)
    """
    if chain is None:
        chain = DEFAULT_CHAIN
        links = DEFAULT_LINKS | dict(links or {})
        given = dict(interventions or {})
        interventions = {
            name: default | dict(given.pop(name, {}))
            for name, default in DEFAULT_INTERVENTIONS.items()
        } | given
    _check_size(n_units, n_periods)
    rng = np.random.default_rng(seed)
    units = pd.Index([f"{unit_prefix}{i + 1:03d}" for i in range(n_units)], name=unit)
    periods = _period_labels(n_periods, start, period)
    attributes = _attributes(rng, units)
    standardisation = _standardisation(chain, attributes)
    stage_truth = _stage_truth(chain, stages or {})
    link_truth = _link_truth(chain, stage_truth, links or {})
    intervention_truth = _intervention_truth(chain, stage_truth, interventions or {})

    names = list(chain.stage_names)
    total = BURN_IN + n_periods
    unit_sd = np.array([stage_truth[n].unit_sd for n in names])[:, None]
    period_sd = np.array([stage_truth[n].period_sd for n in names])[:, None]
    unit_effects = unit_sd * rng.standard_normal((len(names), n_units))
    period_effects = period_sd * rng.standard_normal((len(names), total))
    _refuse_unknown(rollouts or {}, chain.intervention_names, "intervention")
    rollout = {
        k.name: _rollout(rng, n_units, n_periods, k.name, (rollouts or {}).get(k.name, {}))
        for k in chain.interventions
    }
    noise = np.stack([_noise(rng, stage_truth[n], (n_units, total)) for n in names])
    padded = {k: np.pad(r, ((0, 0), (BURN_IN, 0))) for k, r in rollout.items()}
    threats = _add_threats(
        noise, chain, padded, np.random.default_rng([seed, 1]), pretrend, confounder, feedback
    )

    truth = ChainTruth(
        chain=chain,
        stages=stage_truth,
        links=link_truth,
        interventions=intervention_truth,
        standardisation=standardisation,
        unit_effects=pd.DataFrame(unit_effects.T, index=units, columns=names),
        period_effects=pd.DataFrame(period_effects[:, BURN_IN:].T, index=periods, columns=names),
        attributes=attributes,
        feedback=feedback_links(chain, stage_truth, feedback or {}),
        threats=threats,
    )
    y = truth.propagate(
        padded,
        unit_effects=unit_effects,
        period_effects=period_effects,
        moderators=truth.standardised(attributes),
        noise=noise,
    )[:, :, BURN_IN:]
    _blank_missing(rng, y, names, missing_rate)

    grid_u, grid_t = np.meshgrid(np.arange(n_units), np.arange(n_periods), indexing="ij")
    frame = pd.DataFrame({unit: units[grid_u.ravel()], period: periods[grid_t.ravel()]})
    for name, column in attributes.items():
        frame[name] = column.to_numpy()[grid_u.ravel()]
    for j, name in enumerate(names):
        frame[name] = y[j].ravel()
    for name, r in rollout.items():
        frame[name] = r.ravel()
    measured_chain, items, construct_values = measure_by_items(
        frame, constructs or {}, chain, np.random.default_rng([seed, 3])
    )
    columns = list(measured_chain.columns)
    measured, true_values = measure_by_survey(
        frame, surveys or {}, columns, np.random.default_rng([seed, 2])
    )
    if construct_values is not None:
        true_values = pd.concat([true_values, construct_values], axis=1)
    return ServiceChainData(
        frame,
        truth,
        measured_chain,
        unit,
        period,
        tuple(attributes.columns),
        measured,
        true_values,
        items,
    )


def _add_threats(
    noise: np.ndarray,
    chain: Chain,
    rollouts: Mapping[str, np.ndarray],
    rng: np.random.Generator,
    pretrend: Mapping[str, Mapping[str, float]] | None,
    confounder: Mapping[str, Any] | None,
    feedback: Mapping[str, float] | None,
) -> dict[str, Any]:
    """Add pre-trends and a confounder to the stages' disturbances; describe every threat."""
    names = list(chain.stage_names)
    described: dict[str, Any] = {}
    if pretrend:
        _refuse_unknown(pretrend, chain.intervention_names, "intervention")
        for k, rises in pretrend.items():
            _refuse_unknown(rises, names, f"stage of the pre-trend of {k!r}")
            for stage, rise in rises.items():
                noise[names.index(stage)] += pretrend_drift(rollouts[k], float(rise))
        described["pretrend"] = {k: dict(v) for k, v in pretrend.items()}
    if confounder:
        loadings, persistence = confounder_loadings(chain, confounder)
        path = confounder_path(rng, *noise.shape[1:], persistence)
        for stage, size in loadings.items():
            noise[names.index(stage)] += size * path
        described["confounder"] = {"loadings": loadings, "persistence": persistence}
    if feedback:
        described["feedback"] = {k: float(v) for k, v in feedback.items()}
    return described


def _check_size(n_units: int, n_periods: int) -> None:
    for name, value in (("n_units", n_units), ("n_periods", n_periods)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 3:
            raise ValueError(f"{name} must be a whole number >= 3, got {value!r}.")


def _period_labels(n_periods: int, start: str | None, name: str) -> pd.Index:
    if start is None:
        return pd.Index(np.arange(1, n_periods + 1), name=name)
    return pd.date_range(
        pd.Timestamp(start).to_period("M").start_time, periods=n_periods, freq="MS", name=name
    )


def _attributes(rng: np.random.Generator, units: pd.Index) -> pd.DataFrame:
    n = len(units)
    return pd.DataFrame(
        {
            "region": rng.choice(REGIONS, size=n),
            "culture": np.round(np.clip(rng.normal(3.5, 0.6, size=n), 1.0, 5.0), 2),
            "headcount": rng.integers(8, 41, size=n),
        },
        index=units,
    )


def _standardisation(chain: Chain, attributes: pd.DataFrame) -> dict[str, tuple[float, float]]:
    numeric = [c for c in attributes.columns if pd.api.types.is_numeric_dtype(attributes[c])]
    out = {}
    for name in chain.moderators:
        if name not in numeric:
            raise ValueError(
                "moderator: " + unknown_name_message("numeric attribute", name, numeric)
            )
        values = attributes[name].to_numpy(float)
        out[name] = (float(values.mean()), float(values.std(ddof=1)))
    return out


def _stage_truth(
    chain: Chain, overrides: Mapping[str, Mapping[str, float]]
) -> dict[str, StageTruth]:
    _refuse_unknown(overrides, chain.stage_names, "stage")
    allowed = [f.name for f in fields(StageTruth)]
    out = {}
    for stage in chain.stages:
        given = dict(overrides.get(stage.name, {}))
        _refuse_unknown(given, allowed, f"field of stage {stage.name!r}")
        base = ROLE_DEFAULTS[stage.role]
        if stage.likelihood == "student_t" and base.nu is None:
            base = replace(base, nu=5.0)
        out[stage.name] = replace(base, **given)
    return out


def _link_truth(
    chain: Chain, stages: Mapping[str, StageTruth], overrides: Mapping[str, Any]
) -> tuple[LinkTruth, ...]:
    _refuse_unknown(overrides, [lk.label for lk in chain.links], "link")
    out = []
    for lk in chain.links:
        source, target = stages[lk.source], stages[lk.target]
        spread = float(np.hypot(source.unit_sd, source.noise_sd))
        params: dict[str, Any] = {
            "coef": 0.4 * target.noise_sd / source.noise_sd,
            "reference": source.intercept + (spread if lk.form == "threshold" else 0.0),
            "scale": spread,
            "moderation": 0.0,
        }
        given = overrides.get(lk.label, {})
        given = {"coef": given} if isinstance(given, int | float) else dict(given)
        _refuse_unknown(given, list(params), f"field of link {lk.label!r}")
        params |= given
        if lk.moderator and "moderation" not in given:
            params["moderation"] = 0.25 * params["coef"]
        out.append(
            LinkTruth(
                lk.source,
                lk.target,
                lk.lag,
                lk.form,
                moderator=lk.moderator,
                **{k: float(v) for k, v in params.items()},
            )
        )
    return tuple(out)


def _intervention_truth(
    chain: Chain, stages: Mapping[str, StageTruth], overrides: Mapping[str, Mapping[str, Any]]
) -> dict[str, InterventionTruth]:
    _refuse_unknown(overrides, chain.intervention_names, "intervention")
    out = {}
    for k in chain.interventions:
        given = dict(overrides.get(k.name, {}))
        _refuse_unknown(
            given,
            ["effects", "ramp_rate", "fade_rate", "moderation"],
            f"field of intervention {k.name!r}",
        )
        effects = {t: 1.5 * stages[t].noise_sd for t in k.targets}
        effects |= dict(given.get("effects", {}))
        _refuse_unknown(effects, k.targets, f"target of intervention {k.name!r}")
        ramp = float(given.get("ramp_rate", 0.4)) if k.ramp else 1.0
        fade = float(given.get("fade_rate", 0.15 if k.fade else ramp))
        for rate, what in ((ramp, "ramp_rate"), (fade, "fade_rate")):
            if not 0 < rate <= 1:
                raise ValueError(f"intervention {k.name!r}: {what} must be in (0, 1], got {rate}.")
        moderation = {t: 0.25 * v for t, v in effects.items()} if k.moderator else {}
        moderation |= dict(given.get("moderation", {}))
        out[k.name] = InterventionTruth(
            k.name,
            {t: float(v) for t, v in effects.items()},
            ramp_rate=ramp,
            fade_rate=fade,
            moderator=k.moderator,
            moderation={t: float(v) for t, v in moderation.items()},
        )
    return out


def _rollout(
    rng: np.random.Generator, n_units: int, n_periods: int, name: str, given: Mapping[str, Any]
) -> np.ndarray:
    _refuse_unknown(given, list(ROLLOUT_DEFAULTS), f"rollout setting of {name!r}")
    plan = ROLLOUT_DEFAULTS | dict(given)
    if not 0 <= plan["coverage"] <= 1:
        raise ValueError(
            f"rollout of {name!r}: coverage must be in [0, 1], got {plan['coverage']}."
        )
    first = plan["first_wave"] if plan["first_wave"] is not None else n_periods // 6
    last = plan["last_wave"] if plan["last_wave"] is not None else (2 * n_periods) // 3
    if not 0 <= first <= last < n_periods:
        raise ValueError(
            f"rollout of {name!r}: waves must start within the panel "
            f"(0 <= first_wave <= last_wave < {n_periods}), got {first} and {last}."
        )
    starts = np.unique(np.linspace(first, last, int(plan["waves"])).round().astype(int))
    treated = rng.permutation(n_units)[: round(plan["coverage"] * n_units)]
    rollout = np.zeros((n_units, n_periods))
    for i, u in enumerate(treated):
        begin = starts[i % len(starts)]
        end = n_periods if plan["duration"] is None else min(n_periods, begin + plan["duration"])
        rollout[u, begin:end] = plan["level"]
    return rollout


def _noise(rng: np.random.Generator, stage: StageTruth, shape: tuple[int, int]) -> np.ndarray:
    if stage.nu is None:
        return stage.noise_sd * rng.standard_normal(shape)
    return stage.noise_sd * rng.standard_t(stage.nu, size=shape)


def _blank_missing(
    rng: np.random.Generator, y: np.ndarray, names: list[str], rate: float | Mapping[str, float]
) -> None:
    if isinstance(rate, Mapping):
        _refuse_unknown(rate, names, "stage")
    for j, name in enumerate(names):
        share = rate.get(name, 0.0) if isinstance(rate, Mapping) else rate
        if not 0 <= share < 1:
            raise ValueError(f"missing_rate for {name!r} must be in [0, 1), got {share}.")
        y[j][rng.random(y[j].shape) < share] = np.nan


def _refuse_unknown(given: Mapping[str, Any], valid: Any, kind: str) -> None:
    for key in given:
        if key not in valid:
            raise ValueError(unknown_name_message(kind, key, list(valid)))

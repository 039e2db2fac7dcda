"""What a chain model needs from a chain and a panel, as plain arrays.

:class:`ChainDesign` checks that the panel holds everything the chain names,
standardises every stage by its observed mean and standard deviation, and
lays out which cells enter each stage's likelihood, which missing cells are
imputed, and the labels of every link and intervention effect. Nothing here
touches PyMC.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from exlink._names import unknown_name_message
from exlink.data import Panel
from exlink.dims import (
    CONSTRUCT,
    CONSTRUCT_OTHER,
    EFFECT,
    FADING,
    INTERVENTION,
    ITEM,
    LEVER,
    LINK,
    LOADED_ITEM,
    MODERATED_EFFECT,
    MODERATED_LINK,
    NONLINEAR_LINK,
    PERIOD,
    RAMPED,
    STAGE,
    UNIT,
)
from exlink.models.constructs import (
    ConstructTerm,
    check_items_in_panel,
    construct_terms,
    stage_values,
)
from exlink.models.integration import integrated_groups
from exlink.rollouts import rollout_variation
from exlink.spec import Chain
from exlink.surveys import pooled_cells
from exlink.transforms import CENTRAL_RANGE

RECENT_PERIODS = 6
"""Periods that make a unit's recent level, the status quo of a simulation."""
MIN_MODELLED_PERIODS = 3
"""Periods a stage needs after its longest incoming lag."""


@dataclass(frozen=True)
class LinkTerm:
    """One link, by position."""

    label: str
    source: int
    target: int
    lag: int
    form: str
    moderator: str | None


@dataclass(frozen=True, eq=False)
class SurveyTerm:
    """How one stage is measured by a survey, on its standardised scale.

    Attributes
    ----------
    kind
        ``"mean"``, ``"nps"`` or ``"proportion"``.
    n
        Responses behind each value, shape ``(units, periods)``; 0 where the
        stage has no value.
    variance
        Per-response variance over the stage's variance, same shape; NaN
        where the response SD is estimated.
    latent
        True when the stage's true values are sampled (the stage is a link's
        source, or has a Student-t likelihood); otherwise they are integrated
        out of its likelihood.
    """

    kind: str
    n: np.ndarray
    variance: np.ndarray
    latent: bool

    @property
    def estimated(self) -> bool:
        """True when some value's response SD is a parameter of the model."""
        return bool(np.isnan(self.variance[self.n > 0]).any())

    @property
    def median_n(self) -> float:
        """Median responses per value."""
        return float(np.median(self.n[self.n > 0]))


@dataclass(frozen=True)
class EffectTerm:
    """One intervention acting on one target stage."""

    label: str
    intervention: int
    target: int
    lever: str
    moderator: str | None


class ChainDesign:
    """Arrays and labels of a chain fitted to a panel.

    Parameters
    ----------
    chain
        The structure.
    panel
        The data; it must hold every stage and intervention of the chain and
        every moderator as a numeric attribute.

    Attributes
    ----------
    means, sds
        Observed mean and standard deviation of each stage, in chain order.
    central
        Per stage, the standardised values that bound the central range of
        its observed values, shape ``(stages, 2)``: the quantiles
        :data:`~exlink.transforms.CENTRAL_RANGE` (or the extremes, where those
        quantiles coincide). A curved link's coefficient is its average slope
        across its source's central range.
    y
        Standardised stage values, shape ``(stages, units, periods)``, NaN
        where unobserved.
    rollouts
        Intervention rollouts, shape ``(interventions, units, periods)``.
    moderators
        Attribute -> its :class:`Moderator` (centre, scale, standardised values per unit).
    first_period
        Per stage, the first period whose expected value can be computed
        (the longest lag among its incoming links).
    constructs
        Construct name -> :class:`~exlink.models.constructs.ConstructTerm`, for
        the stages measured by several items. A construct's row of ``y`` is
        all missing, and its mean and SD
        are its marker item's. Its true values are sampled, as a survey
        stage's are.
    surveys
        Stage position -> :class:`SurveyTerm`, for the survey-measured stages.
    integrated
        Groups of latent survey stages whose true values are integrated out
        exactly (:mod:`exlink.models.integration`); the other latent stages'
        true values are sampled.
    term_means
        ``(links + effects, units)``: each unit's mean of what each term's
        slope multiplies (:meth:`unit_term_means`), fixed at the fit like the
        stages' scales; unit effects are sampled through them
        (:mod:`exlink.models.unit_levels`). ``None`` for the draws of a model
        saved before unit levels, whose unit effects were sampled directly.
    latent_source_levels
        Whether the unit levels of a link's target follow the level of a
        latent source stage rather than its survey means (see
        :mod:`exlink.models.unit_levels`). ``False`` for the draws of a model
        saved before they did.
    """

    def __init__(self, chain: Chain, panel: Panel) -> None:
        check_panel_fits_chain(chain, panel)
        self.chain = chain
        self.stage_names = chain.stage_names
        self.intervention_names = chain.intervention_names
        self.units = panel.units
        self.periods = panel.periods
        self.constructs = construct_terms(chain, panel)
        raw = stage_values(chain, panel, self.constructs)
        self.means, self.sds = _scales(self.stage_names, raw, self.constructs)
        constant = [n for n, s in zip(self.stage_names, self.sds, strict=True) if not s > 0]
        if constant:
            raise ValueError(
                f"stage {constant[0]!r} never varies: a chain cannot explain a constant."
            )
        self.y = (raw - self.means[:, None, None]) / self.sds[:, None, None]
        self.central = central_range(self.scored_values())
        self.rollouts = _rollouts(panel, self.intervention_names)
        self.moderators = _moderators(chain, panel)
        index = {name: i for i, name in enumerate(self.stage_names)}
        self.links = tuple(
            LinkTerm(lk.label, index[lk.source], index[lk.target], lk.lag, lk.form, lk.moderator)
            for lk in chain.links
        )
        self.effects = tuple(
            EffectTerm(f"{k.name} -> {target}", i, index[target], k.lever, k.moderator)
            for i, k in enumerate(chain.interventions)
            for target in k.targets
        )
        self.first_period = np.array(
            [
                max((lk.lag for lk in self.links if lk.target == j), default=0)
                for j in range(len(self.stage_names))
            ]
        )
        self.term_means = self.unit_term_means()
        self.latent_source_levels = True
        self.surveys = survey_terms(self, panel)
        self.integrated = integrated_groups(
            self.links,
            {j for j, term in self.surveys.items() if term.latent},
            {index[s.name] for s in chain.stages if s.likelihood == "student_t"},
            {index[name] for name in self.constructs},
        )
        _refuse_lags_beyond_panel(self)
        _warn_unidentified(self)

    # -- cells ---------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        """``(units, periods)``."""
        return len(self.units), len(self.periods)

    @property
    def cross_sectional(self) -> bool:
        """True for a panel of one period (units are respondents): no unit or period effects."""
        return self.shape[1] == 1

    def modelled(self, j: int) -> np.ndarray:
        """Boolean ``(units, periods)``: cells whose expected value stage ``j`` can compute."""
        cells = np.zeros(self.shape, dtype=bool)
        cells[:, self.first_period[j] :] = True
        return cells

    def unit_term_means(self) -> np.ndarray:
        """Each unit's mean of what each link's and effect's slope multiplies.

        For a link, its source's observed values (survey means for a survey
        stage), lagged; for an effect, its intervention's rollout. The mean
        runs over the unit's periods in which the target is modelled and the
        value is known (0 where none is).

        Returns
        -------
        numpy.ndarray
            ``(links + effects, units)``, links first, in the design's order.
        """
        data = np.nan_to_num(self.y)
        rows = []
        for term in self.links:
            known = self.modelled(term.target) & _lagged(~np.isnan(self.y[term.source]), term.lag)
            rows.append(_unit_means(_lagged(data[term.source], term.lag), known))
        for term in self.effects:
            rows.append(_unit_means(self.rollouts[term.intervention], self.modelled(term.target)))
        return np.array(rows).reshape(len(rows), self.shape[0])

    def observed_cells(self, j: int) -> np.ndarray:
        """Flat indices of the cells of stage ``j`` that enter its likelihood.

        For a stage whose true values are latent, every value is a
        measurement of them, the leading periods included.
        """
        present = ~np.isnan(self.y[j])
        if self.is_latent(j):
            return np.flatnonzero(present)
        return np.flatnonzero(self.modelled(j) & present)

    def is_latent(self, j: int) -> bool:
        """True when stage ``j``'s true values are a quantity of the model.

        So they are for a survey stage measured with sampling error and for a
        construct (measured by its items).

        They are either integrated out exactly (:meth:`is_integrated`) or sampled.
        """
        return self.is_construct(j) or (j in self.surveys and self.surveys[j].latent)

    def is_integrated(self, j: int) -> bool:
        """True when stage ``j``'s latent true values are integrated out exactly."""
        return any(j in group.latent for group in self.integrated)

    def is_sampled(self, j: int) -> bool:
        """True when stage ``j``'s latent true values are sampled, one per unit and period."""
        return self.is_latent(j) and not self.is_integrated(j)

    def imputed_cells(self, j: int) -> np.ndarray:
        """Flat indices of missing cells of stage ``j`` that feed a link, to be imputed.

        None for a latent survey stage: its true values exist in every cell.
        """
        if self.is_latent(j) or not any(lk.source == j for lk in self.links):
            return np.array([], dtype=int)
        return np.flatnonzero(np.isnan(self.y[j]))

    def is_construct(self, j: int) -> bool:
        """True when stage ``j`` is a construct: its values are latent, measured by its items."""
        return self.stage_names[j] in self.constructs

    def scored_values(self) -> np.ndarray:
        """Standardised stage values with each construct's marker item in its place.

        A rough reading of the constructs for what needs only where values lie
        and how they vary (value ranges, identification checks), never for
        estimation.
        """
        scored = self.y.copy()
        for j, name in enumerate(self.stage_names):
            if name in self.constructs:
                scored[j] = self.constructs[name].y[0]
        return scored

    # -- labels ----------------------------------------------------------------------------
    @property
    def levers(self) -> tuple[str, ...]:
        """Levers of the chain's interventions, in first-seen order."""
        return tuple(dict.fromkeys(e.lever for e in self.effects))

    def coords(self) -> dict[str, list]:
        """Coordinates for every named dimension of the model."""
        nonlinear = [lk.label for lk in self.links if lk.form != "linear"]
        return {
            STAGE: list(self.stage_names),
            UNIT: list(self.units),
            PERIOD: list(self.periods),
            INTERVENTION: list(self.intervention_names),
            LINK: [lk.label for lk in self.links],
            NONLINEAR_LINK: nonlinear,
            MODERATED_LINK: [lk.label for lk in self.links if lk.moderator],
            EFFECT: [e.label for e in self.effects],
            MODERATED_EFFECT: [e.label for e in self.effects if e.moderator],
            LEVER: list(self.levers),
            RAMPED: [k.name for k in self.chain.interventions if k.ramp],
            FADING: [k.name for k in self.chain.interventions if k.fade],
            "student_t": [s.name for s in self.chain.stages if s.likelihood == "student_t"],
            ITEM: [item for term in self.constructs.values() for item in term.items],
            CONSTRUCT: list(self.constructs),
            CONSTRUCT_OTHER: list(self.constructs),
            LOADED_ITEM: [item for term in self.constructs.values() for item in term.items[1:]],
            "survey_estimated": [
                self.stage_names[j] for j, term in self.surveys.items() if term.estimated
            ],
        }

    def scored_original_values(self) -> np.ndarray:
        """:meth:`scored_values` on the stages' own scales (a construct's marker item's)."""
        return self.scored_values() * self.sds[:, None, None] + self.means[:, None, None]

    def original_values(self) -> np.ndarray:
        """Stage values on their own scale, shape ``(stages, units, periods)``, NaN where absent."""
        return self.y * self.sds[:, None, None] + self.means[:, None, None]

    def to_original(self, j: int, standardised: np.ndarray) -> np.ndarray:
        """Stage ``j``'s standardised values (or levels) on the stage's own scale."""
        return standardised * self.sds[j] + self.means[j]

    def link_factor(self, term: LinkTerm) -> float:
        """Original-scale change of the target per standardised unit of a link coefficient."""
        return float(self.sds[term.target] / self.sds[term.source])

    def describe_cells(self) -> pd.DataFrame:
        """Per stage: cells in the likelihood, cells imputed, and leading periods left out."""
        rows = []
        for j, name in enumerate(self.stage_names):
            rows.append(
                {
                    "stage": name,
                    "observed": len(self.observed_cells(j)),
                    "imputed": len(self.imputed_cells(j)),
                    "missing": int(np.isnan(self.y[j]).sum()),
                    "leading_periods_unmodelled": int(self.first_period[j]),
                }
            )
        return pd.DataFrame(rows).set_index("stage")


def _scales(
    names: tuple[str, ...], raw: np.ndarray, constructs: dict[str, ConstructTerm]
) -> tuple[np.ndarray, np.ndarray]:
    """Each stage's mean and SD; a construct takes its marker item's."""
    means, sds = np.empty(len(names)), np.empty(len(names))
    for j, name in enumerate(names):
        if name in constructs:
            means[j], sds[j] = constructs[name].means[0], constructs[name].sds[0]
        else:
            means[j], sds[j] = np.nanmean(raw[j]), np.nanstd(raw[j], ddof=1)
    return means, sds


def central_range(y: np.ndarray) -> np.ndarray:
    """Per stage, the bounds of the central range of its observed values (see ``central``)."""
    flat = y.reshape(len(y), -1)
    bounds = np.nanquantile(flat, CENTRAL_RANGE, axis=1).T
    narrow = bounds[:, 1] <= bounds[:, 0]
    bounds[narrow] = np.column_stack([np.nanmin(flat, axis=1), np.nanmax(flat, axis=1)])[narrow]
    return bounds


def recent_level(values: np.ndarray, periods: int = RECENT_PERIODS) -> np.ndarray:
    """Each unit's mean of its last ``periods`` observed values, along the last axis.

    Missing cells are skipped, so a unit whose latest values are missing is
    judged by its latest observed ones; NaN where a unit has no value at all.

    >>> recent_level(np.array([[1.0, 2.0, 3.0, np.nan]]), periods=2)
    array([2.5])
    """
    present = ~np.isnan(values)
    # Rank of each observed cell counted from the end: 1 for the latest.
    from_end = np.cumsum(present[..., ::-1], axis=-1)[..., ::-1]
    keep = present & (from_end <= periods)
    count = keep.sum(axis=-1)
    total = np.where(keep, values, 0.0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def check_panel_fits_chain(chain: Chain, panel: Panel) -> None:
    """Refuse a panel that lacks a stage, an item, an intervention or a moderator of the chain."""
    check_items_in_panel(chain, panel)
    columns = tuple(s.name for s in chain.stages if not s.items)
    for kind, names, have in (
        ("stage", columns, panel.stage_names),
        ("intervention", chain.intervention_names, panel.intervention_names),
    ):
        for name in names:
            if name not in have:
                raise ValueError(
                    f"the chain's {kind} {name!r} is not in the panel: pass it to "
                    f"Panel.from_frame({kind}s=[...]). "
                    + unknown_name_message(f"panel {kind}", name, have)
                )
    for name in chain.moderators:
        if name not in panel.attribute_names:
            raise ValueError(
                f"moderator {name!r} is not a unit attribute of the panel: pass it to "
                "Panel.from_frame(attributes=[...]). "
                + unknown_name_message("attribute", name, panel.attribute_names)
            )
        if not pd.api.types.is_numeric_dtype(panel.attributes[name]):
            raise TypeError(f"moderator {name!r} must be a numeric unit attribute.")


def _rollouts(panel: Panel, names: tuple[str, ...]) -> np.ndarray:
    if not names:
        return np.zeros((0, panel.n_units, panel.n_periods))
    rollouts = panel.exposure.sel({INTERVENTION: list(names)})
    absent = int((~panel.observed.values).sum())
    if absent:
        warnings.warn(
            f"{absent} (unit, period) rows are absent from the panel: their rollouts carry the "
            "unit's previous value forward (0 before its first row) and their stage values "
            "are imputed.",
            UserWarning,
            stacklevel=4,
        )
        return carry_forward(np.asarray(rollouts.transpose(..., PERIOD).values, dtype=float))
    return np.asarray(rollouts.values, dtype=float)


def carry_forward(values: np.ndarray) -> np.ndarray:
    """Fill NaN along the last axis with the last value before it, and 0 before the first.

    >>> carry_forward(np.array([[np.nan, 1.0, np.nan, 0.5, np.nan]]))
    array([[0. , 1. , 1. , 0.5, 0.5]])
    """
    present = ~np.isnan(values)
    index = np.where(present, np.arange(values.shape[-1]), 0)
    np.maximum.accumulate(index, axis=-1, out=index)
    filled = np.take_along_axis(values, index, axis=-1)
    return np.where(np.isnan(filled), 0.0, filled)


VARIANCE_FLOOR = 0.01
"""Smallest per-response variance, as a share of the stage's median one: an SD of 0
(every response alike) still leaves some sampling error."""


def survey_terms(design: ChainDesign, panel: Panel) -> dict[int, SurveyTerm]:
    """The survey stages of a design, standardised by the design's stage SDs."""
    raw = design.original_values()
    out = {}
    for j, name in enumerate(design.stage_names):
        survey = panel.surveys.get(name)
        if survey is None:
            continue
        present = ~np.isnan(raw[j])
        n, variance = pooled_cells(survey, raw[j], panel.survey_columns(name))
        known = variance[present & ~np.isnan(variance)]
        if len(known):
            variance = np.maximum(variance, VARIANCE_FLOOR * float(np.median(known)))
        source = any(lk.source == j for lk in design.links)
        student = design.chain.stage(name).likelihood == "student_t"
        out[j] = SurveyTerm(survey.kind, n, variance / design.sds[j] ** 2, source or student)
    return out


@dataclass(frozen=True)
class Moderator:
    """A unit attribute that moderates links or effects, standardised across units.

    Attributes
    ----------
    center, scale
        The attribute's mean and standard deviation across units.
    z
        Each unit's standardised value, ``(value - center) / scale``.
    """

    center: float
    scale: float
    z: np.ndarray


def _moderators(chain: Chain, panel: Panel) -> dict[str, Moderator]:
    out = {}
    for name in chain.moderators:
        values = panel.attributes[name].to_numpy(dtype=float)
        center, scale = float(values.mean()), float(values.std(ddof=1))
        if not scale > 0:
            raise ValueError(f"moderator {name!r} is the same for every unit: it cannot moderate.")
        out[name] = Moderator(center, scale, (values - center) / scale)
    return out


def _refuse_lags_beyond_panel(design: ChainDesign) -> None:
    """A link whose lag leaves its target fewer than 3 periods to model cannot be estimated."""
    n_periods = design.shape[1]
    for term in design.links:
        left = n_periods - term.lag
        if term.lag and left < MIN_MODELLED_PERIODS:
            raise ValueError(
                f"link {term.label!r} has a lag of {term.lag} periods, but the panel has "
                f"{n_periods}: only {max(left, 0)} period(s) of "
                f"{design.stage_names[term.target]!r} could be modelled, and at least "
                f"{MIN_MODELLED_PERIODS} are needed. Shorten the lag or use a longer panel."
            )


def _warn_unidentified(design: ChainDesign) -> None:
    """Warn about interventions whose rollout cannot identify an effect at all."""
    table = rollout_variation(design.intervention_names, design.rollouts)
    for row in table[~table["identified"]].itertuples():
        warnings.warn(f"intervention {row.warning}.", UserWarning, stacklevel=4)


def _lagged(cells: np.ndarray, lag: int) -> np.ndarray:
    """``(units, periods)`` moved ``lag`` periods later, the first ``lag`` zero."""
    if lag == 0:
        return cells
    return np.concatenate([np.zeros_like(cells[:, :lag]), cells[:, :-lag]], axis=1)


def _unit_means(x: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Each unit's mean of ``x`` ``(units, periods)`` over its ``known`` cells (0 if none)."""
    return np.where(known, x, 0.0).sum(axis=1) / np.maximum(known.sum(axis=1), 1)

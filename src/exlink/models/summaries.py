"""Tables and labelled arrays from a chain model's draws."""

from __future__ import annotations

import math
from collections.abc import Mapping

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from exlink._names import unknown_name_message
from exlink._values import as_number
from exlink.dims import (
    BETA,
    CHAIN,
    DRAW,
    EFFECT,
    EFFECT_MODERATION,
    GAMMA,
    LINK_MODERATION,
    MODERATED_EFFECT,
    MODERATED_LINK,
    PERIOD,
    STAGE,
    UNIT,
    construct_sd_name,
)
from exlink.models.design import ChainDesign
from exlink.spec import Chain

EFFECT_COLUMNS = [
    "kind",
    "source",
    "target",
    "lag",
    "mean",
    "sd",
    "lower",
    "upper",
    "p_positive",
    "r_hat",
    "ess_bulk",
    "covers_zero",
    "rope",
    "p_practical",
    "verdict",
]

DEFAULT_ROPE = 0.1
"""Default half-width of the region of practical equivalence, standardised: an
effect is negligible when a one-SD change of its source (a full rollout, for an
intervention) moves the target by less than a tenth of the target's SD."""

VERDICTS = {
    EFFECT: "the interval lies outside the region of practical equivalence",
    "break": "the interval lies inside the region: the data rule out an effect of practical size",
    "unclear": "the interval overlaps the region's edge: the data say too little to tell",
}
"""What each value of the effects table's ``verdict`` column means."""


def effects_table(
    chain: Chain,
    idata: xr.DataTree,
    hdi_prob: float,
    design: ChainDesign | None = None,
    rope: float | Mapping[str, float] = DEFAULT_ROPE,
    standardised: bool = False,
) -> pd.DataFrame:
    """One row per link, intervention effect and moderation, on the original scale.

    With a design, each row also gets its region of practical equivalence
    (``rope``, see :func:`practical_sizes`), the posterior probability that
    the effect is larger than it (``p_practical``) and a ``verdict`` (see
    :data:`VERDICTS`). With ``standardised`` (which needs the design), each
    link and intervention effect is also given in standard deviations
    (:func:`standardised_draws`): ``std_mean``, ``std_lower``, ``std_upper``.
    """
    if standardised and design is None:
        raise ValueError("standardised effects need the model's design.")
    if not 0 < hdi_prob < 1:
        raise ValueError(f"hdi_prob must be between 0 and 1, got {hdi_prob}.")
    sizes = practical_sizes(chain, design, rope) if design is not None else {}
    posterior = idata.posterior.to_dataset()
    rows = []
    for i, link in enumerate(chain.links):
        draws = posterior[BETA].isel(link=i)
        row = _row("link", link.source, link.target, link.lag, draws, hdi_prob)
        if standardised:
            row |= _interval("std_", standardised_draws(design, posterior, draws, link), hdi_prob)
        rows.append(_judge(row, draws, sizes.get(link.label)))
    effects = [(k, t) for k in chain.interventions for t in k.targets]
    for i, (k, target) in enumerate(effects):
        draws = posterior[GAMMA].isel(effect=i)
        row = _row("intervention", k.name, target, 0, draws, hdi_prob)
        if standardised:
            std = draws / stage_sd(design, posterior, target)
            row |= _interval("std_", std, hdi_prob)
        rows.append(_judge(row, draws, sizes.get(f"{k.name} -> {target}")))
    for name, dim, items in (
        (LINK_MODERATION, MODERATED_LINK, [lk for lk in chain.links if lk.moderator]),
        (EFFECT_MODERATION, MODERATED_EFFECT, [(k, t) for k, t in effects if k.moderator]),
    ):
        for i, item in enumerate(items):
            if name == LINK_MODERATION:
                source, target, lag = item.moderator, item.label, item.lag
            else:
                source, target, lag = item[0].moderator, f"{item[0].name} -> {item[1]}", 0
            draws = posterior[name].isel({dim: i})
            row = _row("moderation", source, target, lag, draws, hdi_prob)
            # A moderation is a change of the slope per SD of the moderator: the same units.
            moderated = item.label if name == LINK_MODERATION else target
            rows.append(_judge(row, draws, sizes.get(moderated)))
    columns = EFFECT_COLUMNS + (STANDARDISED_COLUMNS if standardised else [])
    return pd.DataFrame(rows, columns=columns)


STANDARDISED_COLUMNS = ["std_mean", "std_lower", "std_upper"]


def stage_sd(design: ChainDesign, posterior: xr.Dataset, stage: str) -> xr.DataArray | float:
    """A stage's SD: a construct's per draw, across its units and periods; else its data's."""
    name = construct_sd_name(stage)
    if name in posterior:
        return posterior[name]
    return float(design.sds[design.stage_names.index(stage)])


def standardised_draws(
    design: ChainDesign, posterior: xr.Dataset, draws: xr.DataArray, link
) -> xr.DataArray:
    """A link's draws in SDs of its target per SD of its source (lavaan's ``std.all``).

    ``beta * sd(source) / sd(target)``, each SD a construct's per draw
    (:func:`stage_sd`) or the stage's observed SD.
    """
    source = stage_sd(design, posterior, link.source)
    return draws * source / stage_sd(design, posterior, link.target)


def _interval(prefix: str, draws: xr.DataArray, hdi_prob: float) -> dict[str, float]:
    interval = az.hdi(draws, prob=hdi_prob)
    return {
        f"{prefix}mean": float(draws.mean()),
        f"{prefix}lower": float(interval.sel(ci_bound="lower")),
        f"{prefix}upper": float(interval.sel(ci_bound="upper")),
    }


def practical_sizes(
    chain: Chain, design: ChainDesign, rope: float | Mapping[str, float] = DEFAULT_ROPE
) -> dict[str, float]:
    """Half-width of the region of practical equivalence of every link and intervention effect.

    Parameters
    ----------
    chain
        The structure.
    design
        The model's design (the stages' standard deviations).
    rope
        A number: the standardised half-width, the same for every effect; a
        link's region is ``rope * sd(target) / sd(source)`` in target units
        per source unit, an intervention effect's ``rope * sd(target)`` in
        target units. A mapping: label (``"engagement -> nps"``,
        ``"coaching -> engagement"``) to the half-width in those units, the
        others at :data:`DEFAULT_ROPE`.

    Returns
    -------
    dict
        Label -> half-width, in the effect's own units.
    """
    given = dict(rope) if isinstance(rope, Mapping) else {}
    standard = DEFAULT_ROPE if isinstance(rope, Mapping) else as_number(rope, "rope")
    if standard < 0:
        raise ValueError(f"rope must be >= 0, got {standard}.")
    sizes = {term.label: standard * design.link_factor(term) for term in design.links} | {
        term.label: standard * float(design.sds[term.target]) for term in design.effects
    }
    for label, value in given.items():
        if label not in sizes:
            raise KeyError("rope: " + unknown_name_message("link or effect", label, list(sizes)))
        value = as_number(value, f"rope[{label!r}]")
        if value < 0:
            raise ValueError(f"rope[{label!r}] must be >= 0, got {value}.")
        sizes[label] = value
    return sizes


def _judge(row: dict, draws: xr.DataArray, size: float | None) -> dict:
    """Add the region of practical equivalence, P(|effect| > it) and the verdict."""
    if size is None:
        return row | {"rope": np.nan, "p_practical": np.nan, "verdict": ""}
    lower, upper = row["lower"], row["upper"]
    if lower > size or upper < -size:
        verdict = "effect"
    elif -size <= lower and upper <= size:
        verdict = "break"
    else:
        verdict = "unclear"
    p_practical = float((np.abs(draws.values) > size).mean())
    return row | {"rope": size, "p_practical": p_practical, "verdict": verdict}


def _row(kind, source, target, lag, draws: xr.DataArray, hdi_prob: float) -> dict:
    interval = az.hdi(draws, prob=hdi_prob)
    lower, upper = float(interval.sel(ci_bound="lower")), float(interval.sel(ci_bound="upper"))
    # R-hat needs several chains and draws that vary (a point mass has none).
    several = draws.sizes[CHAIN] > 1 and np.ptp(draws.values) > 0
    return {
        "kind": kind,
        "source": source,
        "target": target,
        "lag": lag,
        "mean": float(draws.mean()),
        "sd": float(draws.std()),
        "lower": lower,
        "upper": upper,
        "p_positive": float((draws > 0).mean()),
        "r_hat": float(az.rhat(draws)) if several else np.nan,
        "ess_bulk": float(az.ess(draws, method="bulk")),
        "covers_zero": bool(lower <= 0 <= upper),
    }


def parameter_table(idata: xr.DataTree, hdi_prob: float) -> pd.DataFrame:
    """ArviZ summary of the model's per-label parameters (not unit or period effects)."""
    posterior = idata.posterior.to_dataset()
    skip = ("unit_effect", "period_effect", "pooled")
    names = [
        n for n in posterior.data_vars if not n.startswith(("missing[", *skip)) and "[" not in n
    ]
    return az.summary(idata, var_names=names, ci_prob=hdi_prob, ci_kind="hdi")


def thin(posterior: xr.Dataset, draws: int | None) -> xr.Dataset:
    """Keep about ``draws`` draws in all, evenly spaced within each chain."""
    n_chains, n_draws = posterior.sizes[CHAIN], posterior.sizes[DRAW]
    if draws is None or draws >= n_chains * n_draws:
        return posterior
    if draws < 1:
        raise ValueError(f"draws must be at least 1, got {draws}.")
    keep = np.unique(np.linspace(0, n_draws - 1, math.ceil(draws / n_chains)).round().astype(int))
    return posterior.isel(draw=keep)


def to_original_scale(design: ChainDesign, standardised: xr.DataArray) -> xr.DataArray:
    """Standardised ``(..., stage, unit, period)`` values to stage units, NaN where unmodelled."""
    means = xr.DataArray(design.means, dims=STAGE, coords={STAGE: list(design.stage_names)})
    sds = xr.DataArray(design.sds, dims=STAGE, coords={STAGE: list(design.stage_names)})
    out = standardised * sds + means
    period = xr.DataArray(np.arange(design.shape[1]), dims=PERIOD)
    first = xr.DataArray(design.first_period, dims=STAGE, coords={STAGE: list(design.stage_names)})
    return out.where(period >= first).transpose(..., STAGE, UNIT, PERIOD)


def stage_draws(design: ChainDesign, draws: xr.Dataset) -> xr.DataArray:
    """Scatter per-cell draws of every stage's likelihood onto the unit x period grid."""
    n_units, n_periods = design.shape
    sample = draws[f"y[{design.stage_names[0]}]"]
    n_chains, n_draws = sample.sizes[CHAIN], sample.sizes[DRAW]
    grid = np.full((n_chains, n_draws, len(design.stage_names), n_units * n_periods), np.nan)
    for j, name in enumerate(design.stage_names):
        cells = design.observed_cells(j)
        grid[:, :, j, cells] = draws[f"y[{name}]"].values
        grid[:, :, j, cells] = design.to_original(j, grid[:, :, j, cells])
    return xr.DataArray(
        grid.reshape(n_chains, n_draws, len(design.stage_names), n_units, n_periods),
        dims=(CHAIN, DRAW, STAGE, UNIT, PERIOD),
        coords={
            CHAIN: sample[CHAIN].values,
            DRAW: sample[DRAW].values,
            STAGE: list(design.stage_names),
            UNIT: list(design.units),
            PERIOD: list(design.periods),
        },
        name="y",
    )

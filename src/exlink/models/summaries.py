"""Tables and labelled arrays from a chain model's draws."""

from __future__ import annotations

import math

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from exlink.dims import PERIOD, STAGE, UNIT
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
]


def effects_table(chain: Chain, idata: xr.DataTree, hdi_prob: float) -> pd.DataFrame:
    """One row per link, intervention effect and moderation, on the original scale."""
    if not 0 < hdi_prob < 1:
        raise ValueError(f"hdi_prob must be between 0 and 1, got {hdi_prob}.")
    posterior = idata.posterior.to_dataset()
    rows = []
    for i, link in enumerate(chain.links):
        rows.append(
            _row(
                "link", link.source, link.target, link.lag, posterior["beta"].isel(link=i), hdi_prob
            )
        )
    effects = [(k, t) for k in chain.interventions for t in k.targets]
    for i, (k, target) in enumerate(effects):
        rows.append(
            _row("intervention", k.name, target, 0, posterior["gamma"].isel(effect=i), hdi_prob)
        )
    for name, dim, items in (
        ("link_moderation", "moderated_link", [lk for lk in chain.links if lk.moderator]),
        ("effect_moderation", "moderated_effect", [(k, t) for k, t in effects if k.moderator]),
    ):
        for i, item in enumerate(items):
            if name == "link_moderation":
                source, target, lag = item.moderator, item.label, item.lag
            else:
                source, target, lag = item[0].moderator, f"{item[0].name} -> {item[1]}", 0
            rows.append(
                _row("moderation", source, target, lag, posterior[name].isel({dim: i}), hdi_prob)
            )
    return pd.DataFrame(rows, columns=EFFECT_COLUMNS)


def _row(kind, source, target, lag, draws: xr.DataArray, hdi_prob: float) -> dict:
    interval = az.hdi(draws, prob=hdi_prob)
    lower, upper = float(interval.sel(ci_bound="lower")), float(interval.sel(ci_bound="upper"))
    several = draws.sizes["chain"] > 1
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
    n_chains, n_draws = posterior.sizes["chain"], posterior.sizes["draw"]
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
    n_chains, n_draws = sample.sizes["chain"], sample.sizes["draw"]
    grid = np.full((n_chains, n_draws, len(design.stage_names), n_units * n_periods), np.nan)
    for j, name in enumerate(design.stage_names):
        cells = design.observed_cells(j)
        grid[:, :, j, cells] = draws[f"y[{name}]"].values
        grid[:, :, j, cells] = grid[:, :, j, cells] * design.sds[j] + design.means[j]
    return xr.DataArray(
        grid.reshape(n_chains, n_draws, len(design.stage_names), n_units, n_periods),
        dims=("chain", "draw", STAGE, UNIT, PERIOD),
        coords={
            "chain": sample["chain"].values,
            "draw": sample["draw"].values,
            STAGE: list(design.stage_names),
            UNIT: list(design.units),
            PERIOD: list(design.periods),
        },
        name="y",
    )

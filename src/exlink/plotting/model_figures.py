"""Figures of a fitted chain model: effects, total effects over time, predictive checks."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure

from exlink._names import unknown_name_message
from exlink.data import Panel
from exlink.dims import (
    HORIZON,
    INTERVENTION,
    PERIOD,
    STAGE,
    UNIT,
    stack_samples,
)
from exlink.plotting.palette import BLUE, GREEN, ORANGE, PURPLE


def effects_forest(effects: pd.DataFrame) -> Figure:
    """Every effect with its interval, one row each, grouped by kind.

    With the standardised columns (``effects(standardised=True)``) every
    effect is drawn on one comparable scale: a link in standard deviations of
    its target per standard deviation of its source, an intervention in
    standard deviations of its target. Otherwise each is in its own units.

    Parameters
    ----------
    effects
        :meth:`~exlink.models.chain.ChainModel.effects` output.
    """
    rows = effects.reset_index(drop=True)
    standardised = "std_mean" in rows.columns and rows["std_mean"].notna().any()
    if standardised:
        rows = rows[rows["std_mean"].notna()].reset_index(drop=True)
    mean, lower, upper = (
        ("std_mean", "std_lower", "std_upper") if standardised else ("mean", "lower", "upper")
    )
    labels = [
        f"{r.source} -> {r.target}" + (f" (lag {r.lag})" if r.lag else "")
        for r in rows.itertuples()
    ]
    fig, ax = plt.subplots(figsize=(9, 0.38 * len(rows) + 1.6))
    y = np.arange(len(rows))[::-1]
    colours = {"link": BLUE, "intervention": ORANGE, "moderation": PURPLE}
    markers = {"link": "o", "intervention": "s", "moderation": "D"}
    for kind, colour in colours.items():
        pick = (rows["kind"] == kind).to_numpy()
        if pick.any():
            ax.errorbar(
                rows.loc[pick, mean],
                y[pick],
                xerr=[
                    rows.loc[pick, mean] - rows.loc[pick, lower],
                    rows.loc[pick, upper] - rows.loc[pick, mean],
                ],
                fmt=markers[kind],
                color=colour,
                label=kind,
                capsize=3,
            )
    ax.axvline(0.0, color="#999999", lw=1, ls="--")
    ax.set_yticks(y, labels, fontsize=10)
    ax.set_xlabel(
        "standardised effect: standard deviations of the target per standard deviation of "
        "the source (interventions: of the target)"
        if standardised
        else "effect, in the target's units per unit of the source (full exposure)"
    )
    ax.set_title("Effects with their 90% intervals")
    ax.legend(loc="best", fontsize=9)
    fig.tight_layout()
    return fig


def total_effect(
    effects: xr.Dataset, intervention: str, stage: str, hdi_prob: float = 0.9
) -> Figure:
    """An intervention's total effect on a stage over the horizon, with a band.

    Parameters
    ----------
    effects
        :meth:`~exlink.models.chain.ChainModel.total_effects` output.
    intervention, stage
        Which effect to draw.
    hdi_prob
        Mass of the central band.
    """
    for name, dim in ((intervention, INTERVENTION), (stage, STAGE)):
        if name not in effects[dim].values:
            raise KeyError(unknown_name_message(dim, name, effects[dim].values))
    draws = effects["total"].sel({INTERVENTION: intervention, STAGE: stage})
    stacked = stack_samples(draws).transpose(..., HORIZON).values
    low, high = np.quantile(stacked, [(1 - hdi_prob) / 2, (1 + hdi_prob) / 2], axis=0)
    horizon = effects[HORIZON].values
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.fill_between(horizon, low, high, alpha=0.3, color=BLUE, label=f"{hdi_prob:.0%} interval")
    ax.plot(horizon, stacked.mean(axis=0), color=BLUE, lw=2, label="mean")
    ax.axhline(0.0, color="#999999", lw=1, ls="--")
    ax.set_xlabel("periods since the rollout started")
    ax.set_ylabel(f"change in {stage}")
    ax.set_title(f"Total effect of {intervention} on {stage}")
    ax.legend(loc="best")
    fig.tight_layout()
    return fig


def predictive_check(
    replicated: xr.DataArray, panel: Panel, stage: str, units: list | None = None
) -> Figure:
    """Observed against replicated values of a stage: the mean over units, and a few units.

    Parameters
    ----------
    replicated
        :meth:`~exlink.models.chain.ChainModel.sample_posterior_predictive`
        output.
    panel
        The observed data.
    stage
        The stage to check.
    units
        Units to draw one by one (the first three by default).
    """
    observed = panel.stage(stage)
    draws = replicated.sel({STAGE: stage})
    units = list(panel.units[:3]) if units is None else list(units)
    fig, axes = plt.subplots(1, 1 + len(units), figsize=(4 * (1 + len(units)), 3.5), sharey=False)
    axes = np.atleast_1d(axes)
    periods = np.arange(panel.n_periods)
    series = [("all units (mean)", draws.mean(UNIT), observed.mean(UNIT))]
    series += [(str(u), draws.sel({UNIT: u}), observed.sel({UNIT: u})) for u in units]
    for ax, (title, sim, obs) in zip(axes, series, strict=True):
        stacked = stack_samples(sim).transpose(..., PERIOD).values
        low, high = np.nanquantile(stacked, [0.05, 0.95], axis=0)
        ax.fill_between(periods, low, high, color=GREEN, alpha=0.3, label="replicated 90%")
        ax.plot(periods, obs.values, "k.-", lw=1, label="observed")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("period")
    axes[0].set_ylabel(stage)
    axes[0].legend(loc="best", fontsize=8)
    fig.suptitle(f"Posterior predictive check: {stage}")
    fig.tight_layout()
    return fig

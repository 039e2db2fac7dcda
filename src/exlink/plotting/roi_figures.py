"""Figures of simulated returns: NPV distributions, ranking, cash flows, frontier, sensitivity."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from exlink._names import unknown_name_message
from exlink.dims import HORIZON, INVESTMENT, SAMPLE
from exlink.plotting.palette import BLUE, GREEN, VERMILLION
from exlink.simulation.roi import RoiResult


def npv_distribution(result: RoiResult) -> Figure:
    """The NPV distribution of every investment, with the zero line."""
    npv = result.npv()
    fig, ax = plt.subplots(figsize=(8, 4))
    for name in result.names:
        values = npv.sel({INVESTMENT: name}).values
        ax.hist(values, bins=40, alpha=0.5, label=f"{name} (P(loss) {(values < 0).mean():.0%})")
    ax.axvline(0.0, color="#333333", lw=1, ls="--")
    ax.set_xlabel(f"NPV ({result.finance.currency})")
    ax.set_ylabel("posterior samples")
    ax.set_title("NPV of each investment")
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return fig


def npv_ranking(result: RoiResult) -> Figure:
    """Investments ranked by expected NPV, with 90% intervals."""
    summary = result.summary().sort_values("npv_mean")
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(summary) + 1.5))
    y = np.arange(len(summary))
    ax.errorbar(
        summary["npv_mean"],
        y,
        xerr=[summary["npv_mean"] - summary["npv_p05"], summary["npv_p95"] - summary["npv_mean"]],
        fmt="o",
        capsize=4,
        color=BLUE,
    )
    ax.axvline(0.0, color="#999999", lw=1, ls="--")
    ax.set_yticks(y, summary.index)
    ax.set_xlabel(f"NPV ({result.finance.currency}), mean and 90% interval")
    ax.set_title("Investments ranked by expected NPV")
    fig.tight_layout()
    return fig


def cashflow_fan(result: RoiResult, investment: str) -> Figure:
    """Cumulative discounted net cash flow of one investment: median and 50% and 90% bands."""
    if investment not in result.names:
        raise KeyError(unknown_name_message("investment", investment, result.names))
    flows = result.flows.sel({INVESTMENT: investment})
    cumulative = (
        (flows["net"] * flows["discount"]).cumsum(HORIZON).transpose(SAMPLE, HORIZON).values
    )
    horizon = result.flows[HORIZON].values
    fig, ax = plt.subplots(figsize=(7, 4))
    for low, high, alpha in ((0.05, 0.95, 0.2), (0.25, 0.75, 0.35)):
        band = np.quantile(cumulative, [low, high], axis=0)
        ax.fill_between(
            horizon, band[0], band[1], color=BLUE, alpha=alpha, label=f"{high - low:.0%} band"
        )
    ax.plot(horizon, np.median(cumulative, axis=0), color=BLUE, lw=2, label="median")
    ax.axhline(0.0, color="#333333", lw=1, ls="--")
    ax.set_xlabel("period")
    ax.set_ylabel(f"cumulative discounted net cash flow ({result.finance.currency})")
    ax.set_title(f"Cash flows of {investment}")
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return fig


def frontier(table: pd.DataFrame) -> Figure:
    """Expected NPV and probability of loss of the best plan against the budget.

    Parameters
    ----------
    table
        :func:`~exlink.simulation.portfolio.efficient_frontier` output.
    """
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(table["budget"], table["expected_npv"], "o-", color=BLUE, label="expected NPV")
    ax.set_xlabel("budget")
    ax.set_ylabel("expected NPV of the best plan")
    risk = ax.twinx()
    risk.plot(table["budget"], table["p_loss"], "s--", color=VERMILLION, label="P(loss)")
    risk.set_ylabel("probability of losing money")
    risk.set_ylim(0, 1)
    ax.set_title("Efficient frontier: value and risk against budget")
    lines = ax.get_lines() + risk.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], loc="best", fontsize=8)
    fig.tight_layout()
    return fig


def tornado(sensitivity: pd.DataFrame, investment: str = "") -> Figure:
    """How far the expected NPV moves with each assumption low and high.

    Parameters
    ----------
    sensitivity
        :func:`~exlink.simulation.finance_sensitivity.npv_sensitivity` output.
    investment
        Its name, for the title.
    """
    rows = sensitivity.iloc[::-1].reset_index(drop=True)
    base = float(rows["npv_base"].iloc[0])
    fig, ax = plt.subplots(figsize=(7, 0.6 * len(rows) + 1.5))
    y = np.arange(len(rows))
    ax.barh(y, rows["npv_low"] - base, left=base, color=VERMILLION, label="low value")
    ax.barh(y, rows["npv_high"] - base, left=base, color=GREEN, label="high value")
    ax.axvline(base, color="#333333", lw=1)
    ax.set_yticks(y, [f"{r.assumption} ({r.low} / {r.high})" for r in rows.itertuples()])
    ax.set_xlabel("expected NPV")
    ax.set_title("Sensitivity of NPV" + (f": {investment}" if investment else ""))
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return fig

"""Figures of the causal checks (:mod:`exlink.checks`); each takes a CheckResult."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from exlink.checks.result import CheckReport, CheckResult
from exlink.plotting.palette import BLUE, GREY, VERMILLION

FAILED_COLOUR, PASSED_COLOUR, OTHER_COLOUR = VERMILLION, BLUE, GREY


def placebo_figure(result: Any) -> Figure:
    """Placebo effects with their intervals beside the real effects."""
    table = result.table.dropna(subset=["placebo"]) if "placebo" in result.table else result.table
    fig, ax = plt.subplots(figsize=(8, 0.5 * max(len(table), 1) + 1.5))
    y = np.arange(len(table))[::-1]
    for position, row in zip(y, table.itertuples(), strict=True):
        colour = PASSED_COLOUR if row.passed else FAILED_COLOUR
        ax.errorbar(
            row.placebo,
            position,
            xerr=[[row.placebo - row.lower], [row.upper - row.placebo]],
            fmt="o",
            color=colour,
            capsize=3,
            label="placebo effect" if position == y[0] else None,
        )
        ax.scatter(
            row.effect,
            position,
            marker="x",
            color=OTHER_COLOUR,
            zorder=3,
            label="real effect" if position == y[0] else None,
        )
    if len(table):
        ax.legend(loc="best", fontsize=8)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, table["subject"] if len(table) else [])
    ax.set_xlabel("effect on the target stage (stage units)")
    ax.set_title(result.check.replace("_", " "))
    fig.tight_layout()
    return fig


def event_study_figure(result: Any) -> Figure:
    """Effect by period relative to the start, leads shaded, one panel per effect."""
    details = result.details
    subjects = list(dict.fromkeys(details["subject"])) if len(details) else []
    fig, axes = plt.subplots(
        len(subjects) or 1, 1, figsize=(8, 2.8 * max(len(subjects), 1)), squeeze=False
    )
    for ax, subject in zip(axes[:, 0], subjects, strict=False):
        rows = details[details["subject"] == subject]
        ok = bool(result.table.set_index("subject").loc[subject, "passed"])
        colour = PASSED_COLOUR if ok else FAILED_COLOUR
        ax.axvspan(rows["relative_period"].min() - 0.5, -0.5, color="#eeeeee", zorder=0)
        ax.fill_between(
            rows["relative_period"], rows["lower"], rows["upper"], alpha=0.25, color=colour
        )
        ax.plot(rows["relative_period"], rows["mean"], "o-", color=colour)
        if "implied" in rows:
            ax.plot(
                rows["relative_period"], rows["implied"], "--", color=OTHER_COLOUR, label="model"
            )
            ax.legend(loc="upper left", fontsize=8)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_title(subject + ("" if ok else "  (leads not zero)"), fontsize=10)
        ax.set_ylabel("stage units")
    axes[-1, 0].set_xlabel("periods since the start (shaded: before it)")
    fig.tight_layout()
    return fig


def direction_figure(result: Any) -> Figure:
    """Forward and reverse associations of each link, as partial correlations."""
    table = result.table.dropna(subset=["forward"])
    fig, ax = plt.subplots(figsize=(8, 0.7 * max(len(table), 1) + 1.5))
    y = np.arange(len(table))[::-1]
    for offset, what, colour in (
        (0.15, "forward", PASSED_COLOUR),
        (-0.15, "reverse", FAILED_COLOUR),
    ):
        if len(table):
            ax.errorbar(
                table[what],
                y + offset,
                xerr=[table[what] - table[f"{what}_lower"], table[f"{what}_upper"] - table[what]],
                fmt="o",
                color=colour,
                capsize=3,
                label=f"{what}: source -> target"
                if what == "forward"
                else "reverse: target -> source",
            )
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, table["subject"] if len(table) else [])
    ax.set_xlabel("partial correlation (unit and period fixed effects, own lag held)")
    ax.set_title("reverse direction")
    if len(table):
        ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return fig


def sensitivity_figure(result: Any) -> Figure:
    """Each effect under narrower, fitted and wider priors."""
    details = result.details
    subjects = list(dict.fromkeys(details["subject"])) if len(details) else []
    priors = list(dict.fromkeys(details["prior"])) if len(details) else []
    fig, ax = plt.subplots(figsize=(8, 0.55 * max(len(subjects), 1) * max(len(priors), 1) / 2 + 2))
    base = np.arange(len(subjects))[::-1] * (len(priors) + 1)
    cmap = plt.get_cmap("viridis", max(len(priors), 1))
    for i, prior in enumerate(priors):
        rows = details[details["prior"] == prior].set_index("subject").loc[subjects]
        ax.errorbar(
            rows["mean"],
            base + i,
            xerr=[rows["mean"] - rows["lower"], rows["upper"] - rows["mean"]],
            fmt="o",
            color=cmap(i),
            capsize=2,
            label=prior,
        )
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(base + (len(priors) - 1) / 2, subjects)
    ax.set_xlabel("effect (stage units)")
    ax.set_title("prior sensitivity")
    if priors:
        ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return fig


FIGURES: dict[str, Callable[[CheckResult], Figure]] = {
    "event_study": event_study_figure,
    "placebo_in_time": placebo_figure,
    "placebo_in_space": placebo_figure,
    "reverse_direction": direction_figure,
    "prior_sensitivity": sensitivity_figure,
}
"""Check name -> the function that draws its result."""


def check_figure(result: CheckResult) -> Figure:
    """One check's result drawn as a matplotlib figure.

    Parameters
    ----------
    result
        A result of :func:`exlink.checks.event_study`,
        :func:`~exlink.checks.placebo_in_time`, :func:`~exlink.checks.placebo_in_space`,
        :func:`~exlink.checks.reverse_direction` or
        :func:`~exlink.checks.prior_width`.

    Returns
    -------
    matplotlib.figure.Figure
        For the event study, one panel per effect with its leads shaded; for
        the others, one row per subject with its interval.

    Raises
    ------
    ValueError
        When no figure is known for the result's check.

    Examples
    --------
    >>> from exlink.plotting import check_figure
    >>> fig = check_figure(report["event_study"])  # doctest: +SKIP
    """
    draw = FIGURES.get(result.check)
    if draw is None:
        raise ValueError(
            f"no figure is known for the {result.check!r} check; figures exist for "
            f"{', '.join(FIGURES)}."
        )
    return draw(result)


def check_figures(report: CheckReport) -> dict[str, Figure]:
    """Check name -> its figure, for every check of a :class:`~exlink.checks.CheckReport`."""
    return {name: check_figure(result) for name, result in report.results.items()}

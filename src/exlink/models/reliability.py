"""How much of a survey stage's movement is signal: reliability and responses needed.

For a survey stage with values ``ybar`` (means of ``n`` responses of
variance ``s**2``), the reliability is the share of its within-unit variance
that is not sampling error::

    reliability = 1 - mean(s**2 / n) / var_within(ybar)

where ``var_within`` is the variance of the values around each unit's own
mean (the variation every link and intervention effect is estimated from)
and ``mean(s**2 / n)`` the average sampling variance of a value. With an
estimated response SD it has a posterior, summarised by its mean and 90%
interval. The responses per value that would reach a reliability ``R`` are
``mean(s**2) * R / ((1 - R) * signal)``, with ``signal = var_within(ybar) -
mean(s**2 / n)``.

A link out of a stage of low reliability rests on little signal: the model
corrects its attenuation, but its interval is wide.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from exlink.dims import CHAIN, DRAW, ITEM, ITEM_SD, RESPONSE_SD, stack_samples, standardised
from exlink.models.design import ChainDesign

TARGET_RELIABILITY = 0.8
"""Reliability the ``responses_needed`` column aims at."""
LOW_RELIABILITY = 0.5
"""Below this, a survey stage is flagged: links out of it are weakly identified."""


def reliability_table(
    design: ChainDesign, posterior: xr.Dataset | None = None, hdi_prob: float = 0.9
) -> pd.DataFrame:
    """Per survey stage: responses, sampling and signal SDs, reliability, responses needed.

    Parameters
    ----------
    design
        The model's design.
    posterior
        Draws of ``response_sd`` for stages whose response SD is estimated;
        without them those stages' rows are NaN.
    hdi_prob
        Mass of the equal-tailed interval of an estimated reliability.

    Returns
    -------
    pandas.DataFrame
        Indexed by stage, with ``kind``, ``true_values`` (how the model
        treats the stage's true values: ``"integrated"`` out exactly,
        ``"sampled"`` one per unit and period, or ``"in likelihood"`` for a
        stage that feeds no link), ``median_responses``,
        ``response_sd`` (SD of one response, stage units), ``sampling_sd``
        (average sampling error of a value), ``within_sd`` (SD of the values
        within units), ``reliability`` with ``lower`` and ``upper``,
        ``responses_needed`` (per value, for :data:`TARGET_RELIABILITY`) and
        ``low`` (below :data:`LOW_RELIABILITY`).
    """
    rows = {}
    tail = (1 - hdi_prob) / 2
    original = design.original_values()
    for j, term in design.surveys.items():
        name = design.stage_names[j]
        present = term.n > 0
        values = original[j]
        variance = term.variance * design.sds[j] ** 2
        n = term.n[present]
        if term.estimated:
            draws = _response_sd_draws(posterior, name)
            fill = (draws**2)[:, None] if draws is not None else np.full((1, 1), np.nan)
            per_response = np.where(np.isnan(variance[present]), fill, variance[present])
        else:
            per_response = variance[present][None, :]
        sampling = (per_response / n).mean(axis=1)
        within = _within_unit_variance(values)
        reliability = np.clip(1 - sampling / within, 0.0, 1.0)
        signal = np.maximum(within - sampling, 0.0)
        needed = per_response.mean(axis=1) * TARGET_RELIABILITY / (1 - TARGET_RELIABILITY)
        with np.errstate(divide="ignore", invalid="ignore"):
            needed = np.where(signal > 0, needed / signal, np.inf)
        mean_reliability = float(np.mean(reliability))
        rows[name] = {
            "kind": term.kind,
            "true_values": _treatment(design, j),
            "median_responses": term.median_n,
            "response_sd": float(np.sqrt(np.mean(per_response))),
            "sampling_sd": float(np.sqrt(np.mean(sampling))),
            "within_sd": float(np.sqrt(within)),
            "reliability": mean_reliability,
            "lower": float(np.quantile(reliability, tail)),
            "upper": float(np.quantile(reliability, 1 - tail)),
            "responses_needed": float(np.ceil(np.median(needed))),
            "low": bool(mean_reliability < LOW_RELIABILITY),
        }
    columns = [
        "kind",
        "true_values",
        "median_responses",
        "response_sd",
        "sampling_sd",
        "within_sd",
        "reliability",
        "lower",
        "upper",
        "responses_needed",
        "low",
    ]
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns).rename_axis("stage")


def reliability_warnings(design: ChainDesign, table: pd.DataFrame) -> list[str]:
    """A sentence per survey stage of low reliability (in ``table``) that is a link's source."""
    out = []
    for name, row in table[table["low"]].iterrows():
        j = design.stage_names.index(name)
        if not any(term.source == j for term in design.links):
            continue
        out.append(
            f"survey stage {name!r} has reliability {row['reliability']:.2f} (only that share "
            "of its movement within units is signal): links out of it are weakly identified; "
            f"about {row['responses_needed']:.0f} responses per value (now a median of "
            f"{row['median_responses']:.0f}) would raise it to {TARGET_RELIABILITY}"
        )
    return out


UNKNOWN_SIGNAL_SHARE = 0.5
"""Signal share assumed for a survey stage whose response SD is estimated, before fitting."""


def signal_share(design: ChainDesign, j: int) -> float:
    """Share of stage ``j``'s within-unit variance that is signal, from the data alone.

    1 for a stage measured without error; the reliability for a survey stage
    with known response SDs; :data:`UNKNOWN_SIGNAL_SHARE` when they are estimated.
    """
    term = design.surveys.get(j)
    if term is None:
        return 1.0
    if term.estimated:
        return UNKNOWN_SIGNAL_SHARE
    present = term.n > 0
    sampling = float(np.mean(term.variance[present] / term.n[present]))
    within = _within_unit_variance(design.y[j])
    return float(np.clip(1.0 - sampling / within, 0.0, 1.0)) if within > 0 else 0.0


def sampling_variance(design: ChainDesign, j: int, posterior: xr.Dataset) -> np.ndarray:
    """Sampling variance of each value of stage ``j``, standardised, per posterior sample.

    Shape ``(samples, units, periods)`` with samples in the posterior's
    ``(chain, draw)`` order; zeros for a stage measured without error and
    infinite where a survey stage has no value. A construct's values are read
    through its marker item (:meth:`~exlink.models.design.ChainDesign.scored_values`),
    whose error is the marker's own noise and sampling variance (infinite
    where the marker is missing).
    """
    n_samples = posterior.sizes[CHAIN] * posterior.sizes[DRAW]
    if design.is_construct(j):
        construct = design.constructs[design.stage_names[j]]
        noise = posterior[standardised(ITEM_SD)].sel({ITEM: construct.items[0]})
        variance = (stack_samples(noise).values ** 2)[:, None, None] + construct.sampling[0]
        return np.where(np.isnan(construct.y[0]), np.inf, variance)
    term = design.surveys.get(j)
    if term is None:
        return np.zeros((1, *design.shape)).repeat(n_samples, axis=0)
    variance = np.broadcast_to(term.variance, (n_samples, *design.shape)).copy()
    if term.estimated:
        draws = _response_sd_draws(posterior, design.stage_names[j]) / design.sds[j]
        variance = np.where(np.isnan(variance), (draws**2)[:, None, None], variance)
    with np.errstate(divide="ignore"):
        return np.where(term.n > 0, variance / np.maximum(term.n, 1), np.inf)


def _treatment(design: ChainDesign, j: int) -> str:
    if design.is_integrated(j):
        return "integrated"
    return "sampled" if design.is_sampled(j) else "in likelihood"


def _response_sd_draws(posterior: xr.Dataset | None, name: str) -> np.ndarray | None:
    if posterior is None or RESPONSE_SD not in posterior:
        return None
    return posterior[RESPONSE_SD].sel(survey_estimated=name).values.ravel()


def _within_unit_variance(values: np.ndarray) -> float:
    """Variance of values around their unit's mean, pooled over units, NaN skipped."""
    present = ~np.isnan(values)
    counts = present.sum(axis=1)
    means = np.where(counts > 0, np.nansum(values, axis=1) / np.maximum(counts, 1), 0.0)
    deviations = np.where(present, values - means[:, None], 0.0)
    dof = present.sum() - (counts > 0).sum()
    return float((deviations**2).sum() / max(dof, 1))

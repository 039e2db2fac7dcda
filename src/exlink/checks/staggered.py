"""Staggered rollouts: an event study of each effect by period relative to its start.

For every unit that received an intervention, period ``t`` lies ``k = t -
start`` periods from its start. The *partial residual* of a target stage is
what the model leaves unexplained plus the intervention's own fitted
contribution::

    r[u,t] = y[u,t] - mu[u,t] + gamma * e[u,t]

averaged over the treated units at each ``k``, draw by draw, with the
sampling noise of that average (``sqrt(sigma**2 + v) / sqrt(n_k)``, with
``v`` the average sampling variance of a survey stage's values, 0 for other
stages) added. After the start
(``k >= 0``) it traces the effect as it builds up, to compare with the model's
ramp. Before the start (the *leads*, ``k < 0``) the intervention has no
exposure, so the partial residual must hold zero: leads that are clearly not
zero (a Wald test on the leads' posterior mean and covariance) mean the
treated units were moving before they were treated, a pre-trend the model
would otherwise read as an effect.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from exlink.checks.result import (
    FAILED,
    NOT_RUN,
    PASSED,
    CheckResult,
    chosen_interventions,
    verdict_row,
)
from exlink.dims import stack_samples, standardised
from exlink.models.diagnostics import IdentificationWarning
from exlink.models.propagation import StandardisedDraws, intervention_shock
from exlink.models.reliability import sampling_variance
from exlink.rollouts import relative_periods, rollout_variation

if TYPE_CHECKING:
    from exlink.models.chain import ChainModel

ALPHA = 0.01
"""Leads whose Wald test has a p-value below this are clearly not zero."""


def event_study(
    model: ChainModel,
    interventions: Sequence[str] | None = None,
    *,
    leads: int = 4,
    lags: int = 8,
    draws: int | None = 500,
    level: float = 0.9,
    alpha: float = ALPHA,
    random_seed: int = 0,
) -> CheckResult:
    """Effects by period relative to the start, with the leads as a pre-trend check.

    Parameters
    ----------
    model
        A fitted :class:`~exlink.models.chain.ChainModel`.
    interventions
        Interventions to study (default: all).
    leads, lags
        Periods before and after the start to show.
    draws
        Posterior draws to use (``None`` for all).
    level
        Probability of the intervals shown.
    alpha
        The leads fail when their joint Wald test has a p-value below this.
    random_seed
        Seed of the sampling-noise draws.

    Returns
    -------
    CheckResult
        ``table``: one row per intervention effect with the leads' Wald
        statistic and p-value; ``details``: one row per effect and relative
        period with ``mean``, ``lower``, ``upper``, ``implied`` (the model's
        fitted effect there) and ``n_cells``. An effect whose leads are
        clearly not zero also raises an
        :class:`~exlink.models.diagnostics.IdentificationWarning`.
    """
    fitted = model.fitted
    design = fitted.design
    names = chosen_interventions(model.chain, interventions)
    posterior = fitted.thinned_posterior(draws)
    mu = stack_samples(model.predict(draws=draws))
    mu = np.asarray(mu.values)
    chain_draws = StandardisedDraws.from_posterior(design, posterior)
    sigma = stack_samples(posterior[standardised("sigma")]).values
    y = design.scored_original_values()
    z = {name: m.z for name, m in design.moderators.items()}
    variation = rollout_variation(design.intervention_names, np.nan_to_num(design.rollouts))
    variation = variation.set_index("intervention")
    rng = np.random.default_rng(random_seed)
    rows, details = [], []
    window = np.arange(-leads, lags + 1)
    for name in names:
        k = design.intervention_names.index(name)
        rollout = np.nan_to_num(design.rollouts[k])
        relative = relative_periods(rollout)
        shock = intervention_shock(chain_draws, name, rollout, moderators=z)
        for target in model.chain.intervention(name).targets:
            j = design.stage_names.index(target)
            partial = y[j][None] - mu[:, j] + shock[j]
            # A survey stage's values also carry the sampling error of their means.
            error = sampling_variance(design, j, posterior)
            curve = []
            for step in window:
                cells = (relative == step) & np.isfinite(y[j]) & np.isfinite(mu[0, j])
                n = int(cells.sum())
                if not n:
                    continue
                spread = np.sqrt(sigma[:, j] ** 2 + error[:, cells].mean(axis=1))
                noise = spread * design.sds[j] / np.sqrt(n) * rng.standard_normal(len(sigma))
                curve.append((step, n, partial[:, cells].mean(axis=1) + noise, shock[j][:, cells]))
            subject = f"{name} -> {target}"
            rows.append(_verdict(subject, curve, variation.loc[name, "warning"], alpha))
            tail = (1 - level) / 2
            for step, n, values, implied in curve:
                low, high = np.quantile(values, [tail, 1 - tail])
                details.append(
                    {
                        "subject": subject,
                        "relative_period": int(step),
                        "mean": float(values.mean()),
                        "lower": float(low),
                        "upper": float(high),
                        "implied": float(implied.mean()),
                        "n_cells": n,
                    }
                )
    result = CheckResult("event_study", pd.DataFrame(rows), pd.DataFrame(details))
    for subject, message in result.failures[["subject", "message"]].itertuples(index=False):
        warnings.warn(f"event study of {subject}: {message}", IdentificationWarning, stacklevel=2)
    return result


def _verdict(subject: str, curve: list, warning: str, alpha: float) -> dict:
    pre = [values for step, _, values, _ in curve if step < 0]
    if warning and not pre:
        return verdict_row(subject, NOT_RUN, f"not run: {warning}.")
    if not pre:
        return verdict_row(subject, NOT_RUN, "not run: no treated unit was seen before its start.")
    leads = np.stack(pre, axis=1)
    mean = leads.mean(axis=0)
    cov = np.atleast_2d(np.cov(leads, rowvar=False))
    statistic = float(mean @ np.linalg.pinv(cov) @ mean)
    p_value = float(stats.chi2.sf(statistic, df=len(mean)))
    if p_value < alpha:
        status = FAILED
        message = (
            f"the {len(mean)} leads are not zero (Wald p = {p_value:.2g}): treated units moved "
            "before their start, a pre-trend the effect absorbs; the effect is likely biased"
        )
    else:
        status = PASSED
        message = (
            f"the {len(mean)} leads hold zero (Wald p = {p_value:.2g}): no sign of a pre-trend"
        )
    if warning:
        message += f"; but {warning}"
    return verdict_row(
        subject, status, message + ".", wald=statistic, p_value=p_value, n_leads=len(mean)
    )

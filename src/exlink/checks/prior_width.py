"""Prior sensitivity: whether the effects change under narrower or wider priors.

The priors of every effect (link coefficients, the lever pools of the
interventions, moderations; the user's own priors of those included) are
scaled by each factor. An effect the data pin down barely moves; one that
moves by more than ``tolerance`` posterior standard deviations, or whose
interval starts or stops holding zero, was set by its prior as much as by the
data.

The posterior under each scaled prior comes from the fitted draws, reweighted
by the ratio of the priors (:mod:`exlink.checks.prior_weights`): no refit.
Where the weights cannot be trusted (their Pareto ``k`` is too large: the new
posterior is far from the fitted one), that factor is refitted instead, and
``method="refit"`` refits every factor.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from exlink.checks.prior_weights import prior_log_ratio, reweight
from exlink.checks.refit import fit_settings, refit
from exlink.checks.result import FAILED, PASSED, CheckResult, verdict_row
from exlink.models import summaries
from exlink.models.prior_set import PriorSet
from exlink.priors import Prior

if TYPE_CHECKING:
    from exlink.models.chain import ChainModel

EFFECT_GROUPS = ("beta", "gamma", "lever_mean", "lever_sd", "link_moderation", "effect_moderation")
"""Prior groups of the effects, scaled by the check."""

TOLERANCE = 0.5
"""An effect fails when its mean moves by more than this many posterior standard deviations."""


def scaled_priors(model: ChainModel, factor: float) -> dict[str, Prior]:
    """The model's priors with every effect prior ``factor`` times as wide."""
    prior_set = PriorSet(model.design, model.priors)
    out = dict(model.priors)
    for group in EFFECT_GROUPS:
        if group not in prior_set.elements or not prior_set.elements[group]:
            continue
        if group != "gamma" or "gamma" in model.priors:
            # A group prior on gamma would switch off the lever pools: scale the pools instead.
            out[group] = prior_set.group(group).scaled(factor)
        for key, prior in model.priors.items():
            if key.startswith(f"{group}["):
                out[key] = prior.scaled(factor)
    return out


METHODS = ("reweight", "refit")
"""How the posterior under other priors is found: reweighted draws, or a refit."""


def prior_sensitivity(
    model: ChainModel,
    factors: Sequence[float] = (0.5, 2.0),
    *,
    tolerance: float = TOLERANCE,
    hdi_prob: float = 0.9,
    fit: Mapping[str, Any] | None = None,
    method: str = "reweight",
) -> CheckResult:
    """Compare every effect under narrower and wider effect priors.

    Parameters
    ----------
    model
        A fitted :class:`~exlink.models.chain.ChainModel`.
    factors
        Widths of the refits' priors relative to the model's.
    tolerance
        Largest move of an effect's mean, in posterior standard deviations of
        the fitted model, before it fails.
    hdi_prob
        Probability of the intervals compared.
    fit
        Sampler settings of any refit (default 500 draws and 500 tuning steps
        per chain, the model's chain count, seed 1); the seed also sets the
        resampling of reweighted draws.
    method
        ``"reweight"`` (default): reweight the fitted draws by the ratio of
        the priors, and refit a factor only where the weights' Pareto ``k``
        is too large. ``"refit"``: refit the model under every factor.

    Returns
    -------
    CheckResult
        ``table``: one row per effect with its largest move; ``details``:
        every effect's mean and interval under each prior, with ``method``
        (``"as fitted"``, ``"reweighted"`` or ``"refitted"``) and, for
        reweighted draws, ``pareto_k`` and the weights' ``ess``.
    """
    factors = [float(f) for f in factors]
    if not factors or any(f <= 0 or f == 1 for f in factors):
        raise ValueError(f"factors must be positive and other than 1, got {factors}.")
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}.")
    settings = fit_settings(model, fit)
    base = _effects(model.effects(hdi_prob), "as fitted").assign(method="as fitted")
    runs, notes = [base], []
    for factor in factors:
        label = f"priors x{factor:g}"
        priors = scaled_priors(model, factor)
        if method == "reweight":
            ratio = prior_log_ratio(model, priors, EFFECT_GROUPS)
            if ratio is not None:
                posterior = model.idata.posterior.to_dataset()
                result = reweight(posterior, ratio, settings.get("random_seed"))
                if result.reliable:
                    effects = summaries.effects_table(
                        model.chain, result.idata, hdi_prob, model.design
                    )
                    runs.append(
                        _effects(effects, label).assign(
                            method="reweighted", pareto_k=result.pareto_k, ess=result.ess
                        )
                    )
                    continue
                notes.append(
                    f"x{factor:g}: reweighting was unreliable (Pareto k "
                    f"{result.pareto_k:.2f} > {result.threshold:.2f}), so it was refitted"
                )
        fitted, note = refit(model, model.chain, model.panel, priors, settings)
        runs.append(_effects(fitted.effects(hdi_prob), label).assign(method="refitted"))
        if note:
            notes.append(f"x{factor:g}: {note}")
    details = pd.concat(runs, ignore_index=True)
    rows = []
    for subject, own in details.groupby("subject", sort=False):
        fitted = own.iloc[0]
        moves = (own["mean"] - fitted["mean"]).abs() / max(fitted["sd"], 1e-12)
        worst = float(moves.max())
        flips = own["covers_zero"].nunique() > 1
        spread = f"mean {fitted['mean']:.3g}; moves up to {worst:.2f} posterior sd"
        if worst > tolerance or flips:
            status = FAILED
            message = (
                f"{spread}{' and its interval changes whether it holds zero' if flips else ''} "
                "under other priors: the prior, not only the data, sets this effect"
            )
        else:
            status = PASSED
            message = f"{spread} under priors {', '.join(f'x{f:g}' for f in factors)}"
        if notes:
            message += "; " + "; ".join(notes)
        rows.append(verdict_row(subject, status, message + ".", largest_move=worst))
    return CheckResult("prior_sensitivity", pd.DataFrame(rows), details)


def _effects(table: pd.DataFrame, prior: str) -> pd.DataFrame:
    subject = np.where(
        table["kind"] == "moderation",
        table["source"].astype(str) + " x " + table["target"].astype(str),
        table["source"].astype(str) + " -> " + table["target"].astype(str),
    )
    lag = table["lag"].fillna(0).astype(int).to_numpy()
    subject = [s + (f" (lag {g})" if g else "") for s, g in zip(subject, lag, strict=True)]
    out = table[["mean", "sd", "lower", "upper", "covers_zero"]].copy()
    out.insert(0, "subject", subject)
    out.insert(1, "prior", prior)
    return out

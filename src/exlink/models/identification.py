"""Identification warnings: effects the data cannot carry, whatever the sampler says.

A model can converge perfectly and still say little: convergence is about the
sampler, identification about the data. Three signs are looked for:

- **Posterior close to prior**: the posterior variance of an effect is more
  than ``1 - MIN_CONTRACTION`` of its prior's (from 2,000 prior draws stored
  at fit): the data added little; the estimate is the prior's.
- **Driven by a handful of units**: an intervention received by fewer than
  :data:`~exlink.rollouts.MIN_TREATED_UNITS` units, or without rollout
  variation; a link whose source varies within units in only a few of them
  (fewer than ``MIN_EFFECTIVE_UNITS`` by Kish's effective number, computed on
  each unit's within-unit sum of squares of the lagged source).
- **Lag not told from its neighbours**: within units and periods, the source
  at the link's lag correlates above ``MAX_LAG_CORRELATION`` with the source
  a period earlier or later, so the data cannot say which lag acts.
- **A survey source of low reliability**: a survey stage that feeds a link
  and whose movement within units is mostly sampling error
  (:mod:`exlink.models.reliability`).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr

from exlink.dims import SAMPLE_DIMS
from exlink.models.design import ChainDesign
from exlink.models.fixed_effects import shifted
from exlink.models.reliability import reliability_table, reliability_warnings
from exlink.models.sampling import FORWARD_MODE, quiet_forward_sampling
from exlink.rollouts import rollout_variation

MIN_CONTRACTION = 0.1
"""Posterior variance must be below ``1 - MIN_CONTRACTION`` times the prior variance."""
MIN_EFFECTIVE_UNITS = 5.0
"""Fewer effective units than this and a link rests on a handful of units."""
MAX_LAG_CORRELATION = 0.9
"""Above this correlation with a neighbouring lag, the lag is not identified."""
PRIOR_PARAMETERS = ("beta", "gamma", "link_moderation", "effect_moderation")
"""Effects whose prior draws are stored at fit, to compare with their posterior."""


def draw_priors(model: pm.Model, random_seed: int | None, draws: int = 2000) -> xr.Dataset | None:
    """Prior draws of the effects (:data:`PRIOR_PARAMETERS`), ``None`` when there are none."""
    names = [n for n in PRIOR_PARAMETERS if n in model.named_vars]
    if not names:
        return None
    with warnings.catch_warnings(), quiet_forward_sampling():
        warnings.filterwarnings("ignore", message="The effect of Potentials")
        prior = pm.sample_prior_predictive(
            draws=draws,
            model=model,
            var_names=names,
            random_seed=random_seed,
            compile_kwargs={"mode": FORWARD_MODE},
        )
    return prior["prior"].to_dataset()


def identification_warnings(
    design: ChainDesign,
    idata: xr.DataTree | None = None,
    reliability: pd.DataFrame | None = None,
) -> list[str]:
    """Every identification warning of a model, in words.

    Parameters
    ----------
    design
        The model's design.
    idata
        The fitted model's draws; with a ``prior`` group, posterior and prior
        are compared.
    reliability
        The survey stages' reliability table, where the caller has it
        (computed here otherwise).
    """
    out = _prior_dominated(idata) if idata is not None else []
    variation = rollout_variation(design.intervention_names, design.rollouts)
    out += [f"intervention {w}" for w in variation["warning"] if w]
    out += _few_units(design)
    out += _lags(design)
    if design.surveys:
        if reliability is None:
            posterior = idata.posterior.to_dataset() if idata is not None else None
            reliability = reliability_table(design, posterior)
        out += reliability_warnings(design, reliability)
    return out


def _prior_dominated(idata: xr.DataTree) -> list[str]:
    if "prior" not in idata.children or "posterior" not in idata.children:
        return []
    prior, posterior = idata.prior.to_dataset(), idata.posterior.to_dataset()
    out = []
    for name in PRIOR_PARAMETERS:
        if name not in prior or name not in posterior:
            continue
        prior_sd = prior[name].std(SAMPLE_DIMS)
        post_sd = posterior[name].std(SAMPLE_DIMS)
        contraction = 1 - (post_sd / prior_sd) ** 2
        dim = next(d for d in contraction.dims)
        for label, value in zip(contraction[dim].values, contraction.values, strict=True):
            if value < MIN_CONTRACTION:
                out.append(
                    f"{name}[{label}] is close to its prior (the data narrowed its variance by "
                    f"{max(value, 0):.0%}): the data say little about it"
                )
    return out


def _few_units(design: ChainDesign) -> list[str]:
    out = []
    if design.cross_sectional:
        return out
    scored = design.scored_values()
    for term in design.links:
        source = shifted(scored[term.source], term.lag)
        target_seen = np.isfinite(scored[term.target])
        within = np.where(target_seen, source - _seen_mean(source, axis=1), np.nan)
        weight = np.nansum(within**2, axis=1)
        if weight.sum() <= 0:
            continue
        effective = weight.sum() ** 2 / (weight**2).sum()
        if effective < MIN_EFFECTIVE_UNITS:
            out.append(
                f"link {term.label} rests on about {effective:.1f} units: its source varies "
                "within few units"
            )
    return out


def _lags(design: ChainDesign) -> list[str]:
    out = []
    if design.cross_sectional:
        return out
    scored = design.scored_values()
    for term in design.links:
        if term.source == term.target:
            continue
        values = _two_way_demeaned(scored[term.source])
        at = shifted(values, term.lag)
        for neighbour in (term.lag - 1, term.lag + 1):
            if neighbour < 0:
                continue
            other = shifted(values, neighbour)
            both = np.isfinite(at) & np.isfinite(other)
            if both.sum() < 3:
                continue
            r = float(np.corrcoef(at[both], other[both])[0, 1])
            if r > MAX_LAG_CORRELATION:
                out.append(
                    f"link {term.label}: the data cannot tell lag {term.lag} from lag {neighbour} "
                    f"(the source at the two lags correlates {r:.2f} within units)"
                )
                break
    return out


def _two_way_demeaned(values: np.ndarray) -> np.ndarray:
    out = values - _seen_mean(values, axis=1)
    return out - _seen_mean(out, axis=0)


def _seen_mean(values: np.ndarray, axis: int) -> np.ndarray:
    """Mean of the finite values along ``axis`` (kept), NaN where none is seen, silently."""
    seen = np.isfinite(values)
    count = seen.sum(axis=axis, keepdims=True)
    total = np.where(seen, values, 0.0).sum(axis=axis, keepdims=True)
    return np.divide(total, count, out=np.full(total.shape, np.nan), where=count > 0)

"""The posterior under other effect priors, from the fitted draws, without a refit.

Changing only the priors of some parameters ``theta`` changes the posterior by
the ratio of the priors: ``p_new(theta | y)`` is proportional to
``p_old(theta | y) * p_new(theta) / p_old(theta)``. So the fitted draws,
weighted by::

    w = prod over the changed elements e of p_new(theta_e) / p_old(theta_e),

are draws of the new posterior (importance sampling). The weights are
Pareto-smoothed (PSIS, Vehtari et al. 2024, *Pareto smoothed importance
sampling*, JMLR 25), and their estimated Pareto shape ``k`` says whether they
can be trusted: above ``min(1 - 1 / log10(S), 0.7)`` for ``S`` draws the new
posterior is too far from the fitted one, and the caller refits instead.

Every prior is evaluated on the standardised scale where the model samples,
on the posterior draws of the standardised parameters (``beta_std``,
``gamma_std`` ...).

A lever pool's members ``gamma ~ Normal(lever_mean, lever_sd)`` are weighted
by their marginal prior, with the pool's ``lever_mean`` and ``lever_sd``
integrated out, not by the priors of ``lever_mean`` and ``lever_sd``
themselves. The data reach those two only through the members, so the
marginal ratio is exact for every effect, and it stays well behaved where the
pool's own parameters are barely informed (a lever with one or two
interventions), which would make their prior ratio swing wildly. With
``lever_mean ~ Normal(m0, s0)``, given ``lever_sd = s`` the ``n`` members are
jointly ``MvNormal(m0, s**2 I + s0**2 J)`` (``J`` all ones), whose log density
is::

    -1/2 (n log 2 pi + (n - 1) log s**2 + log(s**2 + n s0**2)
          + (|d|**2 - (sum d)**2 / n) / s**2 + (sum d)**2 / (n (s**2 + n s0**2))),
    d = gamma - m0,

and the integral over ``s`` under its prior is taken on a fine logarithmic
grid (:data:`SPREAD_GRID`). A lever without pooled members touches no data
and is left out; a lever whose ``lever_mean`` prior is not normal is
weighted by its parameters' own priors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pymc as pm
import xarray as xr
from arviz_stats.base import array_stats
from scipy.special import logsumexp

from exlink.dims import EFFECT, standardised
from exlink.models.prior_set import PriorSet
from exlink.priors import Prior

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from exlink.models.chain import ChainModel

SAMPLE_DIMS = ("chain", "draw")
SPREAD_GRID = np.geomspace(1e-5, 1e2, 701)
"""Values of a lever's spread (standardised) over which its pool's prior is integrated."""
POOL_GROUPS = ("lever_mean", "lever_sd")


@dataclass(frozen=True)
class Reweighted:
    """The fitted draws resampled as draws of the posterior under other priors.

    Every quantity is a draw of the new posterior except a pooled lever's own
    ``lever_mean`` and ``lever_sd``, which the weights integrate out (their
    draws are resampled as they were, not redrawn under their new priors).

    Attributes
    ----------
    idata
        A tree with the resampled ``posterior`` group (same chains and draws).
    pareto_k
        The Pareto shape estimate of the importance weights.
    threshold
        The largest ``pareto_k`` at which the weights are trusted.
    ess
        The weights' effective sample size, ``1 / sum(w**2)``.
    """

    idata: xr.DataTree
    pareto_k: float
    threshold: float
    ess: float

    @property
    def reliable(self) -> bool:
        """The weights can be trusted (``pareto_k`` at most ``threshold``)."""
        return bool(np.isfinite(self.pareto_k) and self.pareto_k <= self.threshold)


def prior_log_ratio(
    model: ChainModel, priors: Mapping[str, Prior], groups: Sequence[str]
) -> xr.DataArray | None:
    """Per draw, ``log p_new(theta) - log p_old(theta)`` over the elements of ``groups``.

    Parameters
    ----------
    model
        A fitted chain model; its own priors are the old ones.
    priors
        The new prior overrides (as :class:`~exlink.models.chain.ChainModel`
        takes them).
    groups
        The prior groups whose elements may change.

    Returns
    -------
    xarray.DataArray or None
        Dims ``(chain, draw)``; ``None`` when the change also changes which
        intervention effects are pooled (a different model, not a different
        prior: refit).
    """
    design = model.design
    old, new = PriorSet(design, model.priors), PriorSet(design, priors)
    if set(old.pooled_effects()) != set(new.pooled_effects()):
        return None
    pooled = set(old.pooled_effects())
    posterior = model.idata.posterior
    total = xr.zeros_like(posterior["chain"] + posterior["draw"], dtype=float)
    marginal = set()
    if any(group in groups for group in POOL_GROUPS):
        for lever in design.levers:
            members = [e.label for e in design.effects if e.lever == lever and e.label in pooled]
            pools = [_pool(prior_set, lever) for prior_set in (old, new)]
            if not members:
                marginal.add(lever)  # no data reach it
            elif all(mean.distribution == "Normal" for mean, _ in pools):
                marginal.add(lever)
                gamma = posterior[standardised("gamma")].sel({EFFECT: members})
                total = total + pool_log_prior(gamma, *pools[1]) - pool_log_prior(gamma, *pools[0])
    pairs: dict[tuple, tuple[Prior, Prior, list[xr.DataArray]]] = {}
    for group in groups:
        elements = old.elements.get(group) or []
        if not elements:
            continue
        draws = posterior[standardised(group)]
        (dim,) = [d for d in draws.dims if d not in SAMPLE_DIMS]
        old_own, new_own = old.overrides(group), new.overrides(group)
        for label, _, _ in elements:
            if group == "gamma" and label in pooled:
                continue  # its prior is its lever's pool
            if group in POOL_GROUPS and label in marginal:
                continue  # counted by the pool's marginal above
            before = old_own.get(label, old.group(group))
            after = new_own.get(label, new.group(group))
            if before != after:
                key = (_key(before), _key(after))
                _, _, parts = pairs.setdefault(key, (before, after, []))
                parts.append(draws.sel({dim: label}, drop=True))
    for before, after, parts in pairs.values():
        values = xr.concat(parts, dim="element")
        total = total + (_log_density(after, values) - _log_density(before, values)).sum("element")
    return total


def reweight(posterior: xr.Dataset, log_ratio: xr.DataArray, random_seed: int | None) -> Reweighted:
    """Resample the draws by their Pareto-smoothed importance weights.

    Systematic resampling keeps the chains and draws' shape: each draw is
    repeated about ``S * w`` times. The same seed gives the same draws.
    """
    flat = log_ratio.transpose(*SAMPLE_DIMS).values.ravel()
    size = flat.size
    # ArviZ's PSIS takes log likelihoods, whose negatives are the log ratios of LOO.
    log_weights, pareto_k = array_stats.psislw(-flat, r_eff=1.0)
    log_weights = np.asarray(log_weights, dtype=float)
    weights = np.exp(log_weights - logsumexp(log_weights))
    rng = np.random.default_rng(random_seed)
    positions = (rng.uniform() + np.arange(size)) / size
    chosen = np.minimum(np.searchsorted(np.cumsum(weights), positions), size - 1)
    resampled = xr.Dataset(
        {name: _pick(draws, chosen) for name, draws in posterior.data_vars.items()},
        attrs=posterior.attrs,
    )
    threshold = min(1.0 - 1.0 / np.log10(size), 0.7) if size > 10 else 0.0
    return Reweighted(
        idata=xr.DataTree.from_dict({"posterior": resampled}),
        pareto_k=float(pareto_k),
        threshold=float(threshold),
        ess=float(1.0 / np.sum(weights**2)),
    )


def _pick(draws: xr.DataArray, chosen: np.ndarray) -> xr.DataArray:
    """The draws at flat positions ``chosen`` (over chain and draw), in the same shape."""
    draws = draws.transpose(*SAMPLE_DIMS, ...)
    values = draws.values.reshape(-1, *draws.shape[2:])[chosen].reshape(draws.shape)
    return draws.copy(data=values)


def _pool(priors: PriorSet, lever: str) -> tuple[Prior, Prior]:
    """A lever's ``lever_mean`` and ``lever_sd`` priors."""
    return (
        priors.overrides("lever_mean").get(lever, priors.group("lever_mean")),
        priors.overrides("lever_sd").get(lever, priors.group("lever_sd")),
    )


def pool_log_prior(gamma: xr.DataArray, mean: Prior, spread: Prior) -> xr.DataArray:
    """Per draw, the log prior density of a lever pool's members, the pool integrated out.

    Parameters
    ----------
    gamma
        The members' standardised effects, dims ``(chain, draw, effect)``.
    mean, spread
        The pool's ``lever_mean`` prior (normal) and ``lever_sd`` prior.

    Returns
    -------
    xarray.DataArray
        Dims ``(chain, draw)``: the formula of the module text, integrated
        over the spread on :data:`SPREAD_GRID` by the trapezoidal rule in
        ``log s``.
    """
    (dim,) = [d for d in gamma.dims if d not in SAMPLE_DIMS]
    m0, s0 = mean.params.get("mu", 0.0), mean.params.get("sigma", 1.0)
    d = gamma.transpose(*SAMPLE_DIMS, dim).values - m0
    n = d.shape[-1]
    total, squares = d.sum(axis=-1)[..., None], (d**2).sum(axis=-1)[..., None]
    s2 = SPREAD_GRID**2
    whole = s2 + n * s0**2
    log_f = -0.5 * (
        n * np.log(2 * np.pi)
        + (n - 1) * np.log(s2)
        + np.log(whole)
        + (squares - total**2 / n) / s2
        + total**2 / (n * whole)
    )
    log_prior = np.asarray(pm.logp(_dist(spread), SPREAD_GRID).eval(), dtype=float)
    # The integral over s as one over log s: the integrand gains a factor s.
    log_integrand = log_f + log_prior + np.log(SPREAD_GRID)
    step = np.diff(np.log(SPREAD_GRID))
    ends = np.logaddexp(log_integrand[..., 1:], log_integrand[..., :-1]) + np.log(step / 2)
    coords = {name: gamma[name].values for name in SAMPLE_DIMS}
    return xr.DataArray(logsumexp(ends, axis=-1), dims=SAMPLE_DIMS, coords=coords)


def _dist(prior: Prior):
    return getattr(pm, prior.distribution).dist(**prior.params)


def _key(prior: Prior) -> tuple:
    return prior.distribution, tuple(sorted(prior.params.items()))


def _log_density(prior: Prior, values: xr.DataArray) -> xr.DataArray:
    logp = pm.logp(_dist(prior), values.values).eval()
    return values.copy(data=np.asarray(logp, dtype=float))

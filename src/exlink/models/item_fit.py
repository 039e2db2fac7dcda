"""Do the items covary as the measurement model says? A posterior predictive check.

Per posterior draw, the items' model-implied covariance is::

    Sigma = L Phi L' + Theta

with ``L`` (items x constructs) the loadings on the items' own scales (a
marker's 1), ``Phi`` the covariance of the constructs' true values across
units and periods (``construct_cov``) and ``Theta`` the diagonal of each
item's residual variance plus its mean sampling variance (for items that
are survey means). The discrepancy of a covariance matrix ``S`` of ``n``
rows from ``Sigma`` is the maximum-likelihood fit function::

    F(S, Sigma) = log |Sigma| + trace(S Sigma^-1) - log |S| - p

``S`` is the items' covariance over the cells where every item is
observed; per draw, ``n`` rows drawn from ``Normal(0, Sigma)`` give a
replicated ``S_rep``. The **posterior predictive p-value** (PPP) is the
share of draws where ``F(S_rep, Sigma) >= F(S, Sigma)``: near 0.5 when the
items covary as the model says, below :data:`LOW_PPP` when they do not (the
Bayesian counterpart of lavaan's chi-square test, as Mplus reports it).

The **residual correlations** are the items' observed correlations minus the
model's (posterior mean); the largest point to what the model lacks, a
residual covariance between two items or a cross-loading. **SRMR** is the
root mean square of the residual correlations over the ``p (p - 1) / 2``
pairs.

The rows of a panel are not independent (a unit's periods share its
effects), so a replicated ``S`` varies less than the observed one could:
the PPP is exact for a cross-section and on the low side for a panel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from exlink.dims import (
    CONSTRUCT,
    CONSTRUCT_COV,
    CONSTRUCT_OTHER,
    ITEM,
    ITEM_SD,
    LOADED_ITEM,
    LOADING,
    SAMPLE_DIMS,
)
from exlink.models.design import ChainDesign

LOW_PPP = 0.05
"""Posterior predictive p-value below which the items' covariance departs from the model."""
CHECK_DRAWS = 200
"""Posterior draws the check uses (thinned evenly)."""


@dataclass(frozen=True)
class ItemFit:
    """The posterior predictive check of the items' covariance.

    Attributes
    ----------
    ppp
        Posterior predictive p-value of the ML discrepancy.
    srmr
        Root mean square of the residual correlations.
    residuals
        One row per item pair, largest residual first: ``observed`` and
        ``implied`` correlation and ``residual``.
    rows
        Cells (units x periods) where every item is observed.
    """

    ppp: float
    srmr: float
    residuals: pd.DataFrame
    rows: int

    @property
    def fits(self) -> bool:
        """True when the PPP is at least :data:`LOW_PPP`."""
        return self.ppp >= LOW_PPP

    def sentence(self) -> str:
        """The check in plain words."""
        top = self.residuals.iloc[0]
        text = (
            f"posterior predictive p-value of the items' covariance {self.ppp:.2f}, SRMR "
            f"{self.srmr:.3f} over {self.rows} rows"
        )
        if self.fits:
            return f"the items covary as the measurement model says ({text})"
        return (
            f"the items' covariance departs from the measurement model ({text}); the largest "
            f"residual correlation is {top['item']} with {top['other']} ({top['residual']:+.2f}):"
            " a residual covariance or a cross-loading the model lacks"
        )


def item_fit(
    design: ChainDesign, posterior: xr.Dataset, draws: int = CHECK_DRAWS, seed: int = 0
) -> ItemFit | None:
    """Check the items' covariance against the model's; None with too few complete rows."""
    items = design.coords()[ITEM]
    terms = list(design.constructs.values())
    values = np.concatenate(
        [t.y * t.sds[:, None, None] + t.means[:, None, None] for t in terms]
    ).reshape(len(items), -1)
    complete = ~np.isnan(values).any(axis=0)
    rows = int(complete.sum())
    if rows <= len(items):
        return None
    observed = np.cov(values[:, complete])
    sampling = np.concatenate(
        [(t.sampling * t.sds[:, None, None] ** 2).reshape(len(t.items), -1) for t in terms]
    )[:, complete].mean(axis=1)
    owner = [c for c, t in enumerate(terms) for _ in t.items]

    flat = {
        name: posterior[name].stack(sample=SAMPLE_DIMS).transpose("sample", ...)
        for name in (LOADING, ITEM_SD, CONSTRUCT_COV)
    }
    total = flat[ITEM_SD].sizes["sample"]
    picks = np.unique(np.linspace(0, total - 1, min(draws, total)).astype(int))
    loaded = {item: k for k, item in enumerate(design.coords()[LOADED_ITEM])}
    loadings = flat[LOADING].values[picks]
    noise = flat[ITEM_SD].values[picks] ** 2 + sampling
    phi = flat[CONSTRUCT_COV].transpose("sample", CONSTRUCT, CONSTRUCT_OTHER).values[picks]
    rng = np.random.default_rng(seed)
    exceed, implied = [], []
    log_det_observed = np.linalg.slogdet(observed)[1]
    for s in range(len(picks)):
        lam = np.zeros((len(items), len(terms)))
        for i, item in enumerate(items):
            lam[i, owner[i]] = loadings[s, loaded[item]] if item in loaded else 1.0
        sigma = lam @ phi[s] @ lam.T + np.diag(noise[s])
        replicated = np.cov(rng.multivariate_normal(np.zeros(len(items)), sigma, rows).T)
        exceed.append(
            _discrepancy(replicated, sigma) >= _discrepancy(observed, sigma, log_det_observed)
        )
        implied.append(_correlation(sigma))
    residuals = _residuals(items, _correlation(observed), np.mean(implied, axis=0))
    srmr = float(np.sqrt((residuals["residual"] ** 2).mean()))
    return ItemFit(float(np.mean(exceed)), srmr, residuals, rows)


def _discrepancy(s: np.ndarray, sigma: np.ndarray, log_det_s: float | None = None) -> float:
    """The ML fit function ``log|Sigma| + tr(S Sigma^-1) - log|S| - p``."""
    if log_det_s is None:
        log_det_s = np.linalg.slogdet(s)[1]
    trace = np.trace(np.linalg.solve(sigma, s))
    return float(np.linalg.slogdet(sigma)[1] + trace - log_det_s - len(s))


def _correlation(cov: np.ndarray) -> np.ndarray:
    sd = np.sqrt(np.diag(cov))
    return cov / np.outer(sd, sd)


def _residuals(items: list[str], observed: np.ndarray, implied: np.ndarray) -> pd.DataFrame:
    first, second = np.triu_indices(len(items), k=1)
    table = pd.DataFrame(
        {
            "item": [items[i] for i in first],
            "other": [items[j] for j in second],
            "observed": observed[first, second],
            "implied": implied[first, second],
        }
    )
    table["residual"] = table["observed"] - table["implied"]
    order = table["residual"].abs().sort_values(ascending=False).index
    return table.loc[order].reset_index(drop=True)

"""Total, direct and indirect effects of every intervention, by horizon and in the long run."""

from __future__ import annotations

import numpy as np
import xarray as xr

from exlink.dims import CHAIN, DRAW, HORIZON, INTERVENTION, STAGE
from exlink.models.design import ChainDesign
from exlink.models.propagation import StandardisedDraws, intervention_shock, propagate

LONG_RUN_PERIODS = 240
"""Periods after which an effect counts as long-run."""


def total_effects(design: ChainDesign, posterior: xr.DataTree, horizon: int) -> xr.Dataset:
    """Effects of a permanent full rollout of each intervention (see ChainModel.total_effects)."""
    if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 1:
        raise ValueError(f"horizon must be a whole number of periods >= 1, got {horizon!r}.")
    if not design.intervention_names:
        raise ValueError(
            "the chain has no interventions, so there is no intervention's total effect to "
            "trace: add one to the chain (Intervention(...)) and its rollout to the panel."
        )
    posterior = posterior.to_dataset() if isinstance(posterior, xr.DataTree) else posterior
    draws = StandardisedDraws.from_posterior(design, posterior)
    length = max(horizon, LONG_RUN_PERIODS)
    totals, directs = [], []
    for name in design.intervention_names:
        shock = intervention_shock(draws, name, np.ones((1, length)))
        totals.append(propagate(draws, shock)[:, :, 0])
        directs.append(shock[:, :, 0])
    total, direct = np.stack(totals), np.stack(directs)
    n_chains, n_draws = posterior.sizes[CHAIN], posterior.sizes[DRAW]
    shape = (len(design.intervention_names), len(design.stage_names), n_chains, n_draws, length)
    total, direct = total.reshape(shape), direct.reshape(shape)
    coords = {
        INTERVENTION: list(design.intervention_names),
        STAGE: list(design.stage_names),
        CHAIN: posterior[CHAIN].values,
        DRAW: posterior[DRAW].values,
        HORIZON: np.arange(horizon),
    }
    dims = (INTERVENTION, STAGE, CHAIN, DRAW, HORIZON)
    order = (CHAIN, DRAW, INTERVENTION, STAGE, HORIZON)
    by_horizon = {
        "total": xr.DataArray(total[..., :horizon], dims=dims, coords=coords),
        "direct": xr.DataArray(direct[..., :horizon], dims=dims, coords=coords),
    }
    result = xr.Dataset({k: v.transpose(*order) for k, v in by_horizon.items()})
    result["indirect"] = result["total"] - result["direct"]
    result["long_run"] = xr.DataArray(
        total[..., -1], dims=dims[:-1], coords={k: v for k, v in coords.items() if k != HORIZON}
    ).transpose(*order[:-1])
    result.attrs["note"] = (
        "Effect of a permanent full rollout starting at horizon 0, average unit, "
        "nonlinear links at each source's observed mean; stage units."
    )
    return result

"""Posteriors and results made by hand, for tests that sample nothing."""

import numpy as np
import xarray as xr

import exlink as xl
from exlink.dims import HORIZON, INVESTMENT
from exlink.simulate.roi import SAMPLE, RoiResult


def true_posterior(sim, n_samples: int = 4, chains: int = 2) -> xl.ChainModel:
    """A model whose 'posterior' holds the generator's true parameters in every sample.

    A point mass at the truth: with two or more chains it passes the health
    check (nothing varies, so nothing fails); with one chain it does not.
    """
    model = xl.ChainModel(sim.chain).build(sim.panel())
    design = model._design
    truth = sim.truth
    beta = [
        lk.coef * design.sds[t.source] / design.sds[t.target]
        for lk, t in zip(truth.links, design.links, strict=True)
    ]
    gamma = [
        truth.interventions[design.intervention_names[e.intervention]].effects[
            design.stage_names[e.target]
        ]
        / design.sds[e.target]
        for e in design.effects
    ]
    ramps = [truth.interventions[name].ramp_rate for name in design.coords()["ramped"]]
    fades = [truth.interventions[name].fade_rate for name in design.coords()["fading"]]
    levers = design.levers

    def const(values, dim):
        values = np.asarray(values, dtype=float)
        return xr.DataArray(
            np.broadcast_to(values, (chains, n_samples, len(values))).copy(),
            dims=("chain", "draw", dim),
        )

    beta_original = [lk.coef for lk in truth.links]
    gamma_original = [g * design.sds[e.target] for g, e in zip(gamma, design.effects, strict=True)]
    groups = {
        "beta": (beta_original, "link"),
        "gamma": (gamma_original, "effect"),
        "beta_std": (beta, "link"),
        "gamma_std": (gamma, "effect"),
        "ramp_std": (ramps, "ramped"),
        "fade_std": (fades, "fading"),
        "lever_mean_std": ([0.5] * len(levers), "lever"),
        "lever_sd_std": ([0.2] * len(levers), "lever"),
    }
    posterior = xr.Dataset({name: const(v, dim) for name, (v, dim) in groups.items() if len(v)})
    model.idata = xr.DataTree.from_dict({"/posterior": posterior})
    return model


def hand_result(net: np.ndarray, costs: np.ndarray) -> RoiResult:
    """A result from hand-made cash flows: net (investments, samples, periods)."""
    n_inv, n_samples, horizon = net.shape
    names = [f"i{k}" for k in range(n_inv)]
    coords = {INVESTMENT: names, HORIZON: np.arange(horizon)}
    zeros = np.zeros_like(net)
    cost_flow = np.broadcast_to(costs[:, None, :], net.shape)
    flows = xr.Dataset(
        {
            name: xr.DataArray(values, dims=(INVESTMENT, SAMPLE, HORIZON), coords=coords)
            for name, values in {
                "revenue": net + cost_flow,
                "cost_to_serve": zeros,
                "attrition": zeros,
                "costs": cost_flow,
                "net": net,
            }.items()
        }
    )
    flows["discount"] = xr.DataArray(1.0 / 1.01 ** np.arange(horizon), dims=HORIZON)
    paths = xr.DataArray(
        np.zeros((n_inv, 1, n_samples, horizon)),
        dims=(INVESTMENT, "stage", SAMPLE, HORIZON),
        coords=coords | {"stage": ["nps"]},
    )
    leavers = xr.DataArray(
        np.zeros((n_inv, n_samples)), dims=(INVESTMENT, SAMPLE), coords={INVESTMENT: names}
    )
    investments = [xl.Investment(name, intervention="x") for name in names]
    return RoiResult(
        investments, xl.Finance(horizon=horizon), flows, paths, {}, leavers, {"cx": "nps"}
    )

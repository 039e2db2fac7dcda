"""Posteriors and results made by hand, for tests that sample nothing."""

import numpy as np
import xarray as xr

import exlink as xl
from exlink.dims import HORIZON, INVESTMENT, SAMPLE
from exlink.simulation.roi import RoiResult


def true_posterior(
    sim, n_samples: int = 4, chains: int = 2, spread: float = 0.0, seed: int = 0
) -> xl.ChainModel:
    """A model whose 'posterior' holds the generator's true parameters in every sample.

    A point mass at the truth: with two or more chains it passes the health
    check (nothing varies, so nothing fails); with one chain it does not.
    With ``spread``, every link and effect is scaled per sample by
    ``1 + spread * N(0, 1)``: a posterior with uncertainty around the truth
    (its health is not checked by the tests that use it).
    """
    rng = np.random.default_rng(seed)
    model = xl.ChainModel(sim.chain).build(sim.panel())
    design = model.design
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
    curved = [
        (lk, t) for lk, t in zip(truth.links, design.links, strict=True) if t.form != "linear"
    ]
    references = [
        (lk.reference - design.means[t.source]) / design.sds[t.source] for lk, t in curved
    ]
    curvatures = [lk.scale / design.sds[t.source] for lk, t in curved]

    def const(values, dim, jitter=False):
        values = np.asarray(values, dtype=float)
        out = np.broadcast_to(values, (chains, n_samples, len(values))).copy()
        if jitter and spread:
            out *= 1.0 + spread * rng.standard_normal(out.shape)
        return xr.DataArray(out, dims=("chain", "draw", dim))

    beta_original = [lk.coef for lk in truth.links]
    gamma_original = [g * design.sds[e.target] for g, e in zip(gamma, design.effects, strict=True)]
    groups = {
        "beta": (beta_original, "link"),
        "gamma": (gamma_original, "effect"),
        "beta_std": (beta, "link"),
        "gamma_std": (gamma, "effect"),
        "reference_std": (references, "nonlinear_link"),
        "curvature_std": (curvatures, "nonlinear_link"),
        "ramp_std": (ramps, "ramped"),
        "fade_std": (fades, "fading"),
        "lever_mean_std": ([0.5] * len(levers), "lever"),
        "lever_sd_std": ([0.2] * len(levers), "lever"),
    }
    posterior = xr.Dataset(
        {
            name: const(v, dim, jitter=name in ("beta_std", "gamma_std"))
            for name, (v, dim) in groups.items()
            if len(v)
        }
    )
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

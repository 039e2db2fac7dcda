"""Propagate a change through the chain, draw by draw.

Given posterior draws of every link and intervention effect, rollout paths of
some interventions and the level each stage starts from, :func:`propagate`
computes how much every stage's expected value moves, period by period,
through every path and lag. It uses expected values only: no observation
noise enters, so a scenario and its baseline share the same draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from exlink.models.design import ChainDesign
from exlink.transforms import exposure, link_form


@dataclass
class ChainDraws:
    """Standardised effect parameters, one row per posterior sample.

    Attributes
    ----------
    design
        The model's design (labels, scales, structure).
    params
        Name -> array of shape ``(samples, elements)``: ``beta``,
        ``reference``, ``curvature``, ``link_moderation``, ``gamma``,
        ``effect_moderation``, ``ramp``, ``fade`` (one column per
        intervention; 1 where it has no ramp, the ramp where it has no fade).
    """

    design: ChainDesign
    params: dict[str, np.ndarray]

    @property
    def n_samples(self) -> int:
        """Number of posterior samples."""
        return self.params["beta"].shape[0]

    @classmethod
    def from_posterior(cls, design: ChainDesign, posterior: xr.Dataset) -> ChainDraws:
        """Collect the standardised effect parameters of a posterior."""
        stacked = posterior.stack(sample=("chain", "draw"))
        n = stacked.sizes["sample"]

        def take(name: str, width: int) -> np.ndarray:
            if width == 0 or name not in stacked:
                return np.zeros((n, width))
            return np.asarray(stacked[name].transpose("sample", ...).values).reshape(n, width)

        coords = design.coords()
        params = {
            "beta": take("beta_std", len(coords["link"])),
            "reference": take("reference_std", len(coords["nonlinear_link"])),
            "curvature": take("curvature_std", len(coords["nonlinear_link"])),
            "link_moderation": take("link_moderation_std", len(coords["moderated_link"])),
            "gamma": take("gamma_std", len(coords["effect"])),
            "effect_moderation": take("effect_moderation_std", len(coords["moderated_effect"])),
        }
        ramp = take("ramp_std", len(coords["ramped"]))
        fade = take("fade_std", len(coords["fading"]))
        rates = np.ones((n, len(design.intervention_names)))
        fades = np.ones_like(rates)
        for i, k in enumerate(design.chain.interventions):
            if k.ramp:
                rates[:, i] = ramp[:, coords["ramped"].index(k.name)]
            fades[:, i] = fade[:, coords["fading"].index(k.name)] if k.fade else rates[:, i]
        params["ramp"], params["fade"] = rates, fades
        return cls(design, params)


def propagate(
    draws: ChainDraws,
    paths: dict[str, np.ndarray],
    *,
    baseline: np.ndarray | None = None,
    moderators: dict[str, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Change of every stage's expected value caused by rollout paths.

    Parameters
    ----------
    draws
        Posterior effect parameters.
    paths
        Intervention name -> rollout level per period, shape ``(horizon,)``.
    baseline
        Standardised level of each stage before the change, shape
        ``(stages,)``; it matters only for saturating and threshold links.
        Zeros (each stage at its observed mean) by default.
    moderators
        Standardised moderator values of the unit; 0 (average unit) by default.

    Returns
    -------
    total, direct : numpy.ndarray
        Shape ``(stages, samples, horizon)`` on the original scale of each
        stage: the whole change, and the part from interventions acting
        directly on the stage.
    """
    design, p = draws.design, draws.params
    horizon = len(next(iter(paths.values())))
    n_stages, n_samples = len(design.stage_names), draws.n_samples
    baseline = np.zeros(n_stages) if baseline is None else np.asarray(baseline, dtype=float)
    z = {name: 0.0 for name in design.moderators} | dict(moderators or {})
    index = {name: i for i, name in enumerate(design.intervention_names)}
    exposures = {
        index[name]: exposure(
            np.broadcast_to(np.asarray(path, float), (n_samples, horizon)),
            p["ramp"][:, index[name]],
            p["fade"][:, index[name]],
        )
        for name, path in paths.items()
    }
    nonlinear = [i for i, lk in enumerate(design.links) if lk.form != "linear"]
    moderated_links = [i for i, lk in enumerate(design.links) if lk.moderator]
    moderated_effects = [i for i, e in enumerate(design.effects) if e.moderator]
    total = np.zeros((n_stages, n_samples, horizon))
    direct = np.zeros_like(total)
    order = [design.stage_names.index(n) for n in design.chain.topological_order()]
    for h in range(horizon):
        for j in order:
            change = np.zeros(n_samples)
            for i, lk in enumerate(design.links):
                if lk.target != j or h - lk.lag < 0:
                    continue
                moved = total[lk.source, :, h - lk.lag] / design.sds[lk.source]
                slope = p["beta"][:, i]
                if lk.moderator:
                    slope = (
                        slope + p["link_moderation"][:, moderated_links.index(i)] * z[lk.moderator]
                    )
                if lk.form != "linear":
                    k = nonlinear.index(i)
                    ref, curv = p["reference"][:, k], p["curvature"][:, k]
                    x0 = baseline[lk.source]
                    moved = link_form(lk.form, x0 + moved, ref, curv) - link_form(
                        lk.form, x0, ref, curv
                    )
                change += slope * moved
            for i, e in enumerate(design.effects):
                if e.target != j or e.intervention not in exposures:
                    continue
                slope = p["gamma"][:, i]
                if e.moderator:
                    slope = (
                        slope
                        + p["effect_moderation"][:, moderated_effects.index(i)] * z[e.moderator]
                    )
                part = slope * exposures[e.intervention][:, h] * design.sds[j]
                direct[j, :, h] += part
            total[j, :, h] = change * design.sds[j] + direct[j, :, h]
    return total, direct

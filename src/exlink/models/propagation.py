"""Propagate a change through the chain, draw by draw.

A change starts as a *shock*: the direct change of some stages' expected
values, per posterior sample, unit and period (an intervention's effect times
its exposure, for example). :func:`propagate` carries it through every link
with its lag, form and moderator. Only expected values move: no observation
noise enters, so a scenario and its baseline share the same draws.

Arrays are laid out ``(stage, sample, unit, period)``, in stage units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from exlink._moved import renamed_attributes
from exlink._names import unknown_name_message
from exlink.dims import (
    BETA,
    EFFECT,
    EFFECT_MODERATION,
    FADING,
    GAMMA,
    LEVER,
    LINK,
    LINK_MODERATION,
    MODERATED_EFFECT,
    MODERATED_LINK,
    NONLINEAR_LINK,
    RAMPED,
    SAMPLE,
    SAMPLE_DIMS,
    standardised,
)
from exlink.models.design import ChainDesign
from exlink.transforms import link_curve, ramped_exposure, ramped_exposure_after


@dataclass
class StandardisedDraws:
    """Standardised effect parameters, one row per posterior sample.

    Attributes
    ----------
    design
        The model's design (labels, scales, structure).
    params
        Name -> array of shape ``(samples, elements)``: ``beta``,
        ``reference``, ``curvature``, ``link_moderation``, ``gamma``,
        ``effect_moderation``, ``ramp`` and ``fade`` (one column per
        intervention; 1 where it has no ramp, the ramp where it has no fade),
        and ``lever_mean`` and ``lever_sd`` (one column per lever).
    """

    design: ChainDesign
    params: dict[str, np.ndarray]

    @property
    def n_samples(self) -> int:
        """Number of posterior samples."""
        return self.params["beta"].shape[0]

    @classmethod
    def from_posterior(cls, design: ChainDesign, posterior: xr.Dataset) -> StandardisedDraws:
        """Collect the standardised effect parameters of a posterior."""
        stacked = posterior.stack({SAMPLE: SAMPLE_DIMS})
        n = stacked.sizes[SAMPLE]

        def take(name: str, width: int) -> np.ndarray:
            if width == 0 or name not in stacked:
                return np.zeros((n, width))
            return np.asarray(stacked[name].transpose(SAMPLE, ...).values).reshape(n, width)

        coords = design.coords()
        params = {
            "beta": take(standardised(BETA), len(coords[LINK])),
            "reference": take(standardised("reference"), len(coords[NONLINEAR_LINK])),
            "curvature": take(standardised("curvature"), len(coords[NONLINEAR_LINK])),
            "link_moderation": take(standardised(LINK_MODERATION), len(coords[MODERATED_LINK])),
            "gamma": take(standardised(GAMMA), len(coords[EFFECT])),
            "effect_moderation": take(
                standardised(EFFECT_MODERATION), len(coords[MODERATED_EFFECT])
            ),
            "lever_mean": take(standardised("lever_mean"), len(coords[LEVER])),
            "lever_sd": take(standardised("lever_sd"), len(coords[LEVER])),
        }
        ramp = take(standardised("ramp"), len(coords[RAMPED]))
        fade = take(standardised("fade"), len(coords[FADING]))
        rates = np.ones((n, len(design.intervention_names)))
        fades = np.ones_like(rates)
        for i, k in enumerate(design.chain.interventions):
            if k.ramp:
                rates[:, i] = ramp[:, coords[RAMPED].index(k.name)]
            fades[:, i] = fade[:, coords[FADING].index(k.name)] if k.fade else rates[:, i]
        params["ramp"], params["fade"] = rates, fades
        return cls(design, params)

    def subset(self, samples: np.ndarray) -> StandardisedDraws:
        """The same parameters for a subset of samples."""
        return StandardisedDraws(self.design, {k: v[samples] for k, v in self.params.items()})


def intervention_shock(
    draws: StandardisedDraws,
    name: str,
    rollout: np.ndarray,
    *,
    moderators: dict[str, np.ndarray] | None = None,
    fade: np.ndarray | None = None,
    history: np.ndarray | None = None,
    from_period: int = 0,
) -> np.ndarray:
    """Direct change of an intervention's target stages given its rollout.

    Parameters
    ----------
    draws
        Posterior effect parameters.
    name
        A historical intervention of the chain.
    rollout
        Rollout level per unit and period, shape ``(units, periods)``.
    moderators
        Standardised moderator values per unit, shape ``(units,)``; 0 (the
        average unit) where absent.
    fade
        Fade rate per sample, replacing the fitted one (0 for a reinforced
        investment whose effect does not fade); with ``history``, from
        period ``from_period`` on.
    history
        The rollout before ``rollout``'s periods, shape ``(units, T)``: the
        exposure continues from where that history leaves it
        (:func:`~exlink.transforms.ramped_exposure_after`). Without it, the
        exposure starts from 0.

    Returns
    -------
    numpy.ndarray
        Shape ``(stages, samples, units, periods)``, in stage units.
    """
    design, p = draws.design, draws.params
    if name not in design.intervention_names:
        raise KeyError(unknown_name_message("intervention", name, design.intervention_names))
    k = design.intervention_names.index(name)
    rollout = np.atleast_2d(np.asarray(rollout, dtype=float))
    n_units, horizon = rollout.shape
    if history is not None:
        override = None if fade is None else np.broadcast_to(fade, (draws.n_samples,))[:, None]
        e = ramped_exposure_after(
            np.asarray(history, dtype=float),
            rollout,
            p["ramp"][:, k, None],
            p["fade"][:, k, None],
            future_fade=override,
            from_period=from_period,
        )
    else:
        fade = p["fade"][:, k] if fade is None else np.broadcast_to(fade, (draws.n_samples,))
        e = ramped_exposure(
            np.broadcast_to(rollout, (draws.n_samples, n_units, horizon)),
            p["ramp"][:, k, None],
            fade[:, None],
        )
    z = _moderators(design, moderators, n_units)
    moderated = [i for i, t in enumerate(design.effects) if t.moderator]
    shock = np.zeros((len(design.stage_names), draws.n_samples, n_units, horizon))
    for i, term in enumerate(design.effects):
        if term.intervention != k:
            continue
        slope = np.broadcast_to(p["gamma"][:, i, None], (draws.n_samples, n_units))
        if term.moderator:
            slope = slope + p["effect_moderation"][:, moderated.index(i), None] * z[term.moderator]
        shock[term.target] += slope[..., None] * e * design.sds[term.target]
    return shock


def propagate(
    draws: StandardisedDraws,
    shock: np.ndarray,
    *,
    baseline: np.ndarray | None = None,
    moderators: dict[str, np.ndarray] | None = None,
) -> np.ndarray:
    """Carry a shock through every link, period by period.

    Parameters
    ----------
    draws
        Posterior effect parameters.
    shock
        Direct change, shape ``(stages, samples, units, periods)``, stage units.
    baseline
        Standardised level of each stage per unit before the change, shape
        ``(stages, units)``; it matters only for saturating and threshold
        links. Zeros (each stage at its observed mean) by default.
    moderators
        Standardised moderator values per unit, shape ``(units,)``.

    Returns
    -------
    numpy.ndarray
        The whole change, same shape as ``shock``.
    """
    design, p = draws.design, draws.params
    n_stages, n_samples, n_units, horizon = shock.shape
    baseline = np.zeros((n_stages, n_units)) if baseline is None else np.asarray(baseline, float)
    z = _moderators(design, moderators, n_units)
    nonlinear = [i for i, lk in enumerate(design.links) if lk.form != "linear"]
    moderated = [i for i, lk in enumerate(design.links) if lk.moderator]
    slopes = {}
    for i, lk in enumerate(design.links):
        slope = np.broadcast_to(p["beta"][:, i, None], (n_samples, n_units))
        if lk.moderator:
            slope = slope + p["link_moderation"][:, moderated.index(i), None] * z[lk.moderator]
        slopes[i] = slope
    total = shock.copy()
    order = [design.stage_names.index(n) for n in design.chain.topological_order()]
    for h in range(horizon):
        for j in order:
            for i, lk in enumerate(design.links):
                if lk.target != j or h - lk.lag < 0:
                    continue
                moved = total[lk.source, :, :, h - lk.lag] / design.sds[lk.source]
                if lk.form != "linear":
                    k = nonlinear.index(i)
                    ref, curv = p["reference"][:, k, None], p["curvature"][:, k, None]
                    x0 = baseline[lk.source][None, :]
                    low, high = design.central[lk.source]
                    moved = link_curve(lk.form, x0 + moved, ref, curv, low, high) - link_curve(
                        lk.form, x0, ref, curv, low, high
                    )
                total[j, :, :, h] += slopes[i] * moved * design.sds[j]
    return total


def _moderators(
    design: ChainDesign, given: dict[str, np.ndarray] | None, n_units: int
) -> dict[str, np.ndarray]:
    out = {name: np.zeros(n_units) for name in design.moderators}
    for name, values in (given or {}).items():
        out[name] = np.broadcast_to(np.asarray(values, dtype=float), (n_units,))
    return out


__getattr__ = renamed_attributes(__name__, {"ChainDraws": "StandardisedDraws"})

"""Propagate a change through the chain, draw by draw.

A change starts as a *shock*: the direct change of some stages' expected
values, per posterior sample, unit and period (an intervention's effect times
its exposure, for example). :func:`propagate` carries it through every link
with its lag, form and moderator. Only expected values move: no observation
noise enters, so a scenario and its baseline share the same draws.

Arrays are laid out ``(stage, sample, unit, period)``, in stage units.
:func:`propagate_stages` does the same work on a shock given stage by stage
(``stage -> (sample, unit, period)``) and computes only the stages the shock
reaches: a stage outside every loop of links takes its sources' change over
all periods at once, and only the stages of a loop closed by lagged links
(a stage feeding its own next period, for example) go period by period.
"""

from __future__ import annotations

from collections.abc import Mapping
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
from exlink.transforms import link_curve_change, ramped_exposure, ramped_exposure_after


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
    exposure = intervention_exposure(
        draws, name, rollout, fade=fade, history=history, from_period=from_period
    )
    shocks = exposure_shocks(draws, name, exposure, moderators=moderators)
    return _stacked(draws.design, shocks, exposure.shape)


def intervention_exposure(
    draws: StandardisedDraws,
    name: str,
    rollout: np.ndarray,
    *,
    fade: np.ndarray | None = None,
    history: np.ndarray | None = None,
    from_period: int = 0,
) -> np.ndarray:
    """Effective exposure of an intervention's rollout, per sample, unit and period.

    The arguments are those of :func:`intervention_shock`.

    Returns
    -------
    numpy.ndarray
        Shape ``(samples, units, periods)``.
    """
    design, p = draws.design, draws.params
    if name not in design.intervention_names:
        raise KeyError(unknown_name_message("intervention", name, design.intervention_names))
    k = design.intervention_names.index(name)
    rollout = np.atleast_2d(np.asarray(rollout, dtype=float))
    n_units, horizon = rollout.shape
    if history is not None:
        override = None if fade is None else np.broadcast_to(fade, (draws.n_samples,))[:, None]
        return ramped_exposure_after(
            np.asarray(history, dtype=float),
            rollout,
            p["ramp"][:, k, None],
            p["fade"][:, k, None],
            future_fade=override,
            from_period=from_period,
        )
    fade = p["fade"][:, k] if fade is None else np.broadcast_to(fade, (draws.n_samples,))
    return ramped_exposure(
        np.broadcast_to(rollout, (draws.n_samples, n_units, horizon)),
        p["ramp"][:, k, None],
        fade[:, None],
    )


def exposure_shocks(
    draws: StandardisedDraws,
    name: str,
    exposure: np.ndarray,
    *,
    moderators: dict[str, np.ndarray] | None = None,
) -> dict[int, np.ndarray]:
    """Direct change of an intervention's target stages given its exposure.

    Parameters
    ----------
    draws
        Posterior effect parameters.
    name
        A historical intervention of the chain.
    exposure
        Shape ``(samples, units, periods)`` (:func:`intervention_exposure`).
    moderators
        Standardised moderator values per unit, shape ``(units,)``.

    Returns
    -------
    dict
        Stage position -> its change, shape ``(samples, units, periods)``, in
        stage units; only the intervention's target stages.
    """
    design, p = draws.design, draws.params
    if name not in design.intervention_names:
        raise KeyError(unknown_name_message("intervention", name, design.intervention_names))
    k = design.intervention_names.index(name)
    n_units = exposure.shape[1]
    z = _moderators(design, moderators, n_units)
    moderated = [i for i, t in enumerate(design.effects) if t.moderator]
    shocks: dict[int, np.ndarray] = {}
    for i, term in enumerate(design.effects):
        if term.intervention != k:
            continue
        slope = np.broadcast_to(p["gamma"][:, i, None], (draws.n_samples, n_units))
        if term.moderator:
            slope = slope + p["effect_moderation"][:, moderated.index(i), None] * z[term.moderator]
        moved = slope[..., None] * exposure * design.sds[term.target]
        if term.target in shocks:
            shocks[term.target] += moved
        else:
            shocks[term.target] = moved
    return shocks


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
    shock = np.asarray(shock, dtype=float)
    started = {j: shock[j] for j in range(shock.shape[0]) if np.any(shock[j])}
    changes = propagate_stages(
        draws, started, shock.shape[1:], baseline=baseline, moderators=moderators
    )
    return _stacked(draws.design, changes, shock.shape[1:])


def propagate_stages(
    draws: StandardisedDraws,
    shocks: Mapping[int, np.ndarray],
    shape: tuple[int, int, int],
    *,
    baseline: np.ndarray | None = None,
    moderators: dict[str, np.ndarray] | None = None,
) -> dict[int, np.ndarray]:
    """:func:`propagate` for a shock to a few stages, given stage by stage.

    Only the stages the shock reaches are computed. A stage outside every
    loop of links takes the change of its sources over all periods at once;
    the stages of a loop (closed by lagged links) go period by period.

    Parameters
    ----------
    draws
        Posterior effect parameters.
    shocks
        Stage position -> direct change, shape ``shape``, stage units.
    shape
        ``(samples, units, periods)``.
    baseline, moderators
        As for :func:`propagate`.

    Returns
    -------
    dict
        Stage position -> whole change, shape ``shape``, for every stage the
        shock reaches; the others do not change.
    """
    design, p = draws.design, draws.params
    n_samples, n_units, horizon = shape
    n_stages = len(design.stage_names)
    baseline = np.zeros((n_stages, n_units)) if baseline is None else np.asarray(baseline, float)
    z = _moderators(design, moderators, n_units)
    nonlinear = [i for i, lk in enumerate(design.links) if lk.form != "linear"]
    moderated = [i for i, lk in enumerate(design.links) if lk.moderator]
    into: dict[int, list[int]] = {j: [] for j in range(n_stages)}
    for i, lk in enumerate(design.links):
        into[lk.target].append(i)
    factors: dict[int, np.ndarray] = {}

    def factor(i: int) -> np.ndarray:
        """A link's slope per unit and sample, from its source's units to its target's."""
        if i not in factors:
            lk = design.links[i]
            slope = np.broadcast_to(p["beta"][:, i, None], (n_samples, n_units))
            if lk.moderator:
                slope = slope + p["link_moderation"][:, moderated.index(i), None] * z[lk.moderator]
            sds = design.sds
            if lk.form == "linear":
                factors[i] = (slope * (sds[lk.target] / sds[lk.source]))[..., None]
            else:
                factors[i] = (slope * sds[lk.target])[..., None]
        return factors[i]

    def moved(i: int, source: np.ndarray, out: np.ndarray) -> np.ndarray:
        """The change a link passes on to its target, periods last, into ``out``."""
        lk = design.links[i]
        if lk.form == "linear":
            return np.multiply(factor(i), source, out=out)
        k = nonlinear.index(i)
        low, high = design.central[lk.source]
        curve = link_curve_change(
            lk.form,
            baseline[lk.source][None, :, None],
            source / design.sds[lk.source],
            p["reference"][:, k, None, None],
            p["curvature"][:, k, None, None],
            low,
            high,
        )
        return np.multiply(factor(i), curve, out=out)

    total = {j: np.array(s, dtype=float) for j, s in shocks.items()}
    scratch = np.empty(shape)
    for members, looped in _propagation_order(design):
        if not any(
            j in total or any(design.links[i].source in total for i in into[j]) for j in members
        ):
            continue
        for j in members:
            total.setdefault(j, np.zeros(shape))
        if not looped:
            (j,) = members
            for i in into[j]:
                lk = design.links[i]
                if lk.source in total and lk.lag < horizon:
                    end = horizon - lk.lag
                    source = total[lk.source][..., :end]
                    total[j][..., lk.lag :] += moved(i, source, scratch[..., :end])
            continue
        # Period by period, each period's values contiguous.
        used = set(members) | {design.links[i].source for j in members for i in into[j]}
        by_period = {
            m: np.ascontiguousarray(np.moveaxis(total[m], -1, 0)) for m in used if m in total
        }
        step = np.empty((n_samples, n_units, 1))
        for h in range(horizon):
            for j in members:
                for i in into[j]:
                    lk = design.links[i]
                    if lk.source in by_period and h - lk.lag >= 0:
                        source = by_period[lk.source][h - lk.lag, ..., None]
                        by_period[j][h] += moved(i, source, step)[..., 0]
        for m in members:
            total[m] = np.ascontiguousarray(np.moveaxis(by_period[m], 0, -1))
    return total


def _propagation_order(design: ChainDesign) -> list[tuple[list[int], bool]]:
    """The chain's stages in groups that can be propagated one after another.

    Each group is a loop of links (closed through lagged links; its stages in
    the chain's order of lag-0 links) or a single stage outside every loop;
    a group's sources outside it come in earlier groups. The flag says
    whether the group is a loop.
    """
    names = design.stage_names
    n = len(names)
    reach = np.eye(n, dtype=bool)
    for lk in design.links:
        reach[lk.source, lk.target] = True
    for k in range(n):
        reach |= reach[:, k, None] & reach[None, k, :]
    order = [names.index(name) for name in design.chain.topological_order()]
    groups: list[tuple[list[int], bool]] = []
    placed: set[int] = set()
    while len(placed) < n:
        for j in order:
            if j in placed:
                continue
            members = [m for m in order if reach[j, m] and reach[m, j]]
            upstream = {lk.source for lk in design.links if lk.target in members} - set(members)
            if upstream <= placed:
                looped = len(members) > 1 or any(
                    lk.source == j and lk.target == j for lk in design.links
                )
                groups.append((members, looped))
                placed.update(members)
                break
    return groups


def _stacked(
    design: ChainDesign, changes: Mapping[int, np.ndarray], shape: tuple[int, ...]
) -> np.ndarray:
    """Stage-by-stage changes as one array ``(stages, *shape)``, zero where absent."""
    out = np.zeros((len(design.stage_names), *shape))
    for j, change in changes.items():
        out[j] = change
    return out


def _moderators(
    design: ChainDesign, given: dict[str, np.ndarray] | None, n_units: int
) -> dict[str, np.ndarray]:
    out = {name: np.zeros(n_units) for name in design.moderators}
    for name, values in (given or {}).items():
        out[name] = np.broadcast_to(np.asarray(values, dtype=float), (n_units,))
    return out


__getattr__ = renamed_attributes(__name__, {"ChainDraws": "StandardisedDraws"})

"""Pilots of new investments: a measured lift updates the candidate's elicited effect.

A new investment's effect on each stage it names is, per posterior draw,
normal: its elicited 90% range, combined with its lever's population of
effects (see :mod:`exlink.simulation.plans`). A pilot of the candidate
(:meth:`~exlink.models.chain.ChainModel.add_experiment` with the candidate's
name) measured ``lift`` with standard error ``se`` on a stage ``s``. The lift
the draw implies is linear in the effects::

    implied = sum_j g_j * effect_j

where ``g_j`` is the change of ``s`` per unit of effect on stage ``j``: 1 for
``s = j`` settled, and otherwise the draw's propagation through the chain's
links (slopes of curved links at the average unit), over the pilot's
``periods`` from a full-level start with the candidate's ramp, or settled.
So each pilot is one more normal observation, ``lift ~ Normal(implied, se)``,
and the effects' posterior per draw is normal again (the Kalman update)::

    k = S g / (g' S g + se^2),   m <- m + k (lift - g' m),   S <- S - k g' S

Pilots of one candidate are applied in the order they were added.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from exlink.models.experiments import Experiment
from exlink.models.propagation import StandardisedDraws, propagate
from exlink.transforms import ramped_exposure

SETTLED_PERIODS = 240
"""Periods propagated for a pilot's settled (long-run) lift."""
_STEP = 1e-3
"""Size of the probing change, in standard deviations of the stage: slopes, not curves."""


def pilot_gains(
    samples: StandardisedDraws, stages: Sequence[int], pilot: Experiment, ramp: float
) -> np.ndarray:
    """Change of the pilot's stage per unit of effect on each of ``stages``, ``(samples, p)``."""
    design = samples.design
    measured = design.stage_names.index(pilot.stage)
    periods = SETTLED_PERIODS if pilot.periods is None else int(pilot.periods)
    path = ramped_exposure(np.ones(periods), ramp, ramp)
    baseline = np.zeros((len(design.stage_names), 1))
    gains = np.empty((samples.n_samples, len(stages)))
    for column, j in enumerate(stages):
        step = _STEP * design.sds[j]
        shock = np.zeros((len(design.stage_names), samples.n_samples, 1, periods))
        shock[j] = step * path
        change = propagate(samples, shock, baseline=baseline)[measured, :, 0]
        moved = change[:, -1] if pilot.periods is None else change.mean(axis=-1)
        gains[:, column] = moved / step
    return gains


def update_with_pilots(
    mean: np.ndarray,
    covariance: np.ndarray,
    samples: StandardisedDraws,
    stages: Sequence[int],
    pilots: Sequence[Experiment],
    ramp: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Condition the effects ``N(mean, covariance)`` per draw on each pilot's lift.

    ``mean`` is ``(samples, p)`` and ``covariance`` ``(samples, p, p)``, the
    effects on ``stages`` in stage units.
    """
    mean, covariance = mean.copy(), covariance.copy()
    for pilot in pilots:
        g = pilot_gains(samples, stages, pilot, ramp)
        if not np.abs(g).max() > 0:
            names = [samples.design.stage_names[j] for j in stages]
            raise ValueError(
                f"pilot of {pilot.intervention!r}: it measured {pilot.stage!r}, which the "
                f"investment's effects (on {', '.join(names)}) do not reach through the chain."
            )
        spread = np.einsum("sij,sj->si", covariance, g)
        total = np.einsum("si,si->s", g, spread) + pilot.se**2
        gain = spread / total[:, None]
        mean += gain * (pilot.lift - np.einsum("si,si->s", g, mean))[:, None]
        covariance -= np.einsum("si,sj->sij", gain, spread)
    return mean, covariance


def draw_effects(mean: np.ndarray, covariance: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw of the effects per sample from ``N(mean, covariance)``, ``(samples, p)``."""
    p = mean.shape[1]
    jitter = 1e-12 * np.maximum(np.einsum("sii->s", covariance), 1e-300)[:, None, None]
    factor = np.linalg.cholesky(covariance + jitter * np.eye(p))
    return mean + np.einsum("sij,sj->si", factor, rng.standard_normal(mean.shape))

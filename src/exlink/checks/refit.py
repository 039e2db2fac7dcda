"""Refitting a model on changed data or priors, for the checks that need it."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from exlink.data import Panel
from exlink.dims import INTERVENTION
from exlink.models.design import ChainDesign
from exlink.models.diagnostics import EFFECT_PARAMETERS, ConvergenceWarning
from exlink.models.prior_set import prior_elements
from exlink.priors import Prior
from exlink.spec import Chain, Intervention

if TYPE_CHECKING:
    from exlink.models.chain import ChainModel

REFIT_DEFAULTS: dict[str, Any] = {"draws": 500, "tune": 500, "progressbar": False}
"""Sampler settings of a check's refit unless the caller gives others."""
REFIT_MAX_RHAT = 1.05
"""A refit whose R-hat stays below this has mixed well enough to compare effects.

A check compares an effect with zero or with another fit, which needs far fewer
effective draws than a money decision's tails."""


def fit_settings(model: ChainModel, given: Mapping[str, Any] | None) -> dict[str, Any]:
    """The refit's sampler settings: the defaults, the model's chain count, the caller's."""
    chains = model.fitted.chains
    return REFIT_DEFAULTS | {"chains": max(chains, 2), "random_seed": 1} | dict(given or {})


def subchain(chain: Chain, stages: Iterable[str]) -> Chain:
    """The part of a chain needed to model some stages: them, their parents, their levers.

    Keeps the given stages and the stages linked into them, the links among
    those, and the interventions acting on them (restricted to those targets).
    """
    wanted = set(stages)
    keep = wanted | {lk.source for lk in chain.links if lk.target in wanted}
    interventions = []
    for k in chain.interventions:
        targets = tuple(t for t in k.targets if t in keep)
        if targets:
            interventions.append(replace(k, targets=targets))
    return Chain(
        stages=[s for s in chain.stages if s.name in keep],
        links=[lk for lk in chain.links if lk.source in keep and lk.target in keep],
        interventions=interventions,
    )


def with_rollouts(panel: Panel, rollouts: Mapping[str, np.ndarray]) -> Panel:
    """A copy of the panel with more intervention columns (rollouts ``(units, periods)``)."""
    template = (
        panel.exposure.isel({INTERVENTION: 0}, drop=True)
        if len(panel.intervention_names)
        else xr.zeros_like(panel.observed, dtype=float)
    )
    extra = [
        xr.DataArray(np.where(panel.observed.values, r, np.nan), coords=template.coords)
        .expand_dims({INTERVENTION: [name]})
        .transpose(INTERVENTION, ...)
        for name, r in rollouts.items()
    ]
    return panel.with_exposure(xr.concat([panel.exposure, *extra], dim=INTERVENTION))


def placebo_intervention(original: Intervention, name: str) -> Intervention:
    """A step-shaped stand-in for an intervention, on the same targets, for placebo checks."""
    return Intervention(
        name,
        original.targets,
        lever=original.lever,
        ramp=False,
        description=f"placebo of {original.name}",
    )


def refit(
    model: ChainModel,
    chain: Chain,
    panel: Panel,
    priors: Mapping[str, Prior],
    settings: Mapping[str, Any],
) -> tuple[ChainModel, str]:
    """Fit a fresh model; returns it and a note when it did not converge (else ``""``).

    Priors of elements the new chain does not have are left out.
    """
    elements = prior_elements(ChainDesign(chain, panel))
    valid = set(elements) | {f"{g}[{e[0]}]" for g, els in elements.items() for e in els}
    fresh = model.respecify(chain, {k: v for k, v in priors.items() if k in valid})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fresh.fit(panel, **settings)
    health = fresh.diagnostics()
    effects = health.table[health.table["parameter"].isin(EFFECT_PARAMETERS)]
    mixed = effects["r_hat"].isna().all() or effects["r_hat"].max() <= REFIT_MAX_RHAT
    if mixed and not health.divergences:
        return fresh, ""
    return fresh, "the check's refit did not mix well (R-hat or divergences), so read it with care"

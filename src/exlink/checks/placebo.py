"""Placebo checks: an effect where there should be none means the estimate is not causal.

- **In time**: pretend each unit's rollout started ``shift`` periods early.
  A placebo rollout covers the periods just before each real start; refitted
  beside the real one, its effect should be nil. A clear placebo effect means
  the treated units were already changing before they were treated (a
  pre-trend, or wrong start dates), and the real effect absorbs that change.
- **In space**: give the treated units' schedules to units that were never
  treated. Those units should not move when their fake rollout starts; if
  they do, the "effect" is a shock of those periods or a trait of the
  calendar, not the intervention.

Both refit only the part of the chain the intervention acts on
(:func:`~exlink.checks.refit.subchain`), with the placebo's effect given its
own wide prior (one standard deviation of the target) outside the lever's
pool, so that the real effects cannot pull it.

A placebo fails when its effect is clearly of practical size: its interval
lies wholly outside the region of practical equivalence of the real effect
(``effects()``'s ``rope``, by default a tenth of the target's standard
deviation). A placebo whose interval holds zero passes; so does one that
excludes zero but reaches into that region: the non-causal change it shows is
too small to matter beside the effect (the message gives its size). Judged on
zero alone, the many subjects of a large chain would fail by chance or by a
leak of a few percent of the real effect, on data with no threat at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from exlink.checks.refit import (
    fit_settings,
    placebo_intervention,
    refit,
    subchain,
    with_rollouts,
)
from exlink.checks.result import (
    FAILED,
    NOT_RUN,
    PASSED,
    CheckResult,
    chosen_interventions,
    verdict_row,
)
from exlink.dims import GAMMA
from exlink.models.summaries import practical_sizes
from exlink.priors import Prior
from exlink.rollouts import borrowed_rollout as space_rollout
from exlink.rollouts import early_rollout as time_rollout
from exlink.rollouts import start_periods
from exlink.spec import Chain

if TYPE_CHECKING:
    from exlink.models.chain import ChainModel

LEVEL = 0.95
"""Probability of the intervals a placebo effect must hold zero in."""


def placebo_in_time(
    model: ChainModel,
    interventions: Sequence[str] | None = None,
    *,
    shift: int = 4,
    level: float = LEVEL,
    fit: Mapping[str, Any] | None = None,
) -> CheckResult:
    """Pretend every rollout started ``shift`` periods early: the placebo must do nothing.

    Parameters
    ----------
    model
        A fitted :class:`~exlink.models.chain.ChainModel`.
    interventions
        Interventions to check (default: all).
    shift
        Length of the placebo window before each unit's real start.
    level
        Probability of the placebo effect's interval, which must hold zero.
    fit
        Sampler settings of the refit (default 500 draws and 500 tuning
        steps per chain, the model's chain count, seed 1).

    Returns
    -------
    CheckResult
        One row per intervention effect: the placebo effect, its interval,
        and the real effect refitted beside it.
    """

    def build(rollout: np.ndarray) -> tuple[np.ndarray, str]:
        placebo = time_rollout(rollout, shift)
        if not placebo.any():
            return placebo, "no unit has periods before its start to put a placebo in"
        return placebo, ""

    return _placebo_check(model, "placebo_in_time", build, interventions, level, fit)


def placebo_in_space(
    model: ChainModel,
    interventions: Sequence[str] | None = None,
    *,
    seed: int = 0,
    level: float = LEVEL,
    fit: Mapping[str, Any] | None = None,
) -> CheckResult:
    """Give the treated units' schedules to never-treated units: they must not respond.

    Parameters
    ----------
    model
        A fitted :class:`~exlink.models.chain.ChainModel`.
    interventions
        Interventions to check (default: all).
    seed
        Seed of the random assignment of schedules to untreated units.
    level
        Probability of the placebo effect's interval, which must hold zero.
    fit
        Sampler settings of the refit (see :func:`placebo_in_time`).

    Returns
    -------
    CheckResult
        One row per intervention effect.
    """

    def build(rollout: np.ndarray) -> tuple[np.ndarray, str]:
        starts = start_periods(rollout)
        if not (starts < 0).any() or not (starts >= 0).any():
            return np.zeros_like(rollout), "it needs never-treated units, and this rollout has none"
        return space_rollout(rollout, seed), ""

    return _placebo_check(model, "placebo_in_space", build, interventions, level, fit)


def _placebo_check(
    model: ChainModel,
    check: str,
    build: Callable[[np.ndarray], tuple[np.ndarray, str]],
    interventions: Sequence[str] | None,
    level: float,
    fit: Mapping[str, Any] | None,
) -> CheckResult:
    design = model.design
    chain = model.chain
    names = chosen_interventions(chain, interventions)
    rows, placebos, skipped = [], {}, {}
    for name in names:
        k = chain.intervention_names.index(name)
        placebo, why = build(np.nan_to_num(design.rollouts[k]))
        if why:
            skipped[name] = why
        else:
            placebos[name] = placebo
    if placebos:
        fitted, note = _fit_placebos(model, chain, placebos, fit)
        gamma = fitted.idata.posterior[GAMMA]
        sizes = practical_sizes(chain, design)
        for name in placebos:
            for target in chain.intervention(name).targets:
                label = f"{name} -> {target}"
                fake = gamma.sel(effect=f"{name}_placebo -> {target}").values.ravel()
                real = gamma.sel(effect=label).values.ravel()
                rows.append(
                    placebo_verdict(check, name, target, fake, real, level, note, sizes[label])
                )
    for name, why in skipped.items():
        for target in chain.intervention(name).targets:
            rows.append(verdict_row(f"{name} -> {target}", NOT_RUN, f"not run: {why}."))
    table = pd.DataFrame(rows)
    return CheckResult(check, table, table)


def _fit_placebos(
    model: ChainModel, chain: Chain, placebos: dict[str, np.ndarray], fit: Mapping | None
) -> tuple[ChainModel, str]:
    design = model.design
    targets = {t for name in placebos for t in chain.intervention(name).targets}
    part = subchain(chain, targets)
    fakes = [placebo_intervention(chain.intervention(n), f"{n}_placebo") for n in placebos]
    extended = Chain(part.stages, part.links, (*part.interventions, *fakes))
    panel = with_rollouts(model.panel, {f"{n}_placebo": r for n, r in placebos.items()})
    priors = dict(model.priors)
    for fake in fakes:
        for target in fake.targets:
            sd = float(design.sds[design.stage_names.index(target)])
            priors[f"gamma[{fake.name} -> {target}]"] = Prior("Normal", mu=0.0, sigma=sd)
    return refit(model, extended, panel, priors, fit_settings(model, fit))


def placebo_verdict(
    check: str,
    name: str,
    target: str,
    fake: np.ndarray,
    real: np.ndarray,
    level: float,
    note: str,
    rope: float = 0.0,
) -> dict:
    """The verdict row of one placebo effect, from its draws and the real effect's.

    Passed when the placebo's ``level`` interval holds zero or reaches within
    ``±rope`` (the real effect's practical size, in the target's units);
    failed when the whole interval is beyond it.
    """
    tail = (1 - level) / 2
    lower, upper = np.quantile(fake, [tail, 1 - tail])
    estimate, effect = float(fake.mean()), float(real.mean())
    share = estimate / effect if effect else np.nan
    interval = f"{estimate:.3g} [{lower:.3g}, {upper:.3g}]"
    if lower <= 0 <= upper:
        status = PASSED
        message = f"placebo effect {interval} holds zero (real effect {effect:.3g})"
    elif -rope <= lower <= rope or -rope <= upper <= rope:
        status = PASSED
        message = (
            f"placebo effect {interval} excludes zero but reaches within the practical size "
            f"±{rope:.3g} ({share:.0%} of the real effect {effect:.3g}): too small to matter"
        )
    elif check == "placebo_in_time":
        status = FAILED
        message = (
            f"placebo effect {interval}, {share:.0%} of the real effect {effect:.3g}: the treated "
            "units were already changing before their start (a pre-trend, or wrong start dates); "
            "the effect is likely overstated"
        )
    else:
        status = FAILED
        message = (
            f"untreated units given the rollout moved by {interval} (real effect {effect:.3g}): "
            "the estimate picks up shocks of the rollout periods, not the intervention alone"
        )
    if note:
        message += f"; {note}"
    return verdict_row(
        f"{name} -> {target}",
        status,
        message + ".",
        placebo=estimate,
        lower=float(lower),
        upper=float(upper),
        effect=effect,
    )

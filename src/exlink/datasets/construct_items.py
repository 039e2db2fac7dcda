"""Constructs of a generated panel: several survey items around each construct's true value."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from exlink._names import unknown_name_message
from exlink.spec import Chain, Construct

CONSTRUCT_KEYS = ("items", "loadings", "intercepts", "noise_sd")


def measure_by_items(
    frame: pd.DataFrame,
    constructs: Mapping[str, Mapping[str, Any]],
    chain: Chain,
    rng: np.random.Generator,
) -> tuple[Chain, dict[str, dict[str, Any]], pd.DataFrame | None]:
    """Replace each construct's column by its items, in place.

    Item ``k`` of a construct with true values ``eta`` is
    ``intercepts[k] + loadings[k] * eta + Normal(0, noise_sd[k])``; the first
    item is the marker (loading 1, intercept 0). Returns the chain with
    those stages made :class:`~exlink.spec.Construct`, the settings filled
    in (the truth of the measurement model) and the true construct values.
    """
    for name in constructs:
        if name not in chain.stage_names:
            raise ValueError(unknown_name_message("stage", name, chain.stage_names))
    if not constructs:
        return chain, {}, None
    true_values = frame[list(constructs)].copy()
    settings = {name: _settings(name, given) for name, given in constructs.items()}
    for name, spec in settings.items():
        eta = frame[name].to_numpy()
        for item, lam, nu, sd in zip(
            spec["items"], spec["loadings"], spec["intercepts"], spec["noise_sd"], strict=True
        ):
            frame[item] = nu + lam * eta + sd * rng.standard_normal(len(frame))
        del frame[name]
    stages = [
        Construct(s.name, settings[s.name]["items"], s.role, description=s.description)
        if s.name in settings
        else s
        for s in chain.stages
    ]
    return Chain(stages, chain.links, chain.interventions), settings, true_values


def _settings(name: str, given: Mapping[str, Any]) -> dict[str, Any]:
    for key in given:
        if key not in CONSTRUCT_KEYS:
            raise ValueError(
                unknown_name_message(f"setting of construct {name!r}", key, CONSTRUCT_KEYS)
            )
    loadings = _numbers(given.get("loadings", (1.0, 0.8, 1.2, 0.9)), name, "loadings")
    n = len(loadings)
    items = list(given.get("items", [f"{name}_q{k + 1}" for k in range(n)]))
    intercepts = _numbers(given.get("intercepts", [0.0] * n), name, "intercepts")
    noise = given.get("noise_sd", 2.0)
    noise = [float(noise)] * n if np.isscalar(noise) else _numbers(noise, name, "noise_sd")
    if not len(items) == len(intercepts) == len(noise) == n:
        raise ValueError(
            f"constructs[{name!r}]: items, loadings, intercepts and noise_sd must have one entry "
            f"per item; got {len(items)}, {n}, {len(intercepts)} and {len(noise)}."
        )
    if loadings[0] != 1.0 or intercepts[0] != 0.0:
        raise ValueError(
            f"constructs[{name!r}]: the first item is the marker, with loading 1 and intercept "
            f"0 (the construct is on its scale); got {loadings[0]} and {intercepts[0]}."
        )
    if min(noise) <= 0:
        raise ValueError(f"constructs[{name!r}]: every noise_sd must be > 0, got {noise}.")
    return {"items": items, "loadings": loadings, "intercepts": intercepts, "noise_sd": noise}


def _numbers(values: Sequence[float], name: str, key: str) -> list[float]:
    try:
        return [float(v) for v in values]
    except (TypeError, ValueError):
        raise TypeError(f"constructs[{name!r}][{key!r}] must be a list of numbers.") from None

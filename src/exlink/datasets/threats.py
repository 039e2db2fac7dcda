"""Threats to causal identification, built into generated data on purpose.

Each threat makes a panel on which a naive reading of the chain is wrong, so
that the checks of :mod:`exlink.checks` can be shown to catch it:

- a **pre-trend**: treated units were already improving before their rollout
  started (for example the best-run branches were picked first);
- a **confounder**: a slowly moving unit-level factor (a good manager) that
  lifts several stages at once, so they move together without one causing
  the other;
- **feedback**: a link running against the chain, such as happy customers
  making happy staff a period later.

Pre-trends and confounders enter as disturbances of the stages they touch (and
so pass down the chain's links); feedback links become part of the truth and
of its :meth:`~exlink.datasets.truth.ChainTruth.expected_effect`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from exlink._names import unknown_name_message
from exlink.datasets.truth import LinkTruth, StageTruth
from exlink.spec import Chain

PRETREND_PERIODS = 6
"""Periods over which a pre-trend builds up before a unit's rollout starts."""

EXAMPLES: dict[str, dict[str, Any]] = {
    "clean": {},
    "pretrend": {"pretrend": {"coaching": {"engagement": 4.0}}},
    "confounder": {
        "links": {"engagement -> nps": 0.0},
        "confounder": {"loadings": {"engagement": 3.0, "nps": 4.0}, "persistence": 0.9},
    },
    "feedback": {
        "links": {"engagement -> nps": 0.0},
        "feedback": {"nps -> engagement (lag 1)": 0.5},
    },
}
"""Settings of :func:`~exlink.datasets.make_service_chain` for its default chain: a clean
panel, and one with each threat (coaching's units improving before their start; a factor
lifting engagement and NPS with no engagement -> NPS effect; NPS driving engagement a
period later with no engagement -> NPS effect). ``make_service_chain(**EXAMPLES[name])``."""

_LABEL = re.compile(r"^\s*(?P<source>[^\s].*?)\s*->\s*(?P<target>.*?)\s*\(lag (?P<lag>\d+)\)\s*$")


def pretrend_drift(rollout: np.ndarray, size: float, periods: int = PRETREND_PERIODS) -> np.ndarray:
    """A rise of ``size`` that builds up over ``periods`` before each unit's first rollout.

    Parameters
    ----------
    rollout
        Shape ``(units, periods)``.
    size
        The rise reached at the start, kept afterwards, in stage units.
    periods
        Length of the build-up.

    Returns
    -------
    numpy.ndarray
        The drift, shape ``(units, periods)``; zero for never-treated units.

    Examples
    --------
    >>> pretrend_drift(np.array([[0, 0, 0, 0, 1, 1.0]]), 2.0, periods=2)
    array([[0., 0., 0., 1., 2., 2.]])
    """
    drift = np.zeros(rollout.shape)
    t = np.arange(rollout.shape[1])
    for u, row in enumerate(rollout):
        started = np.flatnonzero(row > 0)
        if len(started):
            drift[u] = size * np.clip((t - (started[0] - periods)) / periods, 0.0, 1.0)
    return drift


def confounder_path(
    rng: np.random.Generator, n_units: int, n_periods: int, persistence: float
) -> np.ndarray:
    """A unit-level factor that moves slowly: AR(1) with unit stationary variance.

    Returns
    -------
    numpy.ndarray
        Shape ``(units, periods)``.
    """
    if not 0 <= persistence < 1:
        raise ValueError(f"confounder persistence must be in [0, 1), got {persistence}.")
    path = np.zeros((n_units, n_periods))
    path[:, 0] = rng.standard_normal(n_units)
    innovation_sd = np.sqrt(1 - persistence**2)
    for t in range(1, n_periods):
        path[:, t] = persistence * path[:, t - 1] + innovation_sd * rng.standard_normal(n_units)
    return path


def confounder_loadings(chain: Chain, confounder: Mapping[str, Any]) -> tuple[dict, float]:
    """Check a confounder's settings: ``{"loadings": {stage: size}, "persistence": p}``."""
    for key in confounder:
        if key not in ("loadings", "persistence"):
            raise ValueError(
                unknown_name_message("confounder setting", key, ["loadings", "persistence"])
            )
    loadings = dict(confounder.get("loadings", {}))
    if not loadings:
        raise ValueError(
            "a confounder needs loadings: the stages it lifts and by how much, "
            "such as {'loadings': {'engagement': 3.0, 'nps': 4.0}}."
        )
    for stage in loadings:
        if stage not in chain.stage_names:
            raise ValueError(
                "confounder: " + unknown_name_message("stage", stage, chain.stage_names)
            )
    return {k: float(v) for k, v in loadings.items()}, float(confounder.get("persistence", 0.9))


def feedback_links(
    chain: Chain, stages: Mapping[str, StageTruth], feedback: Mapping[str, float]
) -> tuple[LinkTruth, ...]:
    """Linear links outside the chain, from labels such as ``"nps -> engagement (lag 1)"``.

    The lag must be at least 1: a stage cannot respond in the same period to
    one that it feeds. The link is centred on the source's level, like the
    chain's own linear links.
    """
    out = []
    for label, coef in feedback.items():
        match = _LABEL.match(label)
        if not match or int(match["lag"]) < 1:
            raise ValueError(
                f"feedback link {label!r}: write it as 'source -> target (lag 1)', "
                "with a lag of at least 1."
            )
        source, target = match["source"], match["target"]
        for stage in (source, target):
            if stage not in chain.stage_names:
                raise ValueError(
                    f"feedback link {label!r}: "
                    + unknown_name_message("stage", stage, chain.stage_names)
                )
        out.append(
            LinkTruth(
                source,
                target,
                int(match["lag"]),
                "linear",
                coef=float(coef),
                reference=stages[source].intercept,
                scale=1.0,
            )
        )
    return tuple(out)

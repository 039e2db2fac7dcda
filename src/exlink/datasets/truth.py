"""The known truth behind generated data, and how it propagates.

A :class:`ChainTruth` holds every parameter the generator used and can replay
the chain without noise, which gives the true expected effect of any rollout
path on every stage. The mechanics here are the generator's own: the fitted
models implement theirs separately, so that recovery tests compare two
independent implementations of the same mathematics.

For stage ``j``, unit ``u``, period ``t``::

    mu[j,u,t] = intercept[j] + unit_effect[j,u] + period_effect[j,t]
                + sum over links p -> j   (coef + moderation * z[u]) * f(y[p,u,t-lag])
                + sum over interventions k (effect[k,j] + moderation[k,j] * z[u]) * e[k,u,t]
    y[j,u,t] = mu[j,u,t] + noise_sd[j] * eps,  eps ~ Normal(0, 1) or Student-t(nu)

with ``z[u]`` the unit's moderator, standardised as ``(x - center) / scale``, and
the link forms (slope 1 at ``reference`` for linear and saturating, 1/2 for
threshold, whose slope rises from 0 well below to 1 well above it)::

    linear      f(x) = x - reference
    saturating  f(x) = scale * tanh((x - reference) / scale)
    threshold   f(x) = scale * log(1 + exp((x - reference) / scale))

Exposure ``e`` follows the rollout ``r`` (share or intensity) by partial
adjustment: ``e[t] = e[t-1] + rate * (r[t] - e[t-1])``, at ``ramp_rate`` while it
rises and at ``fade_rate`` while it falls, starting from 0.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from exlink._names import unknown_name_message
from exlink.dims import HORIZON
from exlink.spec import Chain
from exlink.transforms import link_form

STEADY_STATE_PERIODS = 200
"""Noise-free periods run before a path so that lagged stages reach their steady level."""


@dataclass(frozen=True)
class StageTruth:
    """Level and variation of one stage."""

    intercept: float
    unit_sd: float
    period_sd: float
    noise_sd: float
    nu: float | None = None
    """Degrees of freedom of Student-t noise, ``None`` for normal noise."""


@dataclass(frozen=True)
class LinkTruth:
    """The true effect of one link."""

    source: str
    target: str
    lag: int
    form: str
    coef: float
    reference: float
    scale: float
    moderator: str | None = None
    moderation: float = 0.0

    @property
    def label(self) -> str:
        """The link as ``'a -> b'`` or ``'a -> b (lag 1)'``."""
        return f"{self.source} -> {self.target}" + (f" (lag {self.lag})" if self.lag else "")

    def average_slope(self, low: float, high: float) -> float:
        """The link's average effect per unit of the source between two source levels.

        This is what a fitted model reports as a curved link's coefficient when
        ``low`` and ``high`` bound the central range of the source's observed
        values (see :data:`exlink.transforms.CENTRAL_RANGE`); for a linear link
        it is ``coef``. Moderation is at its centre.
        """
        if not high > low:
            raise ValueError(f"average_slope needs low < high, got {low} and {high}.")
        rise = link_form(self.form, np.array([low, high]), self.reference, self.scale)
        return float(self.coef * (rise[1] - rise[0]) / (high - low))


@dataclass(frozen=True)
class InterventionTruth:
    """The true effect, adoption and fade of one intervention."""

    name: str
    effects: dict[str, float]
    ramp_rate: float
    fade_rate: float
    moderator: str | None = None
    moderation: dict[str, float] = field(default_factory=dict)


@dataclass
class ChainTruth:
    """Every parameter behind a generated panel.

    Attributes
    ----------
    chain
        The chain's structure.
    stages
        Stage name -> :class:`StageTruth`.
    links
        One :class:`LinkTruth` per link of the chain, in the chain's order.
    interventions
        Intervention name -> :class:`InterventionTruth`.
    standardisation
        Moderator attribute -> ``(center, scale)`` used to standardise it.
    unit_effects
        Unit x stage deviations of each unit's level.
    period_effects
        Period x stage common shocks.
    attributes
        Unit x attribute table of the moderators' raw values.
    feedback
        Unmodelled links running against the chain (for example CX driving
        EX a period later): they shape the data, but no model of the chain
        contains them. Empty for a clean chain.
    threats
        The threats to causal identification built into the data (pre-trends,
        confounders, feedback), as the generator was told them; empty for a
        clean panel.
    """

    chain: Chain
    stages: dict[str, StageTruth]
    links: tuple[LinkTruth, ...]
    interventions: dict[str, InterventionTruth]
    standardisation: dict[str, tuple[float, float]]
    unit_effects: pd.DataFrame
    period_effects: pd.DataFrame
    attributes: pd.DataFrame
    feedback: tuple[LinkTruth, ...] = ()
    threats: dict[str, Any] = field(default_factory=dict)

    # -- tables -------------------------------------------------------------------
    def coefficients(self) -> pd.DataFrame:
        """Every true effect as a tidy table.

        Returns
        -------
        pandas.DataFrame
            Columns ``kind`` (``"link"`` or ``"intervention"``), ``source``,
            ``target``, ``lag``, ``form``, ``value`` (the effect at an average
            unit) and ``moderation`` (its change per standard deviation of the
            moderator).
        """
        rows = [
            {
                "kind": "link",
                "source": lk.source,
                "target": lk.target,
                "lag": lk.lag,
                "form": lk.form,
                "value": lk.coef,
                "moderation": lk.moderation,
            }
            for lk in self.links
        ]
        rows += [
            {
                "kind": "intervention",
                "source": k.name,
                "target": target,
                "lag": 0,
                "form": "exposure",
                "value": value,
                "moderation": k.moderation.get(target, 0.0),
            }
            for k in self.interventions.values()
            for target, value in k.effects.items()
        ]
        return pd.DataFrame(rows)

    # -- mechanics -----------------------------------------------------------------
    def exposure(self, intervention: str, rollout: np.ndarray) -> np.ndarray:
        """Effective exposure of an intervention given its rollout over periods.

        Parameters
        ----------
        intervention
            Its name.
        rollout
            Rollout levels with periods on the last axis.
        """
        k = self._intervention(intervention)
        rollout = np.asarray(rollout, dtype=float)
        exposure = np.zeros_like(rollout)
        previous = np.zeros(rollout.shape[:-1])
        for t in range(rollout.shape[-1]):
            target = rollout[..., t]
            rate = np.where(target >= previous, k.ramp_rate, k.fade_rate)
            previous = previous + rate * (target - previous)
            exposure[..., t] = previous
        return exposure

    def propagate(
        self,
        rollouts: Mapping[str, np.ndarray],
        *,
        unit_effects: np.ndarray,
        period_effects: np.ndarray,
        moderators: Mapping[str, np.ndarray],
        noise: np.ndarray | None = None,
    ) -> np.ndarray:
        """Run the chain forward period by period.

        Parameters
        ----------
        rollouts
            Intervention name -> rollout, shape ``(units, periods)``; absent
            interventions are not rolled out.
        unit_effects
            Shape ``(stages, units)``.
        period_effects
            Shape ``(stages, periods)``.
        moderators
            Attribute -> standardised values, shape ``(units,)``.
        noise
            Shape ``(stages, units, periods)`` in stage units, or ``None`` for
            the noise-free expected path.

        Returns
        -------
        numpy.ndarray
            Stage values, shape ``(stages, units, periods)``, in the chain's
            stage order.
        """
        names = self.chain.stage_names
        n_units, n_periods = unit_effects.shape[1], period_effects.shape[1]
        exposures = {name: self.exposure(name, r) for name, r in rollouts.items()}
        y = np.zeros((len(names), n_units, n_periods))
        index = {name: i for i, name in enumerate(names)}
        for t in range(n_periods):
            for name in self.chain.topological_order():
                j = index[name]
                mu = self.stages[name].intercept + unit_effects[j] + period_effects[j, t]
                for lk in self.links:
                    if lk.target == name:
                        source = y[index[lk.source], :, max(t - lk.lag, 0)]
                        mu = mu + self._slope(lk.coef, lk.moderator, lk.moderation, moderators) * (
                            _form(lk, source)
                        )
                for lk in self.feedback:
                    if lk.target == name and t >= lk.lag:
                        source = y[index[lk.source], :, t - lk.lag]
                        mu = mu + lk.coef * _form(lk, source)
                for k_name, exposure in exposures.items():
                    k = self.interventions[k_name]
                    if name in k.effects:
                        slope = self._slope(
                            k.effects[name], k.moderator, k.moderation.get(name, 0.0), moderators
                        )
                        mu = mu + slope * exposure[:, t]
                y[j, :, t] = mu if noise is None else mu + noise[j, :, t]
        return y

    def expected_effect(
        self,
        paths: Mapping[str, Any],
        *,
        unit: object = None,
        history: Mapping[str, Any] | None = None,
    ) -> pd.DataFrame:
        """The true expected effect of rollout paths on every stage, period by period.

        The chain runs without noise to its steady state, then once with the
        given rollouts and once without; the difference is the effect. It is
        exact for linear links and the plug-in effect (at the expected path)
        for saturating and threshold links.

        Parameters
        ----------
        paths
            Intervention name -> rollout level for each period after the start
            (all paths the same length, the horizon); a scalar is not enough,
            use for example ``np.ones(24)`` for a permanent full rollout.
        unit
            A unit label, for its own level and moderators, or ``None`` for an
            average unit (no unit effect, moderators at their centre).
        history
            Intervention name -> its rollout levels before the horizon (all
            the same length). The effect is then against the status quo: the
            same history, each rollout held at its last level over the horizon.

        Returns
        -------
        pandas.DataFrame
            Index ``horizon`` (0 = the first period of the rollout), one column
            per stage, in stage units.
        """
        lengths = {len(np.atleast_1d(p)) for p in paths.values()}
        if len(lengths) != 1:
            raise ValueError("every path must cover the same number of periods (the horizon).")
        horizon = lengths.pop()
        for name in paths:
            self._intervention(name)
        unit_effects, moderators = self._unit_profile(unit)
        history = {name: np.asarray(h, float) for name, h in (history or {}).items()}
        past = len(next(iter(history.values()))) if history else 0
        if any(len(h) != past for h in history.values()):
            raise ValueError("every history must cover the same number of periods.")
        for name in history:
            self._intervention(name)
        lead = STEADY_STATE_PERIODS + past
        quiet = np.zeros((len(self.chain.stage_names), lead + horizon))

        def run(rollouts: Mapping[str, np.ndarray]) -> np.ndarray:
            return self.propagate(
                rollouts, unit_effects=unit_effects, period_effects=quiet, moderators=moderators
            )[:, 0, lead:]

        def before(name: str) -> np.ndarray:
            return np.concatenate(
                [np.zeros(STEADY_STATE_PERIODS), history.get(name, np.zeros(past))]
            )

        def held(name: str) -> np.ndarray:
            last = history[name][-1] if name in history and past else 0.0
            return np.full(horizon, last)

        names = set(paths) | set(history)
        changed = {
            name: np.concatenate([before(name), np.asarray(paths[name], float)])[None, :]
            if name in paths
            else np.concatenate([before(name), held(name)])[None, :]
            for name in names
        }
        status_quo = {name: np.concatenate([before(name), held(name)])[None, :] for name in names}
        effect = run(changed) - run(status_quo)
        index = pd.RangeIndex(horizon, name=HORIZON)
        return pd.DataFrame(effect.T, index=index, columns=list(self.chain.stage_names))

    def long_run_effect(
        self, intervention: str, *, level: float = 1.0, unit: object = None
    ) -> pd.Series:
        """The effect of a permanent rollout at ``level`` once every lag has played out."""
        path = np.full(STEADY_STATE_PERIODS, float(level))
        return self.expected_effect({intervention: path}, unit=unit).iloc[-1].rename(intervention)

    def _unit_profile(self, unit: object) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        names = list(self.chain.stage_names)
        if unit is None:
            return np.zeros((len(names), 1)), {m: np.zeros(1) for m in self.standardisation}
        if unit not in self.unit_effects.index:
            raise KeyError(unknown_name_message("unit", unit, self.unit_effects.index))
        effects = self.unit_effects.loc[unit, names].to_numpy(float)[:, None]
        return effects, self.standardised(self.attributes.loc[[unit]])

    def standardised(self, attributes: pd.DataFrame) -> dict[str, np.ndarray]:
        """Moderators of the given units, standardised as the generator did."""
        return {
            name: (attributes[name].to_numpy(float) - center) / scale
            for name, (center, scale) in self.standardisation.items()
        }

    def _slope(
        self, base: float, moderator: str | None, moderation: float, z: Mapping[str, np.ndarray]
    ) -> np.ndarray | float:
        return base + moderation * z[moderator] if moderator else base

    def _intervention(self, name: str) -> InterventionTruth:
        if name not in self.interventions:
            raise KeyError(unknown_name_message("intervention", name, self.interventions))
        return self.interventions[name]

    # -- serialisation -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Every parameter as plain lists, dicts and numbers."""
        return {
            "chain": self.chain.to_dict(),
            "stages": {name: asdict(s) for name, s in self.stages.items()},
            "links": [asdict(lk) for lk in self.links],
            "interventions": {name: asdict(k) for name, k in self.interventions.items()},
            "standardisation": {k: list(v) for k, v in self.standardisation.items()},
            "unit_effects": _table_to_dict(self.unit_effects),
            "period_effects": _table_to_dict(self.period_effects),
            "attributes": _table_to_dict(self.attributes),
            "feedback": [asdict(lk) for lk in self.feedback],
            "threats": self.threats,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChainTruth:
        """Rebuild a truth written by :meth:`to_dict`."""
        return cls(
            chain=Chain.from_dict(data["chain"]),
            stages={name: StageTruth(**s) for name, s in data["stages"].items()},
            links=tuple(LinkTruth(**lk) for lk in data["links"]),
            interventions={
                name: InterventionTruth(**k) for name, k in data["interventions"].items()
            },
            standardisation={
                k: (float(v[0]), float(v[1])) for k, v in data["standardisation"].items()
            },
            unit_effects=_table_from_dict(data["unit_effects"]),
            period_effects=_table_from_dict(data["period_effects"]),
            attributes=_table_from_dict(data["attributes"]),
            feedback=tuple(LinkTruth(**lk) for lk in data.get("feedback", [])),
            threats=dict(data.get("threats", {})),
        )

    def to_json(self) -> str:
        """The truth as JSON text."""
        return json.dumps(self.to_dict(), indent=1)

    @classmethod
    def from_json(cls, text: str) -> ChainTruth:
        """Rebuild a truth from JSON text."""
        return cls.from_dict(json.loads(text))


def _form(link: LinkTruth, x: np.ndarray) -> np.ndarray:
    return link_form(link.form, x, link.reference, link.scale)


def _table_to_dict(table: pd.DataFrame) -> dict[str, Any]:
    index = table.index
    labels = (
        [str(x.date()) for x in index] if isinstance(index, pd.DatetimeIndex) else index.tolist()
    )
    return {
        "index": labels,
        "index_name": index.name,
        "dates": isinstance(index, pd.DatetimeIndex),
        "columns": {c: table[c].tolist() for c in table.columns},
    }


def _table_from_dict(data: Mapping[str, Any]) -> pd.DataFrame:
    labels = data["index"]
    index = pd.DatetimeIndex(labels) if data["dates"] else pd.Index(labels)
    return pd.DataFrame(data["columns"], index=index.rename(data["index_name"]))

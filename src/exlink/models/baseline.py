"""A two-way fixed-effects path model with statsmodels: a quick look and an independent check.

Each stage with incoming links or interventions is regressed by OLS on its
lagged sources and on the interventions' exposures, with unit and period
fixed effects, and standard errors clustered by unit. Links enter linearly
(a saturating or threshold link gets its average slope); an intervention's
exposure uses the adoption rate, from a grid, that fits its target stages
best; a separate fade is not estimated. Rows with a missing stage or source
value are left out of that stage's regression, and counted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from exlink._names import unknown_name_message
from exlink.data import Panel
from exlink.models.design import ChainDesign
from exlink.models.fixed_effects import shifted, two_way_ols
from exlink.rollouts import borrowed_rollout, early_rollout, relative_periods
from exlink.spec import Chain
from exlink.transforms import ramped_exposure

RAMP_GRID = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


class BaselineModel:
    """Two-way fixed-effects estimates of every link and intervention effect.

    Parameters
    ----------
    chain
        The structure.

    Examples
    --------
    >>> import exlink as xl
    >>> from exlink.models.baseline import BaselineModel
    >>> sim = xl.datasets.make_service_chain(n_units=60, n_periods=20, seed=2)
    >>> table = BaselineModel(sim.chain).fit(sim.panel()).effects()
    >>> table.query("kind == 'link'")[["source", "target"]].iloc[0].tolist()
    ['engagement', 'nps']
    """

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.results: dict[str, sm.regression.linear_model.RegressionResultsWrapper] = {}
        self.ramps: dict[str, float] = {}
        self._design: ChainDesign | None = None

    def fit(self, panel: Panel) -> BaselineModel:
        """Estimate every stage's regression; returns ``self``."""
        design = ChainDesign(self.chain, panel)
        self._design = design
        self.ramps = {k.name: 1.0 for k in self.chain.interventions}
        ramped = [k.name for k in self.chain.interventions if k.ramp]
        for _ in range(2 if ramped else 1):
            for name in ramped:
                self.ramps[name] = max(RAMP_GRID, key=lambda r, n=name: self._fit_quality(n, r))
        self.results = {
            design.stage_names[j]: self._regress(j)
            for j in range(len(design.stage_names))
            if self._terms(j)
        }
        return self

    def effects(self, level: float = 0.9) -> pd.DataFrame:
        """Estimates on the original scale of the stages.

        Parameters
        ----------
        level
            Confidence level of the intervals.

        Returns
        -------
        pandas.DataFrame
            One row per link and intervention effect (and moderation): ``kind``,
            ``source``, ``target``, ``lag``, ``estimate``, ``se``, ``lower``,
            ``upper``, ``p_value``, ``n_obs`` and ``ramp`` (the adoption rate
            used, for interventions).
        """
        if not self.results:
            raise RuntimeError(
                "the baseline is not fitted yet: call BaselineModel(chain).fit(panel)."
            )
        z = stats.norm.ppf(0.5 + level / 2)
        rows = []
        for stage, result in self.results.items():
            for name, (kind, source, target, lag) in self._labels(stage).items():
                estimate, se = float(result.params[name]), float(result.bse[name])
                rows.append(
                    {
                        "kind": kind,
                        "source": source,
                        "target": target,
                        "lag": lag,
                        "estimate": estimate,
                        "se": se,
                        "lower": estimate - z * se,
                        "upper": estimate + z * se,
                        "p_value": float(result.pvalues[name]),
                        "n_obs": int(result.nobs),
                        "ramp": self.ramps.get(source, np.nan)
                        if kind == "intervention"
                        else np.nan,
                    }
                )
        return pd.DataFrame(rows)

    def event_study(
        self, intervention: str, *, leads: int = 4, lags: int = 8, level: float = 0.9
    ) -> pd.DataFrame:
        """Two-way fixed-effects event study of an intervention on each of its targets.

        The intervention's exposure is replaced by indicators of each period
        relative to a unit's start (``-leads`` to ``lags``, the ends binned,
        period -1 the reference); the other regressors stay.

        Parameters
        ----------
        intervention
            A historical intervention of the chain.
        leads, lags
            Periods before and after the start to estimate.
        level
            Confidence level of the intervals.

        Returns
        -------
        pandas.DataFrame
            One row per target and relative period: ``target``,
            ``relative_period``, ``estimate``, ``se``, ``lower``, ``upper``,
            ``p_value`` and ``pretrend_p_value`` (the joint test that every
            lead is zero, the same on each of a target's rows).
        """
        k, design = self._intervention_index(intervention), self._design
        relative = relative_periods(np.nan_to_num(design.rollouts[k]))
        binned = np.clip(relative, -leads, lags)
        z = stats.norm.ppf(0.5 + level / 2)
        rows = []
        for term in [e for e in design.effects if e.intervention == k]:
            columns = {
                name: v
                for name, v in self._columns(term.target).items()
                if name != f"effect:{term.label}"
            }
            steps = [m for m in range(-leads, lags + 1) if m != -1 and (binned == m).any()]
            for m in steps:
                columns[f"event:{m}"] = np.where(binned == m, 1.0, 0.0)
            result = two_way_ols(design.y[term.target] * design.sds[term.target], columns)
            lead_names = [f"event:{m}" for m in steps if m < -1]
            pretrend = _joint_p_value(result, lead_names)
            for m in [*steps, -1]:
                name = f"event:{m}"
                estimate = float(result.params[name]) if m != -1 else 0.0
                se = float(result.bse[name]) if m != -1 else 0.0
                rows.append(
                    {
                        "target": design.stage_names[term.target],
                        "relative_period": m,
                        "estimate": estimate,
                        "se": se,
                        "lower": estimate - z * se,
                        "upper": estimate + z * se,
                        "p_value": float(result.pvalues[name]) if m != -1 else np.nan,
                        "pretrend_p_value": pretrend,
                    }
                )
        table = pd.DataFrame(rows).sort_values(["target", "relative_period"])
        return table.reset_index(drop=True)

    def placebo(
        self,
        intervention: str,
        kind: str = "time",
        *,
        shift: int = 4,
        seed: int = 0,
        level: float = 0.9,
    ) -> pd.DataFrame:
        """Fixed-effects estimate of a placebo rollout added beside the real one.

        Parameters
        ----------
        intervention
            A historical intervention of the chain.
        kind
            ``"time"`` (on for the ``shift`` periods before each real start)
            or ``"space"`` (the treated units' schedules given to
            never-treated units); see :mod:`exlink.checks.placebo`.
        shift
            The placebo window of ``kind="time"``.
        seed
            The random assignment of ``kind="space"``.
        level
            Confidence level of the intervals.

        Returns
        -------
        pandas.DataFrame
            One row per target: ``target``, ``estimate``, ``se``, ``lower``,
            ``upper``, ``p_value``; a placebo should hold zero.
        """
        k, design = self._intervention_index(intervention), self._design
        rollout = np.nan_to_num(design.rollouts[k])
        if kind == "time":
            fake = early_rollout(rollout, shift)
        elif kind == "space":
            fake = borrowed_rollout(rollout, seed)
        else:
            raise ValueError(f"placebo kind must be 'time' or 'space', got {kind!r}.")
        z = stats.norm.ppf(0.5 + level / 2)
        rows = []
        for term in [e for e in design.effects if e.intervention == k]:
            columns = self._columns(term.target) | {"placebo": fake}
            result = two_way_ols(design.y[term.target] * design.sds[term.target], columns)
            estimate, se = float(result.params["placebo"]), float(result.bse["placebo"])
            rows.append(
                {
                    "target": design.stage_names[term.target],
                    "estimate": estimate,
                    "se": se,
                    "lower": estimate - z * se,
                    "upper": estimate + z * se,
                    "p_value": float(result.pvalues["placebo"]),
                }
            )
        return pd.DataFrame(rows)

    # -- internals ---------------------------------------------------------------------
    def _intervention_index(self, intervention: str) -> int:
        if self._design is None:
            raise RuntimeError(
                "the baseline is not fitted yet: call BaselineModel(chain).fit(panel)."
            )
        if intervention not in self._design.intervention_names:
            raise ValueError(
                unknown_name_message("intervention", intervention, self._design.intervention_names)
            )
        return self._design.intervention_names.index(intervention)

    def _terms(self, j: int) -> list:
        design = self._design
        return [t for t in (*design.links, *design.effects) if t.target == j]

    def _columns(self, j: int) -> dict[str, np.ndarray]:
        """Regressors of stage ``j`` on the original scale, shape ``(units, periods)`` each."""
        design = self._design
        raw = design.original_values()
        columns = {}
        for term in design.links:
            if term.target != j:
                continue
            lagged = shifted(raw[term.source], term.lag)
            columns[f"link:{term.label}"] = lagged
            if term.moderator:
                columns[f"mod:{term.label}"] = lagged * design.moderators[term.moderator].z[:, None]
        for term in design.effects:
            if term.target != j:
                continue
            name = design.intervention_names[term.intervention]
            rate = self.ramps[name]
            e = ramped_exposure(design.rollouts[term.intervention], rate, rate)
            columns[f"effect:{term.label}"] = e
            if term.moderator:
                columns[f"mod:{term.label}"] = e * design.moderators[term.moderator].z[:, None]
        return columns

    def _regress(self, j: int):
        design = self._design
        return two_way_ols(design.to_original(j, design.y[j]), self._columns(j))

    def _fit_quality(self, intervention: str, rate: float) -> float:
        previous = self.ramps[intervention]
        self.ramps[intervention] = rate
        k = self._design.intervention_names.index(intervention)
        targets = {e.target for e in self._design.effects if e.intervention == k}
        quality = sum(self._regress(j).rsquared for j in targets)
        self.ramps[intervention] = previous
        return quality

    def _labels(self, stage: str) -> dict[str, tuple[str, str, str, int]]:
        """Column name -> ``(kind, source, target, lag)``, as in ChainModel.effects()."""
        j = self._design.stage_names.index(stage)
        terms = {t.label: t for t in (*self._design.links, *self._design.effects)}
        out = {}
        for name in self._columns(j):
            kind, label = name.split(":", 1)
            term = terms[label]
            source = label.split(" -> ", 1)[0]
            lag = getattr(term, "lag", 0)
            if kind == "link":
                out[name] = ("link", source, stage, lag)
            elif kind == "effect":
                out[name] = ("intervention", source, stage, 0)
            else:
                out[name] = ("moderation", term.moderator, label, lag)
        return out


def _joint_p_value(result, names: list[str]) -> float:
    """p-value of the joint Wald test that the named coefficients are all zero."""
    if not names:
        return np.nan
    index = list(result.params.index)
    restriction = np.zeros((len(names), len(index)))
    for row, name in enumerate(names):
        restriction[row, index.index(name)] = 1.0
    return float(result.wald_test(restriction, scalar=True).pvalue)

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

from exlink.data import Panel
from exlink.models.design import ChainDesign
from exlink.spec import Chain
from exlink.transforms import exposure

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

    # -- internals ---------------------------------------------------------------------
    def _terms(self, j: int) -> list:
        design = self._design
        return [t for t in (*design.links, *design.effects) if t.target == j]

    def _columns(self, j: int) -> dict[str, np.ndarray]:
        """Regressors of stage ``j`` on the original scale, shape ``(units, periods)`` each."""
        design = self._design
        raw = design.y * design.sds[:, None, None] + design.means[:, None, None]
        columns = {}
        for term in design.links:
            if term.target != j:
                continue
            source = raw[term.source]
            shifted = np.full_like(source, np.nan)
            shifted[:, term.lag :] = source[:, : source.shape[1] - term.lag]
            columns[f"link:{term.label}"] = shifted
            if term.moderator:
                columns[f"mod:{term.label}"] = (
                    shifted * design.moderators[term.moderator][2][:, None]
                )
        for term in design.effects:
            if term.target != j:
                continue
            name = design.intervention_names[term.intervention]
            rate = self.ramps[name]
            e = exposure(design.rollouts[term.intervention], rate, rate)
            columns[f"effect:{term.label}"] = e
            if term.moderator:
                columns[f"mod:{term.label}"] = e * design.moderators[term.moderator][2][:, None]
        return columns

    def _regress(self, j: int):
        design = self._design
        y = design.y[j] * design.sds[j] + design.means[j]
        columns = self._columns(j)
        units = np.repeat(np.arange(design.shape[0]), design.shape[1])
        periods = np.tile(np.arange(design.shape[1]), design.shape[0])
        frame = pd.DataFrame({name: v.ravel() for name, v in columns.items()})
        keep = np.isfinite(y.ravel()) & frame.notna().all(axis=1).to_numpy()
        fixed = pd.concat(
            [
                pd.get_dummies(
                    pd.Categorical(units[keep]), prefix="u", drop_first=True, dtype=float
                ),
                pd.get_dummies(
                    pd.Categorical(periods[keep]), prefix="t", drop_first=True, dtype=float
                ),
            ],
            axis=1,
        )
        exog = pd.concat([frame[keep].reset_index(drop=True), fixed], axis=1)
        exog.insert(0, "const", 1.0)
        model = sm.OLS(y.ravel()[keep], exog)
        return model.fit(cov_type="cluster", cov_kwds={"groups": units[keep]})

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

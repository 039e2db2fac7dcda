"""Convergence diagnostics with a plain verdict."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from exlink.dims import (
    BETA,
    CHAIN,
    DRAW,
    EFFECT_MODERATION,
    GAMMA,
    LATENT_PREFIX,
    LINK_MODERATION,
    SAMPLE_DIMS,
    standardised,
)
from exlink.models.design import ChainDesign
from exlink.models.identification import identification_warnings
from exlink.models.mcmc_stats import convergence_stats
from exlink.models.reliability import reliability_table

MAX_RHAT = 1.01
MIN_ESS = 400
EFFECT_PARAMETERS = (
    BETA,
    GAMMA,
    LINK_MODERATION,
    EFFECT_MODERATION,
    standardised("ramp"),
    standardised("fade"),
    standardised("reference"),
    standardised("curvature"),
)
"""The effects themselves, on the scale money is computed from."""


class ConvergenceWarning(UserWarning):
    """The sampler did not converge well enough to trust the effects."""


class ConvergenceError(ValueError):
    """A money answer was asked of a model that has not converged.

    Refit as the message advises, or pass ``allow_unconverged=True``
    (``--allow-unconverged`` on the command line) to compute it anyway; such
    results are marked as computed on an unconverged model.
    """


class IdentificationWarning(UserWarning):
    """The data cannot carry some effect: it is the prior's, or rests on a few units or lags."""


@dataclass
class Diagnostics:
    """R-hat, effective sample size and divergences of every sampled quantity, with a verdict.

    The standard of Vehtari et al. (2021) is applied to every free parameter
    and every deterministic of the posterior (effects, spreads, unit and
    period effects, imputed values): R-hat <= 1.01, bulk and tail ESS >= 400,
    and no divergent transition.

    Attributes
    ----------
    table
        One row per element of every sampled quantity: ``parameter``,
        ``element``, ``r_hat``, ``ess_bulk``, ``ess_tail``. Quantities that do
        not vary over the draws (R-hat undefined) are left out.
    divergences
        Divergent transitions after tuning (``None`` if the sampler did not
        report them).
    chains, draws
        Chains and kept draws per chain.
    problems
        What is wrong, in words; empty when the model converged.
    identification
        Effects the data cannot carry (close to their prior, resting on a
        few units, a lag not told from its neighbours), in words; see
        :mod:`exlink.models.identification`. They do not stop convergence,
        but a decision resting on such an effect rests on assumptions.
    reliability
        Per survey stage, the share of its movement within units that is
        signal (:func:`~exlink.models.reliability.reliability_table`);
        ``None`` without survey stages.
    """

    table: pd.DataFrame
    divergences: int | None
    chains: int
    draws: int
    problems: list[str] = field(default_factory=list)
    identification: list[str] = field(default_factory=list)
    reliability: pd.DataFrame | None = None

    @property
    def converged(self) -> bool:
        """True when every sampled quantity meets the standard and nothing diverged."""
        return not self.problems

    def by_group(self) -> pd.DataFrame:
        """The worst element of each sampled quantity: one row per parameter, worst first.

        Columns ``parameter``, ``elements``, ``worst_element`` (largest R-hat),
        ``r_hat`` (largest), ``ess_bulk`` and ``ess_tail`` (smallest) and
        ``failing`` (elements outside the standard).
        """
        columns = ["parameter", "elements", "worst_element", "r_hat", "ess_bulk", "ess_tail"]
        if not len(self.table):
            return pd.DataFrame(columns=[*columns, "failing"])
        table = self.table.assign(failing=_failing(self.table))
        rows = []
        for name, group in table.groupby("parameter", sort=False):
            worst = group.loc[group["r_hat"].fillna(-np.inf).idxmax()]
            rows.append(
                {
                    "parameter": name,
                    "elements": len(group),
                    "worst_element": worst["element"],
                    "r_hat": group["r_hat"].max(),
                    "ess_bulk": group["ess_bulk"].min(),
                    "ess_tail": group["ess_tail"].min(),
                    "failing": int(group["failing"].sum()),
                }
            )
        out = pd.DataFrame(rows)
        return out.sort_values(["r_hat", "ess_bulk"], ascending=[False, True]).reset_index(
            drop=True
        )

    def headline(self) -> str:
        """One paragraph: the verdict and what to try."""
        if self.converged:
            return (
                f"Converged: {self.chains} chains x {self.draws} draws; every sampled quantity "
                f"has R-hat <= {MAX_RHAT} and bulk and tail ESS >= {MIN_ESS}; no divergences."
            )
        return (
            "Not converged, do not use these effects for decisions yet: "
            + "; ".join(self.problems)
            + ". Try: "
            + self.advice()
        )

    def advice(self) -> str:
        """What to try, given the problems found."""
        tips = []
        if self.chains < 2:
            tips.append("sample at least 2 chains (4 is better)")
        if self.divergences:
            tips.append("fit(..., target_accept=0.95), or tighter priors on the spreads")
        if _failing(self.table).any():
            tips.append("more tuning and draws (fit(tune=2000, draws=2000))")
            tips.append("check effects with wide intervals: they may not be identified")
        return "; ".join(tips) or "more draws"

    def identification_note(self) -> str:
        """The identification warnings as one paragraph, empty when there are none."""
        if not self.identification:
            return ""
        return "Identification: " + "; ".join(self.identification) + "."

    def __repr__(self) -> str:
        worst = self.by_group().head(6)
        note = self.identification_note()
        surveys = ""
        if self.reliability is not None and len(self.reliability):
            surveys = (
                "\nSurvey reliability (signal share within units): "
                + ", ".join(
                    f"{stage} {row['reliability']:.2f}"
                    for stage, row in self.reliability.iterrows()
                )
                + ".\n"
            )
        return (
            f"{self.headline()}\n"
            + (f"\n{note}\n" if note else "")
            + surveys
            + "\nWorst element of each quantity:\n"
            + worst.to_string(
                index=False, float_format=lambda v: f"{v:.3f}" if abs(v) < 10 else f"{v:.0f}"
            )
        )


def require_convergence(health: Diagnostics, what: str, allow_unconverged: bool) -> None:
    """Refuse ``what`` on an unconverged model unless allowed; warn when allowed.

    Raises
    ------
    ConvergenceError
        The model failed the health check and ``allow_unconverged`` is false.

    Warns
    -----
    ConvergenceWarning
        The model failed the health check and ``allow_unconverged`` is true.
    """
    if health.converged:
        return
    reason = "; ".join(health.problems)
    if not allow_unconverged:
        raise ConvergenceError(
            f"{what} refused: the model has not converged ({reason}). Refit; try: "
            f"{health.advice()}. To compute it anyway, marked as unconverged, pass "
            "allow_unconverged=True (on the command line: --allow-unconverged)."
        )
    warnings.warn(
        f"{what} on a model that has not converged ({reason}); the results are marked "
        "as unconverged and should not drive decisions.",
        ConvergenceWarning,
        stacklevel=3,
    )


LATENT_GROUP = "latent_diagnostics"
"""Group holding the per-element diagnostics of latent values whose draws were not kept."""


def latent_diagnostics(posterior: xr.Dataset) -> xr.Dataset:
    """Per-element R-hat and ESS of every latent value, as a small dataset of rows.

    A saved model keeps these instead of the latent values' draws (one per
    unit, period and draw), so that its diagnostics still judge them.
    """
    names = [n for n in posterior.data_vars if str(n).startswith(LATENT_PREFIX)]
    table = _table(posterior[names])
    return xr.Dataset(
        {
            c: ("row", table[c].to_numpy(dtype=str if c in ("parameter", "element") else float))
            for c in table.columns
        }
    )


def diagnose(idata: xr.DataTree, design: ChainDesign | None = None) -> Diagnostics:
    """Judge convergence of every sampled quantity of a posterior, and its identification.

    Parameters
    ----------
    idata
        The fitted model's draws.
    design
        The model's design; without it, identification is not judged.
    """
    posterior = idata.posterior.to_dataset()
    chains, draws = posterior.sizes[CHAIN], posterior.sizes[DRAW]
    table = _table(posterior)
    if LATENT_GROUP in idata.children:
        kept = idata[LATENT_GROUP].to_dataset().to_dataframe().reset_index(drop=True)
        table = pd.concat([table, kept[table.columns]], ignore_index=True)
    divergences = None
    if "sample_stats" in idata.children and "diverging" in idata.sample_stats:
        divergences = int(idata.sample_stats["diverging"].sum())
    problems = []
    if chains < 2:
        problems.append("one chain cannot show convergence")
    for criterion, bad, column, worst in (
        (f"R-hat above {MAX_RHAT}", table["r_hat"] > MAX_RHAT, "r_hat", "highest"),
        (f"bulk ESS below {MIN_ESS}", table["ess_bulk"] < MIN_ESS, "ess_bulk", "lowest"),
        (f"tail ESS below {MIN_ESS}", table["ess_tail"] < MIN_ESS, "ess_tail", "lowest"),
    ):
        if bad.any():
            problems.append(_problem(criterion, table[bad], column, worst))
    if divergences:
        problems.append(f"{divergences} divergent transitions")
    reliability = None
    if design is not None and design.surveys:
        reliability = reliability_table(design, posterior)
    identification = (
        identification_warnings(design, idata, reliability) if design is not None else []
    )
    return Diagnostics(table, divergences, chains, draws, problems, identification, reliability)


TABLE_COLUMNS = ["parameter", "element", "r_hat", "ess_bulk", "ess_tail"]


def _table(posterior: xr.Dataset) -> pd.DataFrame:
    """One row per element of every quantity that varies over the draws, all judged at once."""
    labels, blocks = [], []
    for name in posterior.data_vars:
        named, draws = _elements(str(name), posterior[name])
        labels.extend(named)
        blocks.append(draws)
    if not labels:
        return pd.DataFrame(columns=TABLE_COLUMNS)
    stats = convergence_stats(np.concatenate(blocks, axis=-1))
    parameter, element = zip(*labels, strict=True)
    return pd.DataFrame({"parameter": parameter, "element": element, **stats})


def _elements(name: str, values: xr.DataArray) -> tuple[list[tuple[str, str]], np.ndarray]:
    """The labels ``(quantity, element)`` and draws ``(chain, draw, element)`` that vary."""
    element_dims = [d for d in values.dims if d not in SAMPLE_DIMS]
    stacked = values.stack(element=element_dims) if element_dims else values.expand_dims("element")
    stacked = stacked.transpose(*SAMPLE_DIMS, "element")
    draws = stacked.values.astype(float)
    if draws.size == 0:
        return [], draws
    varies = np.ptp(draws.reshape(-1, draws.shape[-1]), axis=0) > 0
    kept = np.flatnonzero(varies)
    if element_dims:
        labels = [(name, _label(v)) for v in stacked["element"].values[kept]]
    else:
        labels = [(name, name)] * len(kept)
    return labels, draws[:, :, kept]


def _label(value) -> str:
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _failing(table: pd.DataFrame) -> pd.Series:
    return (
        (table["r_hat"] > MAX_RHAT) | (table["ess_bulk"] < MIN_ESS) | (table["ess_tail"] < MIN_ESS)
    )


def _problem(criterion: str, rows: pd.DataFrame, column: str, worst: str) -> str:
    """One short phrase: how many elements of how many quantities fail, and the worst."""
    pick = rows[column].idxmax() if worst == "highest" else rows[column].idxmin()
    parameter, element, value = rows.loc[pick, ["parameter", "element", column]]
    label = f"{parameter}[{element}]" if parameter != element else parameter
    shown = f"{value:.3f}" if column == "r_hat" else f"{value:.0f}"
    n, k = len(rows), rows["parameter"].nunique()
    where = f"{n} element{'s' * (n > 1)} of {k} quantit{'ies' if k > 1 else 'y'}"
    return f"{criterion} in {where} ({worst} {label}: {shown})"

"""Convergence diagnostics with a plain verdict."""

from __future__ import annotations

from dataclasses import dataclass, field

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from exlink.models.design import ChainDesign
from exlink.models.identification import identification_warnings

MAX_RHAT = 1.01
MIN_ESS = 400
EFFECT_PARAMETERS = (
    "beta",
    "gamma",
    "link_moderation",
    "effect_moderation",
    "ramp_std",
    "fade_std",
    "reference_std",
    "curvature_std",
)
"""Parameters whose convergence a money decision depends on."""


class ConvergenceWarning(UserWarning):
    """The sampler did not converge well enough to trust the effects."""


class IdentificationWarning(UserWarning):
    """The data cannot carry some effect: it is the prior's, or rests on a few units or lags."""


@dataclass
class Diagnostics:
    """R-hat, effective sample size and divergences, with a verdict.

    Attributes
    ----------
    table
        One row per effect parameter element: ``parameter``, ``element``,
        ``r_hat``, ``ess_bulk``, ``ess_tail``.
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
    """

    table: pd.DataFrame
    divergences: int | None
    chains: int
    draws: int
    problems: list[str] = field(default_factory=list)
    identification: list[str] = field(default_factory=list)

    @property
    def converged(self) -> bool:
        """True when R-hat <= 1.01, bulk ESS >= 400 on every effect, and no divergence."""
        return not self.problems

    def headline(self) -> str:
        """One paragraph: the verdict and what to try."""
        if self.converged:
            return (
                f"Converged: {self.chains} chains x {self.draws} draws, R-hat <= {MAX_RHAT}, "
                f"bulk ESS >= {MIN_ESS} on every effect, no divergences."
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
        if (self.table["r_hat"] > MAX_RHAT).any() or (self.table["ess_bulk"] < MIN_ESS).any():
            tips.append("more tuning and draws (fit(tune=2000, draws=2000))")
            tips.append("check effects with wide intervals: they may not be identified")
        return "; ".join(tips) or "more draws"

    def identification_note(self) -> str:
        """The identification warnings as one paragraph, empty when there are none."""
        if not self.identification:
            return ""
        return "Identification: " + "; ".join(self.identification) + "."

    def __repr__(self) -> str:
        worst = self.table.sort_values("r_hat", ascending=False).head(5)
        note = self.identification_note()
        return (
            f"{self.headline()}\n"
            + (f"\n{note}\n" if note else "")
            + "\nWorst R-hat:\n"
            + worst.to_string(index=False, float_format=lambda v: f"{v:.3f}")
        )


def diagnose(idata: xr.DataTree, design: ChainDesign | None = None) -> Diagnostics:
    """Judge convergence of a fitted chain model's posterior, and its identification.

    Parameters
    ----------
    idata
        The fitted model's draws.
    design
        The model's design; without it, identification is not judged.
    """
    posterior = idata.posterior.to_dataset()
    names = [n for n in EFFECT_PARAMETERS if n in posterior]
    chains, draws = posterior.sizes["chain"], posterior.sizes["draw"]
    rows = []
    for name in names:
        values = posterior[name]
        dim = next((d for d in values.dims if d not in ("chain", "draw")), None)
        r_hat = (
            az.rhat(values) if chains > 1 else xr.full_like(values.isel(chain=0, draw=0), np.nan)
        )
        bulk = az.ess(values, method="bulk")
        tail = az.ess(values, method="tail")
        labels = values[dim].values.tolist() if dim else [name]
        for i, label in enumerate(labels):
            pick = {dim: i} if dim else {}
            rows.append(
                {
                    "parameter": name,
                    "element": label,
                    "r_hat": float(r_hat.isel(pick)),
                    "ess_bulk": float(bulk.isel(pick)),
                    "ess_tail": float(tail.isel(pick)),
                }
            )
    table = pd.DataFrame(rows, columns=["parameter", "element", "r_hat", "ess_bulk", "ess_tail"])
    divergences = None
    if "sample_stats" in idata.children and "diverging" in idata.sample_stats:
        divergences = int(idata.sample_stats["diverging"].sum())
    problems = []
    if chains < 2:
        problems.append("one chain cannot show convergence")
    bad_rhat = table[table["r_hat"] > MAX_RHAT]
    if len(bad_rhat):
        problems.append(f"R-hat above {MAX_RHAT} for {_names(bad_rhat)}")
    low_ess = table[table["ess_bulk"] < MIN_ESS]
    if len(low_ess):
        problems.append(f"bulk ESS below {MIN_ESS} for {_names(low_ess)}")
    if divergences:
        problems.append(f"{divergences} divergent transitions")
    identification = identification_warnings(design, idata) if design is not None else []
    return Diagnostics(table, divergences, chains, draws, problems, identification)


def _names(rows: pd.DataFrame, most: int = 4) -> str:
    labels = [
        f"{p}[{e}]" if p != e else p
        for p, e in zip(rows["parameter"], rows["element"], strict=True)
    ]
    return ", ".join(labels[:most]) + (
        f" and {len(labels) - most} more" if len(labels) > most else ""
    )

"""How well each construct's items measure it: loadings, reliability, average variance extracted.

For item ``k`` of a construct with true values ``eta`` (SD ``sd_eta`` across
its units and periods), loading ``lam[k]`` and residual SD ``theta[k]`` on the
items' own scales, per posterior draw:

- the **standardised loading** is the correlation of the item with the
  construct, ``lam * sd_eta / sqrt(lam**2 * sd_eta**2 + theta**2)`` (lavaan's
  ``std.all``);
- the **composite reliability** (omega) of the construct is
  ``(sum std)**2 / ((sum std)**2 + sum (1 - std**2))``, the share of the
  variance of the items' standardised sum that is the construct;
- the **average variance extracted** (AVE) is the mean of ``std**2``, the
  share of its items' variance the construct explains.

An item whose standardised loading is below :data:`WEAK_LOADING`, a construct
whose omega is below :data:`LOW_OMEGA` or whose AVE is below :data:`LOW_AVE`
gets a warning (the usual rules of thumb of the SEM literature), as do items
whose covariance the model does not reproduce (:mod:`exlink.models.item_fit`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from exlink.dims import (
    ITEM,
    ITEM_INTERCEPT,
    ITEM_SD,
    LOADED_ITEM,
    LOADING,
    SAMPLE_DIMS,
    construct_sd_name,
)
from exlink.models.design import ChainDesign
from exlink.models.item_fit import ItemFit, item_fit

WEAK_LOADING = 0.5
"""Standardised loading below which an item measures its construct weakly."""
LOW_OMEGA = 0.7
"""Composite reliability below which a construct is unreliable."""
LOW_AVE = 0.5
"""Average variance extracted below which the items hold more noise than construct."""


@dataclass(frozen=True)
class Measurement:
    """The measurement model of every construct.

    Attributes
    ----------
    items
        One row per item: its construct, whether it is the marker, its
        loading, intercept (the item's value where the construct is 0) and
        residual SD on the items' own scales, and its standardised loading,
        each with the posterior mean and interval; ``weak`` flags a
        standardised loading below :data:`WEAK_LOADING`.
    constructs
        One row per construct: items, the construct's SD, composite
        reliability (omega) and AVE with intervals, and ``unreliable``.
    warnings
        Plain sentences on weak items, unreliable constructs and items whose
        covariance departs from the model.
    fit
        The posterior predictive check of the items' covariance
        (:class:`~exlink.models.item_fit.ItemFit`), or None where fewer cells
        than items have every item observed.
    """

    items: pd.DataFrame
    constructs: pd.DataFrame
    warnings: tuple[str, ...]
    fit: ItemFit | None = None

    def __repr__(self) -> str:
        with pd.option_context("display.width", 120, "display.max_columns", 20):
            text = f"Items\n{self.items.round(3)}\n\nConstructs\n{self.constructs.round(3)}"
        if self.fit is not None:
            text += f"\n\nItem covariance check: {self.fit.sentence()}."
        if self.warnings:
            text += "\n\n" + "\n".join(f"Warning: {w}" for w in self.warnings)
        return text


def measurement_table(
    design: ChainDesign, posterior: xr.Dataset, hdi_prob: float = 0.9
) -> Measurement:
    """Summarise every construct's measurement model from a posterior.

    Parameters
    ----------
    design
        The model's design.
    posterior
        The fitted model's posterior.
    hdi_prob
        Probability of the equal-tailed intervals.
    """
    if not design.constructs:
        raise ValueError(
            "the chain has no constructs: measurement() describes stages measured by several "
            "items (exlink.Construct)."
        )
    if not 0 < hdi_prob < 1:
        raise ValueError(f"hdi_prob must be between 0 and 1, got {hdi_prob}.")
    tails = ((1 - hdi_prob) / 2, (1 + hdi_prob) / 2)
    item_rows, construct_rows, warnings = [], [], []
    for name, term in design.constructs.items():
        sd_eta = _draws(posterior[construct_sd_name(name)])
        standardised = []
        for k, item in enumerate(term.items):
            theta = _draws(posterior[ITEM_SD].sel({ITEM: item}))
            if k == 0:
                lam = np.ones_like(theta)
                intercept = np.zeros_like(theta)
            else:
                lam = _draws(posterior[LOADING].sel({LOADED_ITEM: item}))
                level = _draws(posterior[ITEM_INTERCEPT].sel({LOADED_ITEM: item}))
                intercept = level - lam * design.constructs[name].means[0]
            std = lam * sd_eta / np.sqrt(lam**2 * sd_eta**2 + theta**2)
            standardised.append(std)
            row = {"construct": name, "item": item, "marker": k == 0}
            for label, values in (
                ("loading", lam),
                ("intercept", intercept),
                ("item_sd", theta),
                ("std_loading", std),
            ):
                row |= _summary(
                    label, values, tails, fixed=k == 0 and label in ("loading", "intercept")
                )
            row["weak"] = bool(row["std_loading"] < WEAK_LOADING)
            if row["weak"]:
                warnings.append(
                    f"item {item!r} measures {name!r} weakly (standardised loading "
                    f"{row['std_loading']:.2f} < {WEAK_LOADING}): consider dropping or rewording it"
                )
            item_rows.append(row)
        std = np.stack(standardised)
        total = std.sum(axis=0) ** 2
        omega = total / (total + (1 - std**2).sum(axis=0))
        ave = (std**2).mean(axis=0)
        row = {"construct": name, "items": len(term.items)}
        row |= _summary("construct_sd", sd_eta, tails)
        row |= _summary("omega", omega, tails)
        row |= _summary("ave", ave, tails)
        row["unreliable"] = bool(row["omega"] < LOW_OMEGA or row["ave"] < LOW_AVE)
        if row["unreliable"]:
            warnings.append(
                f"construct {name!r} is measured unreliably (omega {row['omega']:.2f}, AVE "
                f"{row['ave']:.2f}; aim for omega >= {LOW_OMEGA} and AVE >= {LOW_AVE}): links "
                "out of it are estimated with little precision"
            )
        construct_rows.append(row)
    fit = item_fit(design, posterior)
    if fit is not None and not fit.fits:
        warnings.append(fit.sentence())
    return Measurement(
        pd.DataFrame(item_rows).set_index(["construct", "item"]),
        pd.DataFrame(construct_rows).set_index("construct"),
        tuple(warnings),
        fit,
    )


def _draws(values: xr.DataArray) -> np.ndarray:
    return values.stack(sample=SAMPLE_DIMS).values


def _summary(label: str, values: np.ndarray, tails, fixed: bool = False) -> dict[str, float]:
    """Posterior mean and interval of one quantity; a fixed one has no interval."""
    mean = float(values.mean())
    if fixed:
        return {label: mean, f"{label}_lower": mean, f"{label}_upper": mean}
    lower, upper = np.quantile(values, tails)
    return {label: mean, f"{label}_lower": float(lower), f"{label}_upper": float(upper)}

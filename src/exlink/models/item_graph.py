"""Constructs in the graph: each item a noisy reading of its construct's true values.

On the standardised scales (see :mod:`exlink.models.constructs`), in every
cell where item ``k`` of a construct with true values ``eta`` is observed::

    item[k] ~ Normal(nu[k] + lam[k] * eta, theta[k])

with ``nu = 0`` and ``lam = 1`` for the construct's marker (its first item).
``eta``'s prior is the construct's own equation (links, interventions, unit
and period effects), so the items inform the construct and the construct its
targets. A missing item value leaves that item out of that cell. An item
that is itself a survey mean of ``n`` responses adds its sampling variance
``s**2 / n`` (``sampling`` of :class:`~exlink.models.constructs.ConstructTerm`)
to ``theta[k]**2`` in each cell: both sources of error are in the model.

Together a cell's items read ``eta`` as one normal measurement, with
precision ``w = sum lam[k]**2 / theta[k]**2`` and value
``sum lam[k] * (item[k] - nu[k]) / theta[k]**2 / w``; ``eta`` is sampled
given that reading (:func:`~exlink.models.latent.conditional_values`), which
keeps its draws nearly independent of the loadings and noise whether the
items are precise or not. A construct's SD across its cells is kept per draw
(``construct_sd``) for standardised loadings and effects, and the constructs'
covariance matrix (``construct_cov``) for the check of the items' covariance
(:mod:`exlink.models.item_fit`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from exlink.dims import (
    CONSTRUCT,
    CONSTRUCT_COV,
    CONSTRUCT_OTHER,
    ITEM,
    ITEM_INTERCEPT,
    ITEM_SD,
    LOADED_ITEM,
    LOADING,
    construct_sd_name,
)
from exlink.models.design import ChainDesign


@dataclass(frozen=True)
class ItemParameters:
    """The standardised measurement parameters of every item.

    Attributes
    ----------
    loading, intercept
        Dim ``loaded_item`` (every item but the markers).
    noise
        Residual SDs, dim ``item``.
    """

    loading: pt.TensorVariable
    intercept: pt.TensorVariable
    noise: pt.TensorVariable


def item_reading(
    design: ChainDesign, name: str, params: ItemParameters
) -> tuple[pt.TensorVariable, pt.TensorVariable]:
    """A construct's items combined into one reading of it: ``(value, precision)`` per cell."""
    term = design.constructs[name]
    total = pt.zeros(design.shape)
    precision = pt.zeros(design.shape)
    for k, item in enumerate(term.items):
        lam, nu, theta = _item(design, item, params)
        present = np.where(np.isnan(term.y[k]), 0.0, 1.0)
        y = np.nan_to_num(term.y[k])
        noise = theta**2 + term.sampling[k]
        precision = precision + present * lam**2 / noise
        total = total + present * lam * (y - nu) / noise
    safe = pt.where(precision > 0, precision, 1.0)
    return pt.where(precision > 0, total / safe, 0.0), precision


def item_likelihood(
    design: ChainDesign, values: dict[int, pt.TensorVariable], params: ItemParameters
) -> None:
    """Add every construct's items to the model, with their original-scale deterministics.

    ``values`` maps a stage's position to its values, shape ``(units, periods)``;
    a construct's are its true values.
    """
    for name, term in design.constructs.items():
        j = design.stage_names.index(name)
        eta = values[j].ravel()
        for k, item in enumerate(term.items):
            lam, nu, theta = _item(design, item, params)
            observed = term.y[k].ravel()
            cells = np.flatnonzero(~np.isnan(observed))
            sampling = term.sampling[k].ravel()[cells]
            pm.Normal(
                f"y[{item}]",
                mu=nu + lam * eta[cells],
                sigma=pt.sqrt(theta**2 + sampling) if sampling.any() else theta,
                observed=observed[cells],
                shape=len(cells),
            )
        pm.Deterministic(construct_sd_name(name), pt.std(values[j]) * design.sds[j])
    stacked = pt.stack(
        [values[design.stage_names.index(name)].ravel() for name in design.constructs]
    )
    centred = stacked - stacked.mean(axis=1, keepdims=True)
    scales = np.array([design.sds[design.stage_names.index(n)] for n in design.constructs])
    covariance = centred @ centred.T / (design.shape[0] * design.shape[1] - 1)
    pm.Deterministic(
        CONSTRUCT_COV, covariance * np.outer(scales, scales), dims=(CONSTRUCT, CONSTRUCT_OTHER)
    )
    terms = list(design.constructs.values())
    means = np.concatenate([t.means[1:] for t in terms])
    sds = np.concatenate([t.sds[1:] for t in terms])
    factor = np.concatenate([t.loading_factor()[1:] for t in terms])
    pm.Deterministic(LOADING, params.loading * factor, dims=LOADED_ITEM)
    pm.Deterministic(ITEM_INTERCEPT, means + sds * params.intercept, dims=LOADED_ITEM)
    every_sd = np.concatenate([t.sds for t in terms])
    pm.Deterministic(ITEM_SD, params.noise * every_sd, dims=ITEM)


def _item(design: ChainDesign, item: str, params: ItemParameters) -> tuple:
    """``(loading, intercept, noise)`` of one item; the marker's are ``(1, 0, noise)``."""
    terms = design.constructs.values()
    every = [name for term in terms for name in term.items]
    loaded = [name for term in terms for name in term.items[1:]]
    theta = params.noise[every.index(item)]
    if item not in loaded:
        return 1.0, 0.0, theta
    k = loaded.index(item)
    return params.loading[k], params.intercept[k], theta

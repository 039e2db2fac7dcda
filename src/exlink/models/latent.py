"""Survey stages in the graph: true values apart from the sampling error of their means.

A survey stage's observed value is the mean of ``n`` responses whose
variance is ``s**2``, all on the stage's standardised scale::

    ybar[u,t] ~ Normal(x[u,t], s[u,t] / sqrt(n[u,t]))
    x[u,t]    ~ Normal(mu[u,t], sigma)          (the stage's own equation)

``x`` is the stage's true value. Where the stage is the source of a link, ``x``
(not ``ybar``) feeds the link, so the link is not attenuated by the sampling
error. Where everything ``x`` touches is linear and Gaussian it is integrated
out exactly (:mod:`exlink.models.integration`, :mod:`exlink.models.survey_filter`);
otherwise it is sampled, in a conditional parametrisation
that makes its draws nearly independent of the rest of the model whatever the
share of noise: with ``w = n / s**2`` the measurement's precision (0 where the
stage has no value) and ``(m0, s0)`` the equation's mean and spread (its
expected value from the stages built before it and ``sigma``; ``(0, 1)`` in
leading periods the equation does not cover)::

    x = c + d * z,   z ~ Normal(0, 1),
    d = 1 / sqrt(1 / s0**2 + w),   c = d**2 * (m0 / s0**2 + w * ybar)

The transformation is exact: a Potential carries the equation's density of
``x`` and the Jacobian ``log d`` and takes back the placeholder prior of ``z``.
Where the stage feeds no link, ``x`` is integrated out exactly:
``ybar ~ Normal(mu, sqrt(sigma**2 + s**2 / n))``.

Without an SD column, ``s`` is a parameter of the stage: ``response_sd_std``,
the sampling error of a value resting on the stage's median number of
responses, in the stage's standard deviations (so ``s**2 = response_sd_std**2
* median n``); the values' spread falling with ``n`` identifies it.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from exlink.dims import PERIOD, RESPONSE_SD, UNIT, latent_name
from exlink.models.design import ChainDesign

SURVEY_N = "survey_n"
"""Data name prefix of each survey stage's response counts (``survey_n[stage]``)."""
SURVEY_VARIANCE = "survey_variance"
"""Data name prefix of each survey stage's per-response variance, standardised."""


def measurement_weights(
    design: ChainDesign, coords: dict, response_sd: pt.TensorVariable | None
) -> dict[int, pt.TensorVariable]:
    """Per survey stage, the precision ``n / s**2`` of each value, 0 where it has none.

    ``response_sd`` holds ``response_sd_std`` of the stages in
    ``coords["survey_estimated"]``; its original-scale deterministic is added here.
    """
    estimated = coords["survey_estimated"]
    if estimated:
        factor = np.array(
            [
                design.sds[j] * np.sqrt(term.median_n)
                for j, term in design.surveys.items()
                if design.stage_names[j] in estimated
            ]
        )
        pm.Deterministic(RESPONSE_SD, response_sd * factor, dims="survey_estimated")
    out = {}
    for j, term in design.surveys.items():
        name = design.stage_names[j]
        known = np.isfinite(term.variance)
        n = pm.Data(f"{SURVEY_N}[{name}]", term.n, dims=(UNIT, PERIOD))
        variance = pm.Data(
            f"{SURVEY_VARIANCE}[{name}]", np.where(known, term.variance, 1.0), dims=(UNIT, PERIOD)
        )
        if not known[term.n > 0].all():
            r = response_sd[estimated.index(name)]
            variance = pt.where(known, variance, r**2 * term.median_n)
        out[j] = n / variance
    return out


def latent_values(
    design: ChainDesign, j: int, name: str, mu, sigma, values, weights
) -> pt.TensorVariable:
    """The true values of survey stage ``j``, sampled in the conditional parametrisation."""
    true = conditional_values(design, j, name, mu, sigma, values, weights)
    # The measurement: each value is a mean of responses around the true value.
    cells = design.observed_cells(j)
    observed = values.ravel()[cells]
    pm.Normal(
        f"y[{name}]",
        mu=true.ravel()[cells],
        sigma=1.0 / pt.sqrt(weights.ravel()[cells]),
        observed=observed,
        shape=len(cells),
    )
    return true


def conditional_values(
    design: ChainDesign, j: int, name: str, mu, sigma, values, weights
) -> pt.TensorVariable:
    """Stage ``j``'s true values ``c + d * z`` given a reading ``values`` of precision ``weights``.

    The measurement's own density is the caller's to add: a survey mean's, or
    a construct's items (whose combined reading and precision are ``values``
    and ``weights``).
    """
    modelled = design.modelled(j)
    prior_mean = pt.where(modelled, mu, 0.0)
    prior_var = pt.where(modelled, sigma**2, 1.0)
    precision = 1.0 / prior_var + weights
    scale = 1.0 / pt.sqrt(precision)
    centre = (prior_mean / prior_var + weights * values) / precision
    raw = pm.Normal(latent_name(name), 0.0, 1.0, dims=(UNIT, PERIOD))
    true = centre + scale * raw
    pm.Potential(
        f"latent_jacobian[{name}]",
        pt.log(scale).sum() - pm.logp(pm.Normal.dist(0.0, 1.0), raw).sum(),
    )
    return true


def latent_likelihood(design: ChainDesign, j: int, name: str, mu, sigma, nu, true) -> None:
    """The stage's equation as the density of its true values (``(0, 1)`` where unmodelled)."""
    modelled = design.modelled(j).ravel()
    inside, outside = np.flatnonzero(modelled), np.flatnonzero(~modelled)
    flat, mu_flat = true.ravel(), mu.ravel()
    if nu is None:
        dist = pm.Normal.dist(mu=mu_flat[inside], sigma=sigma)
    else:
        dist = pm.StudentT.dist(nu=nu, mu=mu_flat[inside], sigma=sigma)
    logp = pm.logp(dist, flat[inside]).sum()
    if len(outside):
        logp = logp + pm.logp(pm.Normal.dist(0.0, 1.0), flat[outside]).sum()
    pm.Potential(f"latent_equation[{name}]", logp)


FOLDED_FLOOR = 1e-12
"""Added to a folded input's variance (standardised scale): a zero slope keeps a gradient."""


def folded_input(design: ChainDesign, k: int, name: str, mean, variance) -> pt.TensorVariable:
    """The input of integrated stages to folded target ``k``, sampled given their group's values.

    ``u = mean + sqrt(variance) * z`` with ``z ~ Normal(0, 1)`` (named
    ``latent_raw[<stage> inputs]``) is a draw of ``Normal(mean, variance)``,
    the distribution of the sum of the group's links into ``k`` given every
    value of the group (:mod:`exlink.models.integration`): the placeholder
    prior of ``z`` is that density, exactly, so nothing else is added. ``0``
    where ``k``'s equation is not defined.
    """
    raw = pm.Normal(latent_name(f"{name} inputs"), 0.0, 1.0, dims=(UNIT, PERIOD))
    value = mean + pt.sqrt(variance + FOLDED_FLOOR) * raw
    return pt.where(design.modelled(k), value, 0.0)

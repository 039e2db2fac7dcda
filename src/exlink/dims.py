"""Names shared by every labelled array in exlink: dimensions and posterior variables.

Use these constants rather than string literals so that a renamed dimension
or variable is renamed everywhere at once. The model graph
(:mod:`exlink.models.graph`) writes the posterior under these names; every
reader (propagation, summaries, diagnostics, checks, simulation) reads them
from here.
"""

from __future__ import annotations

import xarray as xr

UNIT = "unit"
"""A business unit: a store, branch or contact-centre team."""

PERIOD = "period"
"""A time period: a month or a quarter."""

STAGE = "stage"
"""A measured quantity of the chain (engagement, NPS, revenue, ...)."""

INTERVENTION = "intervention"
"""An employee-experience investment, historical or candidate."""

SURVEY_COLUMN = "survey_column"
"""A column describing survey responses (counts, SDs, promoter shares)."""

LINK = "link"
"""A directed effect from one stage to another."""

HORIZON = "horizon"
"""Periods elapsed since an intervention or investment started."""

INVESTMENT = "investment"
"""A candidate investment in an ROI simulation."""

CHAIN = "chain"
"""An MCMC chain."""

DRAW = "draw"
"""An MCMC draw within a chain."""

SAMPLE = "sample"
"""A stacked (chain, draw) posterior sample."""

SAMPLE_DIMS = (CHAIN, DRAW)
"""The dimensions of a posterior sample, in order."""

# -- the model's element dimensions ------------------------------------------------------
EFFECT = "effect"
"""An intervention's direct effect on one target stage (``coaching -> engagement``)."""

NONLINEAR_LINK = "nonlinear_link"
"""A link with a saturating, threshold or registered curve."""

MODERATED_LINK = "moderated_link"
"""A link whose coefficient varies with a unit attribute."""

MODERATED_EFFECT = "moderated_effect"
"""An intervention effect that varies with a unit attribute."""

LEVER = "lever"
"""A pool of interventions that act through the same lever."""

RAMPED = "ramped"
"""An intervention whose effect builds up at a fitted rate."""

FADING = "fading"
"""An intervention whose effect fades at a fitted rate after it stops."""

ITEM = "item"
"""A survey item measuring a construct (every item, markers included)."""

LOADED_ITEM = "loaded_item"
"""An item whose loading is estimated: every item but its construct's marker."""

# -- posterior variables ------------------------------------------------------------------
BETA = "beta"
"""Link coefficients on the stages' own scale (target units per source unit), dim ``link``."""

GAMMA = "gamma"
"""Intervention effects on the target's own scale (for a full rollout), dim ``effect``."""

LINK_MODERATION = "link_moderation"
"""Change of a link's coefficient per SD of its moderator, own scale."""

EFFECT_MODERATION = "effect_moderation"
"""Change of an intervention effect per SD of its moderator, own scale."""

RESPONSE_SD = "response_sd"
"""The SD of one survey response, per survey stage whose SD is estimated."""

LOADING = "loading"
"""Items' loadings on their construct, own scales (item points per construct point), dim
``loaded_item``."""

ITEM_INTERCEPT = "item_intercept"
"""Items' levels where their construct is at its marker's mean, dim ``loaded_item``."""

ITEM_SD = "item_sd"
"""Items' residual SDs around their construct, own scale, dim ``item``."""

CONSTRUCT = "construct"
"""A stage measured by several items."""

CONSTRUCT_OTHER = "construct_other"
"""The second dimension of the constructs' covariance matrix."""

CONSTRUCT_COV = "construct_cov"
"""The covariance matrix of the constructs' true values across units and periods, own
scales, dims ``(construct, construct_other)``."""

CONSTRUCT_SD = "construct_sd"
"""Each construct's SD across its units and periods, own scale: ``construct_sd[<name>]``."""

LATENT_PREFIX = "latent_raw["
"""Survey stages' sampled true values (standardised, one per unit and period) are named
``latent_raw[<stage>]``."""


def latent_name(stage: str) -> str:
    """The posterior name of a survey stage's sampled true values."""
    return f"{LATENT_PREFIX}{stage}]"


def construct_sd_name(construct: str) -> str:
    """The posterior name of a construct's SD across its units and periods."""
    return f"{CONSTRUCT_SD}[{construct}]"


def standardised(group: str) -> str:
    """The posterior name of a parameter group on the standardised scale.

    Every prior group (``beta``, ``gamma``, ``ramp``, ``fade``, ``sigma``,
    ``lever_mean``, ``lever_sd``, ``reference``, ``curvature``, the
    moderations) is sampled on the scale of standardised stages and stored
    as ``<group>_std``; :data:`BETA` and :data:`GAMMA` (and the moderations)
    are also stored on the stages' own scale under the plain name.

    >>> standardised("beta")
    'beta_std'
    """
    return f"{group}_std"


def stack_samples[Labelled: (xr.DataArray, xr.Dataset)](data: Labelled) -> Labelled:
    """``(chain, draw, ...)`` stacked into one leading :data:`SAMPLE` dimension."""
    return data.stack({SAMPLE: SAMPLE_DIMS}).transpose(SAMPLE, ...)

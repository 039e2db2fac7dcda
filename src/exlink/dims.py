"""Dimension names shared by every labelled array in exlink.

Use these constants rather than string literals so that a renamed dimension
is renamed everywhere at once.
"""

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

"""Small chains for the tests whose cost is compiling a model, not what the model holds."""

import exlink as xl

TWO_STAGES = xl.Chain(
    stages=[xl.Stage("engagement", "ex"), xl.Stage("retention", "customer")],
    links=[xl.Link("engagement", "retention", lag=1)],
    interventions=[xl.Intervention("coaching", "engagement", lever="people")],
)
"""Two stages, a lagged link, one ramped intervention: the whole model in few operations."""

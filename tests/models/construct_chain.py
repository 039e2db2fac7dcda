"""The chain and item truths the construct tests share."""

from exlink.spec import Chain, Intervention, Link, Stage

CHAIN = Chain(
    stages=[Stage("engagement", "ex"), Stage("cx_quality", "cx"), Stage("revenue", "financial")],
    links=[Link("engagement", "cx_quality"), Link("cx_quality", "revenue", lag=1)],
    interventions=[Intervention("coaching", "engagement", lever="people")],
)
"""Engagement and CX quality become constructs when generated with :data:`ITEMS`."""

ITEMS = {
    "engagement": {"loadings": [1, 0.8, 1.2], "intercepts": [0, 10, -8], "noise_sd": 2.5},
    "cx_quality": {
        "items": ["personalisation", "integrity", "resolution", "empathy"],
        "loadings": [1, 0.7, 1.1, 0.9],
        "intercepts": [0, 20, -5, 8],
        "noise_sd": [3, 2, 3, 2.5],
    },
}
"""Each construct's items: loadings, intercepts and noise SDs (the first item the marker)."""

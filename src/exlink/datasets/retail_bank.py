"""The bundled retail-bank panel: 120 branches over 36 months, with its truth.

The data were made once by :func:`build_retail_bank` (seed
:data:`RETAIL_BANK_SEED`) and are shipped as package data, so that examples,
notebooks and tests share one realistic dataset. ``scripts/make_retail_bank.py``
rebuilds the files; a test checks that the shipped files still match the
generator.

Stages (all monthly, per branch)
--------------------------------
ex
    ``engagement`` and ``enablement`` (% favourable, pulse survey),
    ``attrition_rate`` (% of staff leaving per month).
cx
    ``nps`` (Net Promoter Score) and the six CX pillars, each an index out of
    100: ``personalisation``, ``integrity``, ``expectations``, ``resolution``,
    ``time_effort`` and ``empathy``. Survey measures miss about 2% of months.
customer
    ``retention`` (% of customers retained, annualised).
financial
    ``revenue`` and ``cost_to_serve`` (thousands per month).

Interventions (rollout share, 0 or 1)
-------------------------------------
``coaching`` (people)
    A coaching programme for branch managers, in three waves; lifts
    engagement and enablement.
``scheduling_tool`` (technology)
    A staff scheduling tool, in two waves; lifts enablement and lowers
    attrition.
``complaint_redesign`` (process)
    A complaint-handling redesign run for 15 months in three waves and then
    stopped; lifts resolution, and its effect fades once it stops.

Unit attributes: ``region``, ``culture`` (1 to 5; it strengthens the link from
engagement to empathy) and ``headcount``.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

from exlink.datasets.service_chain import ServiceChainData, make_service_chain
from exlink.datasets.truth import ChainTruth
from exlink.spec import Chain, Intervention, Link, Stage

RETAIL_BANK_SEED = 20240601
RETAIL_BANK_FILES = ("retail_bank.csv", "retail_bank_truth.json")
PILLARS = ("personalisation", "integrity", "expectations", "resolution", "time_effort", "empathy")

RETAIL_BANK_CHAIN = Chain(
    stages=[
        Stage("engagement", "ex", description="% favourable, monthly pulse survey"),
        Stage("enablement", "ex", description="% favourable, monthly pulse survey"),
        Stage("attrition_rate", "ex", description="% of branch staff leaving per month"),
        Stage("nps", "cx", likelihood="student_t", description="Net Promoter Score"),
        *[Stage(p, "cx", description="CX pillar index, 0 to 100") for p in PILLARS],
        Stage("retention", "customer", description="% of customers retained, annualised"),
        Stage("revenue", "financial", description="thousands per month"),
        Stage("cost_to_serve", "financial", description="thousands per month"),
    ],
    links=[
        Link("engagement", "engagement", lag=1),
        *[Link("engagement", p) for p in PILLARS if p != "empathy"],
        Link("engagement", "empathy", moderator="culture"),
        Link("enablement", "resolution"),
        Link("enablement", "time_effort", form="saturating"),
        *[Link(p, "nps") for p in PILLARS],
        Link("engagement", "attrition_rate", lag=1),
        Link("nps", "retention", lag=1, form="threshold"),
        Link("retention", "revenue", lag=1),
        Link("attrition_rate", "cost_to_serve", lag=1),
        Link("resolution", "cost_to_serve"),
    ],
    interventions=[
        Intervention(
            "coaching",
            ("engagement", "enablement"),
            lever="people",
            description="coaching programme for branch managers",
        ),
        Intervention(
            "scheduling_tool",
            ("enablement", "attrition_rate"),
            lever="technology",
            description="staff scheduling tool",
        ),
        Intervention(
            "complaint_redesign",
            "resolution",
            lever="process",
            fade=True,
            description="complaint-handling redesign",
        ),
    ],
)

_STAGES = {
    "engagement": {"intercept": 68.0, "unit_sd": 6.0, "period_sd": 1.0, "noise_sd": 2.5},
    "enablement": {"intercept": 64.0, "unit_sd": 6.0, "period_sd": 1.0, "noise_sd": 2.5},
    "attrition_rate": {"intercept": 1.6, "unit_sd": 0.3, "period_sd": 0.05, "noise_sd": 0.25},
    "nps": {"intercept": 30.0, "unit_sd": 8.0, "period_sd": 2.0, "noise_sd": 4.0, "nu": 6.0},
    "personalisation": {"intercept": 62.0, "unit_sd": 5.0, "period_sd": 1.0, "noise_sd": 2.5},
    "integrity": {"intercept": 75.0, "unit_sd": 4.0, "period_sd": 0.8, "noise_sd": 2.0},
    "expectations": {"intercept": 66.0, "unit_sd": 5.0, "period_sd": 1.0, "noise_sd": 2.5},
    "resolution": {"intercept": 60.0, "unit_sd": 6.0, "period_sd": 1.2, "noise_sd": 3.0},
    "time_effort": {"intercept": 58.0, "unit_sd": 6.0, "period_sd": 1.2, "noise_sd": 3.0},
    "empathy": {"intercept": 70.0, "unit_sd": 5.0, "period_sd": 1.0, "noise_sd": 2.5},
    "retention": {"intercept": 88.0, "unit_sd": 2.5, "period_sd": 0.4, "noise_sd": 0.8},
    "revenue": {"intercept": 420.0, "unit_sd": 60.0, "period_sd": 8.0, "noise_sd": 12.0},
    "cost_to_serve": {"intercept": 180.0, "unit_sd": 25.0, "period_sd": 4.0, "noise_sd": 6.0},
}
_LINKS = {
    "engagement -> engagement (lag 1)": {"coef": 0.3, "reference": 68.0},
    "engagement -> personalisation": 0.25,
    "engagement -> integrity": 0.15,
    "engagement -> expectations": 0.2,
    "engagement -> resolution": 0.2,
    "engagement -> time_effort": 0.1,
    "engagement -> empathy": {"coef": 0.35, "moderation": 0.1},
    "enablement -> resolution": 0.3,
    "enablement -> time_effort": {"coef": 0.35, "scale": 8.0},
    "personalisation -> nps": 0.2,
    "integrity -> nps": 0.15,
    "expectations -> nps": 0.1,
    "resolution -> nps": 0.35,
    "time_effort -> nps": 0.2,
    "empathy -> nps": 0.25,
    "engagement -> attrition_rate (lag 1)": -0.02,
    "nps -> retention (lag 1)": {"coef": 0.12, "reference": 32.0, "scale": 5.0},
    "retention -> revenue (lag 1)": 6.0,
    "attrition_rate -> cost_to_serve (lag 1)": 8.0,
    "resolution -> cost_to_serve": -0.4,
}
_INTERVENTIONS = {
    "coaching": {"effects": {"engagement": 3.0, "enablement": 1.5}, "ramp_rate": 0.3},
    "scheduling_tool": {"effects": {"enablement": 4.0, "attrition_rate": -0.15}, "ramp_rate": 0.5},
    "complaint_redesign": {"effects": {"resolution": 4.0}, "ramp_rate": 0.4, "fade_rate": 0.2},
}
_ROLLOUTS = {
    "coaching": {"coverage": 0.6, "waves": 3, "first_wave": 6, "last_wave": 24},
    "scheduling_tool": {"coverage": 0.5, "waves": 2, "first_wave": 10, "last_wave": 22},
    "complaint_redesign": {
        "coverage": 0.5,
        "waves": 3,
        "first_wave": 4,
        "last_wave": 12,
        "duration": 15,
    },
}


RETAIL_BANK_SURVEYS = {
    "engagement": {"responses": 25, "sd": 14.0},
    "enablement": {"responses": 25, "sd": 14.0},
    "nps": {"responses": 60, "sd": 60.0},
    **{p: {"responses": 40, "sd": 15.0} for p in PILLARS},
}
"""Responses per branch and month (Poisson mean) and response SD of the bank's survey stages.

Staff pulse surveys for engagement and enablement, customer surveys for NPS
(answers of -100, 0 or 100, hence the large SD) and the six pillars.
"""


def build_retail_bank(*, surveys: bool = False) -> ServiceChainData:
    """Generate the retail-bank panel afresh from its chain, parameters and seed.

    Parameters
    ----------
    surveys
        Report the nine survey stages (engagement, enablement, NPS and the six
        pillars) as means of responses (:data:`~exlink.datasets.RETAIL_BANK_SURVEYS`), beside
        columns ``{stage}_n`` and ``{stage}_sd``, and declare them as surveys
        in :meth:`~exlink.datasets.ServiceChainData.panel`. The branches,
        rollouts and true values are those of the bundled bank: its survey
        stages' columns are the true values, in
        :attr:`~exlink.datasets.ServiceChainData.true_values` here. Fitting
        this panel integrates the pillars' true values out but samples those
        of engagement, enablement and NPS and the pillars' input to NPS
        (about 16,500 more parameters; see :doc:`/scale`), so it takes many
        times as long as the bundled bank.

    Returns
    -------
    ServiceChainData
        Without ``surveys``, the same data :func:`load_retail_bank` loads, at
        full precision.

    Examples
    --------
    >>> from exlink.datasets import build_retail_bank
    >>> bank = build_retail_bank(surveys=True)
    >>> sorted(bank.panel().surveys)[:3]
    ['empathy', 'enablement', 'engagement']
    """
    return make_service_chain(
        n_units=120,
        n_periods=36,
        seed=RETAIL_BANK_SEED,
        chain=RETAIL_BANK_CHAIN,
        stages=_STAGES,
        links=_LINKS,
        interventions=_INTERVENTIONS,
        rollouts=_ROLLOUTS,
        missing_rate={name: 0.02 for name in ("engagement", "enablement", "nps", *PILLARS)},
        start="2023-01-01",
        unit="branch",
        period="month",
        unit_prefix="B",
        surveys=RETAIL_BANK_SURVEYS if surveys else None,
    )


def load_retail_bank() -> ServiceChainData:
    """Load the bundled retail-bank panel and its truth.

    Returns
    -------
    ServiceChainData
        ``data`` (4,320 rows: 120 branches x 36 months from January 2023,
        columns ``branch``, ``month``, the attributes, 13 stages and 3
        interventions), ``truth`` and ``chain``; see
        :mod:`exlink.datasets.retail_bank` for what each column means.

    Examples
    --------
    >>> from exlink.datasets import load_retail_bank
    >>> bank = load_retail_bank()
    >>> bank.data.shape
    (4320, 21)
    >>> bank.panel().frequency
    'month'
    """
    folder = resources.files("exlink.datasets") / "data"
    data = pd.read_csv(folder / RETAIL_BANK_FILES[0], parse_dates=["month"])
    truth = ChainTruth.from_json((folder / RETAIL_BANK_FILES[1]).read_text())
    return ServiceChainData(
        data, truth, truth.chain, "branch", "month", ("region", "culture", "headcount")
    )

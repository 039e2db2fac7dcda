"""Survey stages of a generated panel: means of a random number of responses around the truth."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from exlink._names import unknown_name_message
from exlink.spec import Chain, Intervention, Link, Stage
from exlink.surveys import Survey

SURVEY_CHAIN = Chain(
    stages=[
        Stage("engagement", "ex", description="employee pulse score, mean of responses"),
        Stage("customer", "cx", description="customer impression score, mean of responses"),
        Stage("growth", "financial", description="revenue growth, % a year"),
    ],
    links=[Link("engagement", "customer"), Link("customer", "growth", lag=1)],
    interventions=[Intervention("programme", "engagement", lever="people")],
)
"""The employee-customer-profit chain as survey data carry it: a programme lifts
engagement, engagement the customers' impression, the impression revenue growth."""

SURVEY_CHAIN_TRUTH: dict[str, Any] = {
    "stages": {
        "engagement": {"intercept": 65.0, "unit_sd": 6.0, "period_sd": 1.0, "noise_sd": 3.0},
        "customer": {"intercept": 50.0, "unit_sd": 5.0, "period_sd": 1.0, "noise_sd": 3.0},
        "growth": {"intercept": 3.0, "unit_sd": 1.5, "period_sd": 0.3, "noise_sd": 1.0},
    },
    "links": {"engagement -> customer": 0.5, "customer -> growth (lag 1)": 0.2},
    "interventions": {"programme": {"effects": {"engagement": 5.0}, "ramp_rate": 0.4}},
    "surveys": {"engagement": {"responses": 22, "sd": 14}, "customer": {"responses": 35, "sd": 18}},
}
"""Parameters of :data:`SURVEY_CHAIN` for :func:`~exlink.datasets.make_service_chain`:
engagement and customer impression are means of about 22 and 35 responses (SD 14
and 18 points), so about half of their movement within a branch is sampling error."""

SURVEY_KEYS = ("responses", "sd", "report_sd")


def measure_by_survey(
    frame: pd.DataFrame,
    surveys: Mapping[str, Mapping[str, Any]],
    names: list[str],
    rng: np.random.Generator,
) -> tuple[dict[str, Survey], pd.DataFrame | None]:
    """Replace survey stages' values by means of responses, in place; keep the truth."""
    _refuse_unknown(surveys, names, "stage")
    if not surveys:
        return {}, None
    true_values = frame[list(surveys)].copy()
    out = {}
    for stage, settings in surveys.items():
        _refuse_unknown(settings, SURVEY_KEYS, "survey setting")
        mean_n, sd = float(settings.get("responses", 20)), float(settings.get("sd", 10.0))
        if not mean_n >= 2 or not sd > 0:
            raise ValueError(
                f"surveys[{stage!r}] needs responses >= 2 and sd > 0, got {mean_n} and {sd}."
            )
        n = np.maximum(rng.poisson(mean_n, size=len(frame)), 2)
        present = frame[stage].notna().to_numpy()
        frame[stage] = frame[stage] + sd / np.sqrt(n) * rng.standard_normal(len(frame))
        frame[f"{stage}_n"] = np.where(present, n, 0)
        survey = Survey(n=f"{stage}_n")
        if settings.get("report_sd", True):
            spread = sd * np.sqrt(rng.chisquare(n - 1) / (n - 1))
            frame[f"{stage}_sd"] = np.where(present, spread, np.nan)
            survey = Survey(n=f"{stage}_n", sd=f"{stage}_sd")
        out[stage] = survey
    return out, true_values


def _refuse_unknown(given: Mapping[str, Any], valid: Any, kind: str) -> None:
    for key in given:
        if key not in valid:
            raise ValueError(unknown_name_message(kind, key, list(valid)))

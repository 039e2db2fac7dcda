"""A hand-written PyMC model of benchmark case (a), as an expert would write it for nutpie.

The chain: a coaching programme (staggered, permanent, with an adoption ramp)
lifts engagement; engagement moves NPS in the same month; NPS moves revenue a
month later. Each stage is standardised and has an intercept, zero-sum unit
and period effects (centred: 36 months pin each unit's, 200 units each
period's) and normal noise; the ramp is the closed form of a
permanent rollout, ``1 - (1 - r)**k`` in the ``k``-th month since a unit's
start. Everything is vectorised; no missing values (the case has none).

``benchmarks/fit_speed.py`` samples it beside exlink's model of the same data
so that both are timed in one run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt

STAGES = ("engagement", "nps", "revenue")


def reference_model(data: pd.DataFrame, unit: str = "unit", period: str = "period") -> pm.Model:
    """The hand-written model of case (a) on its long data frame."""
    frame = data.sort_values([unit, period])
    units = frame[unit].unique()
    periods = np.sort(frame[period].unique())
    shape = (len(units), len(periods))
    y = {}
    for name in STAGES:
        values = frame[name].to_numpy().reshape(shape)
        y[name] = (values - values.mean()) / values.std()
    treated = frame["coaching"].to_numpy().reshape(shape) > 0
    started = np.where(treated.any(axis=1), treated.argmax(axis=1), shape[1])
    months_in = np.clip(np.arange(shape[1])[None, :] - started[:, None] + 1, 0, None)
    coords = {"stage": list(STAGES), "unit": list(units), "period": list(periods)}
    with pm.Model(coords=coords) as model:
        intercept = pm.Normal("intercept", 0.0, 1.0, dims="stage")
        sigma = pm.HalfNormal("sigma", 1.0, dims="stage")
        unit_sd = pm.HalfNormal("unit_sd", 1.0, dims="stage")
        period_sd = pm.HalfNormal("period_sd", 0.5, dims="stage")
        unit_effect = pm.ZeroSumNormal(
            "unit_effect", sigma=unit_sd[:, None], dims=("stage", "unit")
        )
        # 200 units inform each period effect: the centred form samples best.
        period_effect = pm.ZeroSumNormal(
            "period_effect", sigma=period_sd[:, None], dims=("stage", "period")
        )
        beta = pm.Normal("beta", 0.0, 1.0, shape=2)
        gamma = pm.Normal("gamma", 0.0, 1.0)
        ramp = pm.Beta("ramp", 2.0, 2.0)
        exposure = pt.where(months_in > 0, 1.0 - (1.0 - ramp) ** months_in, 0.0)
        base = intercept[:, None, None] + unit_effect[:, :, None] + period_effect[:, None, :]
        mu_engagement = base[0] + gamma * exposure
        mu_nps = base[1] + beta[0] * y["engagement"]
        lagged_nps = np.concatenate([np.zeros((shape[0], 1)), y["nps"][:, :-1]], axis=1)
        mu_revenue = base[2] + beta[1] * lagged_nps
        pm.Normal("y_engagement", mu_engagement, sigma[0], observed=y["engagement"])
        pm.Normal("y_nps", mu_nps, sigma[1], observed=y["nps"])
        # Revenue's first month has no lagged NPS: it is left out, as exlink leaves it out.
        pm.Normal("y_revenue", mu_revenue[:, 1:], sigma[2], observed=y["revenue"][:, 1:])
    return model

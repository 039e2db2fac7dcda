"""Two-way fixed-effects OLS on unit x period arrays, standard errors clustered by unit."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import statsmodels.api as sm


def two_way_ols(y: np.ndarray, regressors: Mapping[str, np.ndarray]):
    """Regress ``y`` on the regressors with unit and period fixed effects.

    Parameters
    ----------
    y
        Outcome, shape ``(units, periods)``; NaN cells are left out.
    regressors
        Name -> values of the same shape; a row with any NaN is left out.

    Returns
    -------
    statsmodels.regression.linear_model.RegressionResultsWrapper
        OLS results with unit-clustered standard errors; the regressors
        keep their names.
    """
    n_units, n_periods = np.shape(y)
    units = np.repeat(np.arange(n_units), n_periods)
    periods = np.tile(np.arange(n_periods), n_units)
    frame = pd.DataFrame({name: np.asarray(v, float).ravel() for name, v in regressors.items()})
    keep = np.isfinite(np.asarray(y, float).ravel()) & frame.notna().all(axis=1).to_numpy()
    fixed = pd.concat(
        [
            pd.get_dummies(pd.Categorical(units[keep]), prefix="u", drop_first=True, dtype=float),
            pd.get_dummies(pd.Categorical(periods[keep]), prefix="t", drop_first=True, dtype=float),
        ],
        axis=1,
    )
    exog = pd.concat([frame[keep].reset_index(drop=True), fixed], axis=1)
    exog.insert(0, "const", 1.0)
    model = sm.OLS(np.asarray(y, float).ravel()[keep], exog)
    return model.fit(cov_type="cluster", cov_kwds={"groups": units[keep]})


def shifted(values: np.ndarray, lag: int) -> np.ndarray:
    """Values ``lag`` periods earlier (a negative lag looks ahead), NaN where out of range.

    Examples
    --------
    >>> shifted(np.array([[1.0, 2.0, 3.0]]), 1)
    array([[nan,  1.,  2.]])
    >>> shifted(np.array([[1.0, 2.0, 3.0]]), -1)
    array([[ 2.,  3., nan]])
    """
    values = np.asarray(values, float)
    out = np.full_like(values, np.nan)
    if lag >= 0:
        out[:, lag:] = values[:, : values.shape[1] - lag]
    else:
        out[:, :lag] = values[:, -lag:]
    return out

"""The vectorised R-hat and ESS agree with ArviZ element for element."""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest
import xarray as xr
from hypothesis import example, given, settings
from hypothesis import strategies as st

from exlink.models.mcmc_stats import (
    TAIL_PROB,
    bulk_ess,
    convergence_stats,
    rank_rhat,
    tail_ess,
)


def _autoregressive(rng, chains, draws, elements, phi, shift=0.0):
    x = np.zeros((chains, draws, elements))
    noise = rng.normal(size=(chains, draws, elements))
    for t in range(1, draws):
        x[:, t] = phi * x[:, t - 1] + noise[:, t]
    return x + shift * np.arange(chains)[:, None, None]


def _arviz(x, prob=TAIL_PROB):
    da = xr.DataArray(x, dims=("chain", "draw", "element"))
    dims = ["chain", "draw"]
    return {
        "r_hat": np.asarray(az.rhat(da, sample_dims=dims)),
        "ess_bulk": np.asarray(az.ess(da, sample_dims=dims, method="bulk")),
        "ess_tail": np.asarray(az.ess(da, sample_dims=dims, method="tail", prob=prob)),
    }


def _cases():
    rng = np.random.default_rng(3)
    return {
        "sticky": _autoregressive(rng, 4, 400, 12, 0.9),
        "antithetic": _autoregressive(rng, 4, 400, 12, -0.6),
        "odd draws": _autoregressive(rng, 2, 31, 8, 0.3),
        "chains apart": _autoregressive(rng, 4, 600, 6, 0.99, shift=0.5),
        "ties": rng.poisson(2, (3, 101, 10)).astype(float),
        "heavy tails": rng.standard_t(2, (4, 250, 10)),
    }


@pytest.mark.parametrize("case", list(_cases()))
def test_every_statistic_matches_arviz(case):
    x = _cases()[case]
    ours, theirs = convergence_stats(x), _arviz(x)
    for name in ("r_hat", "ess_bulk", "ess_tail"):
        np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-10, err_msg=name)
    np.testing.assert_allclose(rank_rhat(x), theirs["r_hat"], rtol=1e-10)
    np.testing.assert_allclose(bulk_ess(x), theirs["ess_bulk"], rtol=1e-10)
    np.testing.assert_allclose(tail_ess(x), theirs["ess_tail"], rtol=1e-10)


def test_tail_probability_is_an_argument():
    x = _cases()["sticky"]
    np.testing.assert_allclose(tail_ess(x, 0.2), _arviz(x, 0.2)["ess_tail"], rtol=1e-10)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        tail_ess(x, 1.0)


def test_too_few_chains_draws_or_a_missing_draw_give_nan():
    rng = np.random.default_rng(0)
    one_chain = rng.normal(size=(1, 200, 3))
    assert np.isnan(rank_rhat(one_chain)).all()
    assert np.isfinite(bulk_ess(one_chain)).all()
    assert np.isnan(convergence_stats(rng.normal(size=(4, 3, 2)))["ess_bulk"]).all()
    gap = rng.normal(size=(4, 100, 3))
    gap[2, 50, 1] = np.nan
    stats = convergence_stats(gap)
    assert np.isnan(stats["r_hat"][1]) and np.isnan(stats["ess_tail"][1])
    assert np.isfinite(stats["r_hat"][[0, 2]]).all()


def test_independent_draws_have_ess_near_their_count_and_rhat_near_one():
    x = np.random.default_rng(1).normal(size=(4, 1000, 50))
    stats = convergence_stats(x)
    assert np.abs(stats["r_hat"] - 1).max() < 0.01
    assert 3000 < np.median(stats["ess_bulk"]) < 5000


def test_shape_is_checked():
    with pytest.raises(ValueError, match=r"\(chain, draw, element\)"):
        rank_rhat(np.zeros((4, 100)))


@settings(max_examples=100, deadline=None)
@example(seed=25, chains=2, draws=25, phi=0.5)  # the middle two draws tie around the median
@given(
    seed=st.integers(0, 2**32 - 1),
    chains=st.integers(2, 4),
    draws=st.integers(4, 60),
    phi=st.floats(-0.9, 0.95),
)
def test_matches_arviz_on_any_short_chain(seed, chains, draws, phi):
    x = _autoregressive(np.random.default_rng(seed), chains, draws, 3, phi)
    ours, theirs = convergence_stats(x), _arviz(x)
    for name in ("r_hat", "ess_bulk", "ess_tail"):
        np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-9, err_msg=name)

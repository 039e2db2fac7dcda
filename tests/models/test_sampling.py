"""Sampling with nutpie directly gives what pymc.sample gives with nutpie, without its detour."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytest

from exlink.models.sampling import exact_arithmetic, resolve_sampler, run_sampler

pytest.importorskip("nutpie")


@pytest.fixture(scope="module")
def small_model() -> pm.Model:
    rng = np.random.default_rng(0)
    with pm.Model(coords={"group": range(4)}) as model:
        mean = pm.Normal("mean", 0, 1, dims="group")
        spread = pm.HalfNormal("spread", 1)
        pm.Normal("y", mean[np.arange(40) % 4], spread, observed=rng.normal(size=40))
        pm.Deterministic("doubled", 2 * mean, dims="group")
    return model


def test_direct_nutpie_draws_equal_pymc_sample(small_model):
    settings = {"draws": 100, "tune": 100, "chains": 2, "random_seed": 5, "progressbar": False}
    ours = run_sampler(small_model, sampler="nutpie", target_accept=0.9, **settings)
    with exact_arithmetic():
        theirs = pm.sample(model=small_model, nuts_sampler="nutpie", target_accept=0.9, **settings)
    assert sorted(ours.children) == sorted(theirs.children)
    for name in ("mean", "spread", "doubled"):
        np.testing.assert_array_equal(ours.posterior[name].values, theirs.posterior[name].values)
        assert ours.posterior[name].dims == theirs.posterior[name].dims
    assert set(ours.sample_stats.data_vars) == set(theirs.sample_stats.data_vars)
    assert ours.posterior.attrs["tuning_steps"] == 100


QUICK = {"tune": 50, "chains": 2, "sampler": "nutpie", "random_seed": 1, "progressbar": False}


def test_sampler_options_reach_nutpie(small_model):
    shallow = run_sampler(small_model, draws=50, max_treedepth=2, **QUICK)
    assert int(shallow.sample_stats["depth"].max()) <= 2


def test_bad_settings_are_refused(small_model):
    with pytest.raises(ValueError, match="draws must be a positive whole number"):
        run_sampler(small_model, draws=0, **QUICK)
    with pytest.raises(ValueError, match="unknown sampler"):
        resolve_sampler("gibbs")

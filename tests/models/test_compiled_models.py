"""A refit of the same computation reuses its compiled model, with a fresh compile's draws."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytest
import xarray as xr

import exlink as xl
from exlink.datasets import make_service_chain
from exlink.models.compiled_models import COMPILED, CompiledModels, relabel
from exlink.models.sampling import exact_arithmetic
from small_chains import TWO_STAGES

nutpie = pytest.importorskip("nutpie")


def small_model(
    values: np.ndarray, *, prior_sd: float = 1.0, groups: int = 4, labels=None
) -> pm.Model:
    with pm.Model(coords={"group": range(groups) if labels is None else labels}) as model:
        data = pm.Data("values", values)
        mean = pm.Normal("mean", 0, prior_sd, dims="group")
        spread = pm.HalfNormal("spread", 1)
        pm.Normal("y", mean[np.arange(len(values)) % groups], spread, observed=data)
        pm.Deterministic("doubled", 2 * mean, dims="group")
    return model


def draws(compiled) -> np.ndarray:
    with exact_arithmetic():
        idata = nutpie.sample(
            compiled, draws=60, tune=60, chains=2, seed=3, progress_bar=False, cores=1
        )
    return idata.posterior["mean"].values


def test_new_data_reuses_the_compiled_model_and_gives_a_fresh_compiles_draws():
    rng = np.random.default_rng(0)
    first, second = small_model(rng.normal(size=40)), small_model(rng.normal(3, 1, size=40))
    cache = CompiledModels()
    with exact_arithmetic():
        cache.compile(first)
        reused = cache.compile(second)
        fresh = nutpie.compile_pymc_model(second, backend="numba")
    assert (cache.hits, cache.misses) == (1, 1)
    np.testing.assert_array_equal(draws(reused), draws(fresh))
    # The swapped data are used: the second panel's means sit near 3.
    assert abs(draws(reused).mean() - 3) < 0.5


def test_other_labels_reuse_the_compiled_model_and_the_trace_takes_the_new_labels():
    rng = np.random.default_rng(5)
    values = rng.normal(size=40)
    first = small_model(values)
    second = small_model(values + 1.0, labels=["north", "south", "east", "west"])
    cache = CompiledModels()
    with exact_arithmetic():
        cache.compile(first)
        reused = cache.compile(second)
        fresh = nutpie.compile_pymc_model(second, backend="numba")
        settings = {"draws": 60, "tune": 60, "chains": 2, "seed": 3, "progress_bar": False}
        from_reused = nutpie.sample(reused, cores=1, **settings)
        from_fresh = nutpie.sample(fresh, cores=1, **settings)
    assert (cache.hits, cache.misses) == (1, 1)
    # nutpie writes the labels it was compiled with; relabel gives the sampled model's.
    assert list(from_reused.posterior["group"].values) == [0, 1, 2, 3]
    relabelled = relabel(from_reused, second)
    for name in ("mean", "doubled"):
        xr.testing.assert_identical(
            relabelled.posterior[name].to_dataset(), from_fresh.posterior[name].to_dataset()
        )
    assert list(relabelled.posterior["group"].values) == ["north", "south", "east", "west"]


def test_another_computation_compiles_afresh():
    values = np.random.default_rng(1).normal(size=40)
    cache = CompiledModels()
    with exact_arithmetic():
        cache.compile(small_model(values))
        cache.compile(small_model(values, prior_sd=2.0))  # a constant differs
        cache.compile(small_model(values, groups=5))  # the coordinates differ
        cache.compile(small_model(values[:30]))  # the data's shape differs
    assert (cache.hits, cache.misses) == (0, 4)
    assert len(cache) == 4


def started_from_data(scale: np.ndarray) -> pm.Model:
    """A model whose second variable starts where the jittered first one and the data put it."""
    with pm.Model() as model:
        data = pm.Data("scale", scale)
        slope = pm.Normal("slope", 0, 1)
        pm.Normal("level", slope * data.sum(), 1)
    return model


def test_a_start_computed_from_other_data_compiles_afresh():
    # nutpie's starting-point function keeps the data it was compiled with, so
    # reusing it for other data would start the sampler elsewhere than a fresh
    # compile does.
    cache = CompiledModels()
    with exact_arithmetic():
        cache.compile(started_from_data(np.ones(3)))
        cache.compile(started_from_data(np.full(3, 2.0)))
        cache.compile(started_from_data(np.ones(3)))
    assert (cache.hits, cache.misses) == (1, 2)


def test_the_oldest_compiled_model_is_forgotten_beyond_capacity():
    values = np.random.default_rng(2).normal(size=40)
    cache = CompiledModels(capacity=1)
    with exact_arithmetic():
        for prior_sd in (1.0, 2.0, 1.0):
            cache.compile(small_model(values, prior_sd=prior_sd))
    assert (cache.hits, cache.misses, len(cache)) == (0, 3, 1)
    cache.clear()
    assert (cache.hits, cache.misses, len(cache)) == (0, 0, 0)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::exlink.ConvergenceWarning")
def test_a_chain_fitted_to_another_panel_of_the_same_shape_is_not_compiled_again():
    settings = {"draws": 100, "tune": 100, "chains": 2, "random_seed": 4, "progressbar": False}
    first = make_service_chain(30, 10, seed=1, chain=TWO_STAGES)
    # Another data set of the same shape: other unit names, later periods.
    second = make_service_chain(30, 10, seed=2, start="2024-03", chain=TWO_STAGES)
    frame = second.data.assign(unit="branch-" + second.data["unit"])
    panel = xl.Panel.from_frame(
        frame,
        unit="unit",
        period="period",
        stages=list(second.chain.columns),
        interventions=list(second.chain.intervention_names),
        attributes=list(second.attributes),
    )
    COMPILED.clear()
    original = xl.ChainModel(first.chain).fit(first.panel(), **settings)
    reused = xl.ChainModel(second.chain).fit(panel, **settings)
    assert COMPILED.hits == 1
    COMPILED.clear()
    fresh = xl.ChainModel(second.chain).fit(panel, **settings)
    for name in ("beta", "gamma", "unit_effect", "period_effect"):
        xr.testing.assert_identical(
            reused.idata.posterior[name].to_dataset(), fresh.idata.posterior[name].to_dataset()
        )
    assert list(reused.idata.posterior["unit"].values) == list(panel.units)
    assert (
        reused.idata.posterior["period"].values[0] != original.idata.posterior["period"].values[0]
    )
    # The stage spreads are data too: effects are on the second panel's scale.
    design = reused.design
    targets = [e.target for e in design.effects]
    factor = design.sds[targets]
    assert not np.allclose(factor, original.design.sds[targets])
    posterior = reused.idata.posterior
    np.testing.assert_allclose(posterior["gamma"].values, posterior["gamma_std"].values * factor)

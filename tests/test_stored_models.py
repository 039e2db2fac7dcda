"""The stored test models are what their recipes make, and a real posterior draws right."""

import importlib.util
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr

import exlink as xl
from exlink import plotting
from exlink.dims import SAMPLE_DIMS

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "make_test_models.py"
STALE = "stale: run .venv/bin/python scripts/make_test_models.py and commit tests/data"
pytestmark = pytest.mark.filterwarnings("ignore::exlink.ConvergenceWarning")


def recipes():
    spec = importlib.util.spec_from_file_location("make_test_models", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("name", sorted(recipes().RECIPES))
def test_a_stored_model_loads_quietly_and_holds_its_recipe(name, stored_model):
    script = recipes()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        model = stored_model(name)
    sim = script.RECIPES[name]()
    assert model.chain == sim.chain, STALE
    panel = sim.panel()
    xr.testing.assert_allclose(model.panel.stages, panel.stages)
    xr.testing.assert_equal(model.panel.exposure, panel.exposure)
    posterior = model.fitted.posterior
    assert posterior.sizes["chain"] == script.SETTINGS["chains"], STALE
    assert posterior.sizes["draw"] == script.SETTINGS["draws"], STALE
    assert {"beta", "gamma", "beta_std", "gamma_std"} <= set(posterior.data_vars), STALE


def test_the_total_effect_band_holds_the_mean_of_a_real_posterior(stored_model):
    model = stored_model()
    effects = model.total_effects(horizon=8)
    fig = plotting.total_effect(effects, "coaching", "nps", hdi_prob=0.9)
    ax = fig.axes[0]
    mean = ax.get_lines()[0].get_ydata()
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    low, high = band.min(), band.max()
    draws = effects["total"].sel(intervention="coaching", stage="nps")
    expected = draws.quantile([0.05, 0.95], dim=SAMPLE_DIMS).values
    assert np.all(expected[1] > expected[0]), "a real posterior has spread"
    assert low == pytest.approx(expected[0].min()) and high == pytest.approx(expected[1].max())
    assert np.all((mean >= expected[0] - 1e-12) & (mean <= expected[1] + 1e-12))


def test_effects_of_a_real_posterior_have_intervals_around_their_means(stored_model):
    table = stored_model().effects()
    assert (table["lower"] < table["mean"]).all() and (table["mean"] < table["upper"]).all()
    assert table["r_hat"].notna().all() and (table["ess_bulk"] > 0).all()
    assert set(table["verdict"]) <= {"effect", "break", "unclear"}


def test_simulation_refuses_the_stored_model_unless_told_and_then_warns(stored_model):
    model = stored_model()
    assert not model.diagnostics().converged, "the stored model's short run did not converge"
    investment = xl.Investment("rollout", intervention="coaching", cost_upfront=1.0, duration=6)
    finance = xl.Finance(horizon=12, margin=0.4)
    with pytest.raises(xl.ConvergenceError):
        xl.simulate(model, [investment], finance, draws=50, random_seed=1)
    with pytest.warns(xl.ConvergenceWarning):
        result = xl.simulate(
            model, [investment], finance, draws=50, random_seed=1, allow_unconverged=True
        )
    assert result.npv().sizes["sample"] == 50

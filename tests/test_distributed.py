"""Work sent to a Dask cluster gives what it gives in this process: check refits, sweeps."""

from __future__ import annotations

import pickle
import warnings

import pandas as pd
import pytest
from dask import distributed

import exlink as xl
from exlink import checks
from small_chains import TWO_STAGES

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings(
        "ignore::exlink.ConvergenceWarning", "ignore::exlink.IdentificationWarning"
    ),
]
SMALL = {"draws": 100, "tune": 100, "chains": 2, "progressbar": False}


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def test_a_fitted_model_travels_without_its_graph(stored_model):
    model = stored_model("service_chain")
    model.pymc_model  # noqa: B018  (builds the graph)
    copy = pickle.loads(pickle.dumps(model))
    assert copy.chain == model.chain
    assert copy.effects().equals(model.effects())
    assert set(copy.pymc_model.named_vars) == set(model.pymc_model.named_vars)


def test_check_all_on_a_cluster_equals_check_all_here(stored_model, client):
    model = stored_model("service_chain")
    here = checks.check_all(model, fit=SMALL, sensitivity=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        there = checks.check_all(model, fit=SMALL, sensitivity=False, client=client)
    assert list(there.results) == list(here.results)
    pd.testing.assert_frame_equal(there.verdicts(), here.verdicts())
    for name in ("placebo_in_time", "placebo_in_space"):
        pd.testing.assert_frame_equal(there[name].table, here[name].table)
    # A check that fails on a worker warns here, as it does when run here.
    failed = there.verdicts().query("check.str.startswith('placebo') and not passed")
    warned = [str(w.message) for w in caught if "placebo" in str(w.message)]
    assert len(warned) >= len(failed)


def test_a_client_must_be_a_client(stored_model):
    with pytest.raises(TypeError, match=r"dask\.distributed\.Client"):
        checks.check_all(stored_model("service_chain"), fit=SMALL, client="localhost:8786")


def test_a_finance_sweep_on_a_cluster_equals_one_here(stored_model, client):
    model = stored_model("service_chain")
    investments = [xl.Investment("more", intervention="coaching", cost_upfront=1.0)]
    finances = [xl.Finance(horizon=h, margin=0.3) for h in (6, 12, 24)]
    settings = {"draws": 100, "random_seed": 2, "allow_unconverged": True}
    here = xl.finance_sweep(model, investments, finances, **settings)
    there = xl.finance_sweep(model, investments, finances, client=client, **settings)
    pd.testing.assert_frame_equal(there, here)
    assert list(here["horizon"]) == [6, 12, 24]


def test_fits_of_each_region_on_a_cluster_equal_fits_here(client):
    sim = xl.datasets.make_service_chain(n_units=24, n_periods=10, seed=5, chain=TWO_STAGES)
    panels = dict(list(sim.panel().split("region").items())[:2])
    settings = {"draws": 100, "tune": 100, "chains": 2, "random_seed": 4}
    here = xl.fit_each(sim.chain, panels, **settings)
    there = xl.fit_each(sim.chain, panels, client=client, **settings)
    assert list(there) == list(here) == list(panels)
    for name in panels:
        assert there[name].panel.n_units == panels[name].n_units
        beta_here = here[name].fitted.posterior["beta"].values
        assert (there[name].fitted.posterior["beta"].values == beta_here).all()

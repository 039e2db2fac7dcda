"""The checks' refits on a Dask cluster give what they give in this process."""

from __future__ import annotations

import pickle
import warnings

import pandas as pd
import pytest
from dask import distributed

from exlink import checks

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

"""Experiments as evidence: validation, the implied lift, saving; no real sampling."""

import numpy as np
import pandas as pd
import pytensor.tensor as pt
import pytest

import exlink as xl
from exlink.datasets import make_service_chain
from exlink.models.design import ChainDesign
from exlink.models.experiments import Experiment, implied_lift

pytestmark = pytest.mark.filterwarnings(
    "ignore::exlink.ConvergenceWarning", "ignore::exlink.IdentificationWarning"
)


@pytest.fixture(scope="module")
def sim():
    return make_service_chain(n_units=12, n_periods=10, seed=3)


@pytest.fixture(scope="module")
def design(sim):
    return ChainDesign(sim.chain, sim.panel())


def lift(design, experiment, ramp=0.5):
    params = {
        # links: engagement -> nps, nps -> retention (lag 1), retention -> revenue (lag 1)
        "beta": pt.as_tensor([0.5, 0.2, 0.3]),
        # effects: coaching -> engagement, scheduling_tool -> engagement, complaint_redesign -> nps
        "gamma": pt.as_tensor([1.0, 2.0, 3.0]),
        "reference": None,
        "curvature": None,
        "link_moderation": None,
        "effect_moderation": None,
        "ramp": {"coaching": pt.as_tensor(ramp)},
    }
    return float(implied_lift(design, experiment, params).eval())


def test_implied_lift_follows_the_chain(design):
    assert lift(design, Experiment("coaching", "engagement", 1.0, 0.1)) == pytest.approx(1.0)
    assert lift(design, Experiment("coaching", "nps", 1.0, 0.1)) == pytest.approx(0.5)
    assert lift(design, Experiment("coaching", "retention", 1.0, 0.1)) == pytest.approx(0.1)
    # Two periods: exposure 0.5 then 0.75 (ramp 0.5); NPS follows at lag 0.
    two = Experiment("coaching", "nps", 1.0, 0.1, periods=2)
    assert lift(design, two) == pytest.approx(0.5 * (0.5 + 0.75) / 2)
    # Retention follows NPS one period later: nothing in period 1, 0.2 * 0.25 in period 2.
    late = Experiment("coaching", "retention", 1.0, 0.1, periods=2)
    assert lift(design, late) == pytest.approx((0.0 + 0.2 * 0.25) / 2)


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"lift": "big"}, TypeError, "lift must be a number"),
        ({"se": 0.0}, ValueError, "se must be positive"),
        ({"se": float("nan")}, ValueError, "se must be finite"),
        ({"periods": 0}, ValueError, "periods"),
        ({"units": []}, ValueError, "units is empty"),
    ],
)
def test_experiment_refuses_bad_values(kwargs, error, words):
    values = {"intervention": "coaching", "stage": "nps", "lift": 1.0, "se": 0.5} | kwargs
    with pytest.raises(error, match=words):
        Experiment(**values)


def test_add_experiment_checks_against_the_chain_and_panel(sim):
    model = xl.ChainModel(sim.chain).build(sim.panel())
    with pytest.raises(ValueError, match="unknown intervention 'coachng'"):
        model.add_experiment("coachng", "nps", 1.0, 0.5)
    # A name far from every intervention is a pilot of a new investment: kept apart.
    model.add_experiment("yoga", "nps", 1.0, 0.5)
    assert [p.intervention for p in model.pilots] == ["yoga"]
    with pytest.raises(ValueError, match="no path to 'engagement'"):
        model.add_experiment("complaint_redesign", "engagement", 1.0, 0.5)
    with pytest.raises(ValueError, match="unknown stage"):
        model.add_experiment("coaching", "mood", 1.0, 0.5)
    with pytest.raises(ValueError, match="unknown unit 'Z999'"):
        model.add_experiment("coaching", "nps", 1.0, 0.5, units=["U001", "Z999"])
    assert model.experiments == []


def test_experiments_table_names_its_bad_row(sim):
    model = xl.ChainModel(sim.chain)
    with pytest.raises(ValueError, match="lacks column"):
        model.add_experiments(pd.DataFrame({"intervention": ["coaching"]}))
    table = pd.DataFrame(
        {
            "intervention": ["coaching", "scheduling_tool"],
            "stage": ["nps", "engagement"],
            "lift": [2.0, 1.0],
            "se": [0.5, -1.0],
        }
    )
    with pytest.raises(ValueError, match="row 1: experiment se must be positive"):
        model.add_experiments(table)
    table.loc[1, "se"] = 1.0
    table["periods"] = [6, np.nan]
    model = xl.ChainModel(sim.chain).add_experiments(table)
    assert [e.periods for e in model.experiments] == [6, None]


def test_an_experiment_is_a_likelihood_term_that_is_saved(sim, mock_sample, tmp_path):
    model = xl.ChainModel(sim.chain).fit(sim.panel(), draws=10, chains=2, progressbar=False)
    assert model.idata is not None
    model.add_experiment("coaching", "nps", 2.0, 0.5, units=["U001", "U002"], periods=6)
    assert model.idata is None, "draws without the experiment are dropped"
    model.fit(draws=10, chains=2, progressbar=False)
    observed = {v.name for v in model.pymc_model.observed_RVs}
    assert "experiment[0]" in observed
    scale = model.design.sds[list(sim.chain.stage_names).index("nps")]
    node = model.pymc_model["experiment[0]"]
    assert float(model.pymc_model.rvs_to_values[node].data) == pytest.approx(2.0 / scale)
    loaded = xl.ChainModel.load(model.save(tmp_path / "m.nc"))
    assert loaded.experiments == model.experiments
    assert loaded.experiments[0].units == ("U001", "U002")


def test_a_table_with_a_row_the_chain_refuses_adds_nothing(sim):
    model = xl.ChainModel(sim.chain)
    table = pd.DataFrame(
        {
            "intervention": ["coaching", "yoga"],
            "stage": ["nps", "nps"],
            "lift": [2.0, 1.0],
            "se": [0.5, 0.5],
        }
    )
    with pytest.raises(ValueError, match="row 1: experiment: unknown intervention 'yoga'"):
        model.add_experiments(table)
    assert model.experiments == []

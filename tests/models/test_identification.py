"""Identification warnings: prior-dominated effects, few units, lags the data cannot tell."""

import warnings

import numpy as np

import exlink as xl
from exlink.datasets import make_service_chain
from exlink.models.design import ChainDesign
from exlink.models.identification import identification_warnings
from exlink.spec import Chain, Intervention, Link, Stage


def test_a_clean_design_has_no_data_warning():
    sim = make_service_chain(n_units=30, n_periods=16, seed=2)
    assert identification_warnings(ChainDesign(sim.chain, sim.panel())) == []


def test_an_intervention_in_two_units_is_named():
    sim = make_service_chain(
        n_units=30, n_periods=16, seed=2, rollouts={"coaching": {"coverage": 2 / 30}}
    )
    found = identification_warnings(ChainDesign(sim.chain, sim.panel()))
    assert found == [
        "intervention only 2 unit(s) received 'coaching': its effect rests on them alone"
    ]


def test_a_link_whose_source_moves_in_few_units_is_named():
    sim = make_service_chain(n_units=30, n_periods=16, seed=2)
    frame = sim.data.copy()
    quiet = ~frame["unit"].isin(["U001", "U002", "U003"])
    frame.loc[quiet, "engagement"] = 70.0 + 0.001 * np.arange(quiet.sum()) % 0.01
    panel = xl.Panel.from_frame(
        frame,
        unit="unit",
        period="period",
        stages=list(sim.chain.stage_names),
        interventions=list(sim.chain.intervention_names),
    )
    found = identification_warnings(ChainDesign(sim.chain, panel))
    assert any(w.startswith("link engagement -> nps rests on about") for w in found), found


def test_a_lag_the_data_cannot_tell_from_its_neighbours_is_named():
    chain = Chain(
        stages=[Stage("engagement", "ex"), Stage("nps", "cx")],
        links=[Link("engagement", "nps", lag=1)],
        interventions=[Intervention("coaching", "engagement", lever="people")],
    )
    sim = make_service_chain(n_units=30, n_periods=16, seed=2, chain=chain)
    frame = sim.data.copy()
    phase = frame["unit"].str[1:].astype(int) * 0.7
    frame["engagement"] = 70 + 5 * np.sin(2 * np.pi * frame["period"] / 40 + phase)
    panel = xl.Panel.from_frame(
        frame,
        unit="unit",
        period="period",
        stages=["engagement", "nps"],
        interventions=["coaching"],
    )
    found = identification_warnings(ChainDesign(chain, panel))
    assert any("cannot tell lag 1 from lag 0" in w for w in found), found


def test_fit_stores_prior_draws_and_warns_when_the_data_add_nothing(mock_sample):
    sim = make_service_chain(n_units=12, n_periods=10, seed=3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = xl.ChainModel(sim.chain).fit(
            sim.panel(), draws=500, chains=2, random_seed=5, progressbar=False
        )
    assert "prior" in model.idata.children
    assert set(model.idata.prior.data_vars) == {"beta", "gamma"}
    # The mock sampler draws from the prior: every effect is its prior's.
    health = model.diagnostics()
    flagged = [w.split("]")[0] + "]" for w in health.identification if "close to its prior" in w]
    assert any(f.startswith("beta[") for f in flagged), health.identification
    assert any(f.startswith("gamma[") for f in flagged), health.identification
    assert "Identification:" in repr(health)
    assert any(issubclass(w.category, xl.IdentificationWarning) for w in caught)

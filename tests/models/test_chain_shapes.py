"""Chains that validation accepts build: lagged links back up the chain, any stage order."""

import warnings

import numpy as np
import pytest

import exlink as xl
from exlink.datasets import make_service_chain

FEEDBACK = 0.4


def with_links(chain, *extra, reverse=False):
    stages = tuple(reversed(chain.stages)) if reverse else chain.stages
    return xl.Chain(stages, chain.links + tuple(extra), chain.interventions)


@pytest.fixture(scope="module")
def sim():
    return make_service_chain(
        n_units=30, n_periods=16, seed=11, feedback={"nps -> engagement (lag 1)": FEEDBACK}
    )


@pytest.mark.parametrize(
    "extra",
    [
        [xl.Link("nps", "engagement", lag=1)],
        [xl.Link("revenue", "engagement", lag=1)],
        [xl.Link("retention", "nps", lag=2), xl.Link("revenue", "retention", lag=1)],
    ],
)
@pytest.mark.parametrize("reverse", [False, True])
def test_lagged_links_up_the_chain_build_with_a_finite_gradient(sim, extra, reverse):
    chain = with_links(sim.chain, *extra, reverse=reverse)
    model = xl.ChainModel(chain).build(sim.panel())
    pymc_model = model.pymc_model
    point = pymc_model.initial_point()
    assert np.isfinite(pymc_model.compile_logp()(point))
    gradient = pymc_model.compile_dlogp()(point)
    assert np.isfinite(gradient).all() and np.abs(gradient).sum() > 0
    assert set(chain.stage_names) == set(sim.chain.stage_names)


def test_an_experiment_on_a_chain_with_feedback_builds(sim):
    chain = with_links(sim.chain, xl.Link("nps", "engagement", lag=1))
    model = xl.ChainModel(chain)
    model.add_experiment("coaching", "nps", lift=2.0, se=0.5)
    model.build(sim.panel())
    point = model.pymc_model.initial_point()
    assert np.isfinite(model.pymc_model.compile_logp()(point))


@pytest.mark.slow
def test_feedback_on_an_unbalanced_panel_is_recovered_end_to_end(sim, tmp_path):
    """Fit, simulate, save and load a chain with a link back up it, on a panel with absent rows.

    30 units x 16 periods, 2 chains x 400 draws: the feedback coefficient's 90% interval is
    about +-0.1 wide, so the truth (0.4) falls inside it unless the model is wrong.
    """
    chain = with_links(sim.chain, xl.Link("nps", "engagement", lag=1), reverse=True)
    rng = np.random.default_rng(0)
    frame = sim.data.drop(index=rng.choice(len(sim.data), 25, replace=False))
    panel = xl.Panel.from_frame(
        frame,
        unit=sim.unit,
        period=sim.period,
        stages=list(chain.stage_names),
        interventions=list(chain.intervention_names),
    )
    assert not panel.is_balanced
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = xl.ChainModel(chain).fit(
            panel, draws=400, tune=400, chains=2, random_seed=3, progressbar=False
        )
    row = model.effects().set_index(["source", "target"]).loc[("nps", "engagement")]
    assert row["lower"] < FEEDBACK < row["upper"], row
    fin = xl.Finance(horizon=12, margin=0.3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # 2 x 400 draws prove the shapes, not the health standard: simulation is allowed.
        investment = xl.Investment("more", intervention="coaching")
        result = xl.simulate(model, [investment], fin, draws=50, allow_unconverged=True)
    assert np.isfinite(result.npv().values).all()
    path = model.save(tmp_path / "model.nc")
    back = xl.ChainModel.load(path)
    assert back.chain == chain and back.panel.n_units == panel.n_units

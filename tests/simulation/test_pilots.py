"""Pilots of new investments update the candidate's elicited effect, draw by draw."""

import numpy as np
import pytest
from posteriors import true_posterior

import exlink as xl
from exlink.datasets import make_service_chain


@pytest.fixture(scope="module")
def sim():
    return make_service_chain(n_units=12, n_periods=10, seed=5)


def effects(model, investment, seed=3):
    result = xl.simulate(model, [investment], xl.Finance(horizon=6), random_seed=seed)
    design = result.simulator.samples.design
    return {design.stage_names[j]: v for j, v in result.simulator.effects[investment.name].items()}


APP = xl.Investment("app", effect={"engagement": (-2.0, 6.0)}, units="all")


def test_a_direct_pilot_is_a_conjugate_normal_update(sim):
    model = true_posterior(sim, n_samples=2000)
    before = effects(model, APP)["engagement"]
    model.add_experiment("app", "engagement", lift=1.5, se=0.4)
    assert model.pilots and not model.experiments and model.idata is not None
    after = effects(model, APP)["engagement"]
    # Prior N(2, (8 / 3.29)^2): the posterior mean and sd by the textbook formula.
    prior_sd = 8.0 / (2 * 1.6448536269514722)
    precision = 1 / prior_sd**2 + 1 / 0.4**2
    mean = (2.0 / prior_sd**2 + 1.5 / 0.4**2) / precision
    assert before.std() > 2.0
    assert after.mean() == pytest.approx(mean, abs=4 * after.std() / np.sqrt(len(after)))
    assert after.std() == pytest.approx(precision**-0.5, rel=0.05)


def test_a_downstream_pilot_is_scaled_by_the_chain(sim):
    """NPS moves 0.6 per point of engagement (the true link): a lift of 1.2 points of NPS
    measured precisely says the effect on engagement is about 2."""
    model = true_posterior(sim, n_samples=1000)
    model.add_experiment("app", "nps", lift=1.2, se=0.01)
    after = effects(model, APP)["engagement"]
    assert after.mean() == pytest.approx(1.2 / 0.6, rel=0.02)
    assert after.std() < 0.05
    # Over a short window the ramp counts: the same lift after 2 periods means a larger effect.
    short = true_posterior(sim, n_samples=1000)
    ramped = xl.Investment("app", effect={"engagement": (-2.0, 6.0)}, ramp=0.5)
    short.add_experiment("app", "nps", lift=1.2, se=0.01, periods=2)
    window = effects(short, ramped)["engagement"]
    # Exposure over two periods from a full start, ramp 0.5: 0.5 then 0.75, mean 0.625.
    assert window.mean() == pytest.approx(1.2 / 0.6 / 0.625, rel=0.02)


def test_pilots_travel_with_the_saved_model(sim, tmp_path):
    model = true_posterior(sim, n_samples=200)
    model.add_experiment("app", "engagement", lift=1.5, se=0.4)
    model.save(tmp_path / "m.nc")
    loaded = xl.ChainModel.load(tmp_path / "m.nc")
    assert loaded.pilots == model.pilots
    np.testing.assert_allclose(
        effects(loaded, APP)["engagement"], effects(model, APP)["engagement"]
    )


def test_bad_pilots_are_refused(sim):
    model = true_posterior(sim)
    with pytest.raises(ValueError, match=r"Did you mean 'coaching'.*candidate=True"):
        model.add_experiment("coachin", "engagement", lift=1.0, se=0.5)
    model.add_experiment("coachin", "engagement", lift=1.0, se=0.5, candidate=True)
    with pytest.raises(ValueError, match="unknown stage 'engagment'"):
        model.add_experiment("app", "engagment", lift=1.0, se=0.5)
    with pytest.raises(ValueError, match="leave candidate out"):
        model.add_experiment("coaching", "engagement", lift=1.0, se=0.5, candidate=True)
    with pytest.raises(ValueError, match="se must be positive"):
        model.add_experiment("app", "engagement", lift=1.0, se=0.0)
    # A pilot measuring a stage the candidate cannot reach is refused when simulated.
    model.add_experiment("desk", "engagement", lift=1.0, se=0.5)
    desk = xl.Investment("desk", effect={"nps": (0.0, 2.0)})
    with pytest.raises(ValueError, match="do not reach"):
        xl.simulate(model, [desk], xl.Finance(horizon=4))
    # A pilot of a candidate cannot stand for a rollout of the same name.
    model.add_experiment("roll", "engagement", lift=1.0, se=0.5)
    with pytest.raises(ValueError, match="rolls out an intervention"):
        xl.simulate(model, [xl.Investment("roll", intervention="coaching")], xl.Finance(horizon=4))

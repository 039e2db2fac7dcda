"""Unit effects sampled through unit levels: the same model, exactly."""

import dataclasses
import warnings

import numpy as np
import pymc as pm
import pytensor.tensor as pt
import pytest
from pymc.distributions.transforms import ZeroSumTransform
from pymc.exceptions import ImplicitFreezeWarning

import exlink as xl
import exlink.models.graph as graph
from exlink.datasets import make_service_chain
from exlink.models.unit_levels import LEVEL
from exlink.spec import Chain, Intervention, Link, Stage

CHAIN = Chain(
    stages=[
        Stage("engagement", "ex"),
        Stage("nps", "cx", likelihood="student_t"),
        Stage("retention", "customer"),
    ],
    links=[
        Link("engagement", "engagement", lag=1),
        Link("engagement", "nps", moderator="culture"),
        Link("nps", "retention", lag=1, form="threshold"),
        Link("retention", "engagement", lag=2),
    ],
    interventions=[
        Intervention("coaching", "engagement", lever="people", fade=True),
        Intervention("redesign", "nps", lever="process", moderator="culture"),
    ],
)


@pytest.fixture(scope="module")
def sim():
    return make_service_chain(
        n_units=9, n_periods=8, seed=5, chain=CHAIN, missing_rate={"engagement": 0.1}
    )


def _models(sim, monkeypatch):
    panel = sim.panel()
    with_levels = xl.ChainModel(sim.chain).build(panel).pymc_model
    with monkeypatch.context() as patch:
        patch.setattr(graph, "_level_terms", lambda *args: [])
        plain = xl.ChainModel(sim.chain).build(panel).pymc_model
    return with_levels, plain


def test_the_model_density_is_unchanged(sim, monkeypatch):
    """At every point, the density over (unit effects, the rest) is the plain model's."""
    model, plain = _models(sim, monkeypatch)
    assert LEVEL in model.named_vars and LEVEL not in plain.named_vars
    logp, plain_logp = model.compile_logp(), plain.compile_logp()
    (recorded,) = model.replace_rvs_by_values([model["unit_effect"]])
    effects = model.compile_fn(recorded, inputs=model.value_vars, on_unused_input="ignore")
    rng = np.random.default_rng(0)
    start = model.initial_point()
    for _ in range(4):
        point = {k: v + 0.6 * rng.standard_normal(np.shape(v)) for k, v in start.items()}
        plain_point = {k: v for k, v in point.items() if not k.startswith(LEVEL)}
        unit_effect = effects(point)
        plain_point["unit_effect_zerosum__"] = (
            ZeroSumTransform([-1]).forward(pt.as_tensor(unit_effect)).eval()
        )
        assert plain_point.keys() == plain.initial_point().keys()
        # The level moves with the slopes: unit effects differ from the raw level.
        assert not np.allclose(
            unit_effect,
            ZeroSumTransform([-1]).backward(pt.as_tensor(point[f"{LEVEL}_zerosum__"])).eval(),
        )
        np.testing.assert_allclose(logp(point), plain_logp(plain_point), rtol=1e-10)


def test_unit_effects_keep_their_prior(sim):
    model = xl.ChainModel(sim.chain).build(sim.panel()).pymc_model
    prior = pm.sample_prior_predictive(400, model=model, random_seed=2).prior
    effects = prior["unit_effect"].values[0]  # (draw, stage, unit)
    np.testing.assert_allclose(effects.sum(axis=-1), 0.0, atol=1e-8)
    sd = prior["unit_sd_std"].values[0][:, :, None]
    n = effects.shape[-1]
    # A zero-sum normal's elements have variance sigma**2 * (n - 1) / n, whatever the slopes.
    scaled = effects / sd / np.sqrt((n - 1) / n)
    assert abs(scaled.std() - 1.0) < 0.05


def test_term_means_count_only_known_cells(sim):
    design = xl.ChainModel(sim.chain).build(sim.panel()).design
    means = design.term_means
    assert means.shape == (len(design.links) + len(design.effects), design.shape[0])
    # engagement -> nps: engagement's observed values over nps's modelled periods.
    i = [t.label for t in design.links].index("engagement -> nps")
    y = design.y[design.links[i].source]
    np.testing.assert_allclose(means[i], np.nanmean(y, axis=1))
    # retention -> engagement (lag 2): retention two periods back, from period 2 on.
    i = [t.label for t in design.links].index("retention -> engagement (lag 2)")
    y = design.y[design.links[i].source]
    np.testing.assert_allclose(means[i], np.nanmean(y[:, :-2], axis=1))
    # An effect: its rollout over its target's modelled periods (all of nps's).
    k = len(design.links) + [e.label for e in design.effects].index("redesign -> nps")
    assert design.first_period[design.stage_names.index("nps")] == 0
    np.testing.assert_allclose(means[k], design.rollouts[1].mean(axis=1))


@pytest.mark.filterwarnings("ignore::exlink.ConvergenceWarning")
def test_predictions_under_other_rollouts_keep_the_fitted_unit_effects(sim, mock_sample):
    """A rollout changed in the last period changes no earlier prediction."""
    model = xl.ChainModel(sim.chain).fit(sim.panel(), draws=5, chains=2, progressbar=False)
    frame = sim.data.copy()
    unit, last = frame[sim.unit].iloc[0], frame[sim.period].max()
    cell = (frame[sim.unit] == unit) & (frame[sim.period] == last)
    frame.loc[cell, "redesign"] = 1.0 - frame.loc[cell, "redesign"]
    other = dataclasses.replace(sim, data=frame).panel()
    assert not np.allclose(other.exposure.fillna(0), sim.panel().exposure.fillna(0))
    with warnings.catch_warnings():
        # Predictions keep every drawn variable at its draws, and say nothing about it.
        warnings.simplefilter("error", ImplicitFreezeWarning)
        before, after = model.predict(draws=None), model.predict(other, draws=None)
        model.sample_posterior_predictive(draws=4, random_seed=1)
    earlier = {"period": before["period"][:-1]}
    np.testing.assert_allclose(after.sel(earlier), before.sel(earlier))
    moved = {"stage": "nps", "unit": unit, "period": before["period"][-1]}
    assert not np.allclose(after.sel(moved), before.sel(moved))


@pytest.mark.filterwarnings("ignore::exlink.ConvergenceWarning")
def test_a_model_saved_before_unit_levels_predicts_from_its_own_unit_effects(
    sim, mock_sample, tmp_path
):
    """Draws without ``unit_level`` are read through directly sampled unit effects."""
    model = xl.ChainModel(sim.chain).fit(sim.panel(), draws=5, chains=2, progressbar=False)
    path = tmp_path / "model.nc"
    model.save(path)
    older = xl.ChainModel.load(path)
    older.idata["posterior"] = older.idata["posterior"].to_dataset().drop_vars(LEVEL)
    assert LEVEL not in older.pymc_model.named_vars
    assert "unit_effect" in {v.name for v in older.pymc_model.free_RVs}
    np.testing.assert_allclose(older.predict(draws=None), model.predict(draws=None), rtol=1e-9)
    # Read through levels instead, the absent draws would come from the prior.
    assert LEVEL in xl.ChainModel.load(path).pymc_model.named_vars

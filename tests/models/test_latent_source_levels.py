"""Levels that follow a latent source's level: the same model; older files read as sampled."""

import numpy as np
import pymc as pm
import pytensor.tensor as pt
import pytest
from pymc.distributions.transforms import ZeroSumTransform

import exlink as xl
import exlink.models.graph as graph
from exlink.datasets import make_service_chain
from exlink.models.design import ChainDesign
from exlink.models.levels import LATENT_SOURCE_LEVELS, level_sources
from exlink.models.period_effects import period_level_links
from exlink.models.unit_levels import LEVEL
from exlink.spec import Chain, Intervention, Link, Stage

# engagement's true values are integrated out, NPS's sampled (a curved link leaves it);
# both feed a later stage, one through a moderated link and one a month later.
CHAIN = Chain(
    stages=[Stage("engagement", "ex"), Stage("nps", "cx"), Stage("revenue", "financial")],
    links=[
        Link("engagement", "nps", moderator="culture"),
        Link("nps", "revenue", lag=1, form="threshold"),
        Link("revenue", "engagement", lag=2),
    ],
    interventions=[Intervention("coaching", "engagement", lever="people")],
)
SURVEYS = {"engagement": {"responses": 80, "sd": 3}, "nps": {"responses": 80, "sd": 3}}
# Predictions of stages whose sources' true values are not sampled: a saved model keeps
# no sampled true values (revenue's prediction reads NPS's).
KEPT = {"stage": ["engagement", "nps"]}


@pytest.fixture(scope="module")
def sim():
    return make_service_chain(n_units=40, n_periods=6, seed=4, chain=CHAIN, surveys=SURVEYS)


def _point_mapper(model, names):
    """Each named deterministic's value at a point of ``model``'s free variables."""
    recorded = model.replace_rvs_by_values([model[n] for n in names])
    return model.compile_fn(recorded, inputs=model.value_vars, on_unused_input="ignore")


def test_levels_follow_latent_sources_and_the_density_is_unchanged(sim, monkeypatch):
    """At every point, the density is that of the model sampling every effect directly."""
    panel = sim.panel()
    built = xl.ChainModel(sim.chain).build(panel)
    design, model = built.design, built.pymc_model
    assert design.is_integrated(0) and design.is_sampled(1)
    # Both links out of a latent stage move levels; the link back up the chain does not.
    assert level_sources(design) == {0: 0, 1: 1}
    assert period_level_links(design) == [0, 1]
    assert "period_level" in model.named_vars
    with monkeypatch.context() as patch:
        patch.setattr(graph, "_level_terms", lambda *args: [])
        patch.setattr(graph, "period_level_links", lambda design: [])
        plain = xl.ChainModel(sim.chain).build(panel).pymc_model
    assert {"unit_effect", "period_effect"} <= {v.name for v in plain.free_RVs}
    logp, plain_logp = model.compile_logp(), plain.compile_logp()
    effects = _point_mapper(model, ["unit_effect", "period_effect"])
    rng = np.random.default_rng(0)
    start = model.initial_point()
    forward = ZeroSumTransform([-1]).forward
    for _ in range(4):
        point = {k: v + 0.5 * rng.standard_normal(np.shape(v)) for k, v in start.items()}
        unit_effect, period_effect = effects(point)
        level = ZeroSumTransform([-1]).backward(pt.as_tensor(point["period_level_zerosum__"]))
        # NPS's and revenue's period levels are not their period effects.
        assert not np.allclose(period_effect[1:], level.eval()[1:], atol=1e-3)
        plain_point = {k: v for k, v in point.items() if "level" not in k}
        plain_point["unit_effect_zerosum__"] = forward(pt.as_tensor(unit_effect)).eval()
        plain_point["period_effect_zerosum__"] = forward(pt.as_tensor(period_effect)).eval()
        assert plain_point.keys() == plain.initial_point().keys()
        np.testing.assert_allclose(logp(point), plain_logp(plain_point), rtol=1e-10)


def test_unit_and_period_effects_keep_their_prior(sim):
    model = xl.ChainModel(sim.chain).build(sim.panel()).pymc_model
    prior = pm.sample_prior_predictive(400, model=model, random_seed=3).prior
    for name, spread in (("unit_effect", "unit_sd_std"), ("period_effect", "period_sd_std")):
        effects = prior[name].values[0]  # (draw, stage, element)
        np.testing.assert_allclose(effects.sum(axis=-1), 0.0, atol=1e-8)
        n = effects.shape[-1]
        # A zero-sum normal's elements have variance sigma**2 * (n - 1) / n, whatever the slopes.
        scaled = effects / prior[spread].values[0][:, :, None] / np.sqrt((n - 1) / n)
        for stage in range(scaled.shape[1]):
            assert abs(scaled[:, stage].std() - 1.0) < 0.06, (name, stage)


@pytest.mark.filterwarnings("ignore::exlink.ConvergenceWarning")
def test_a_model_saved_before_levels_followed_latent_sources_is_read_as_sampled(
    sim, mock_sample, monkeypatch, tmp_path
):
    """Draws without the posterior's mark are read through levels that follow survey means."""
    with monkeypatch.context() as patch:
        # What a fit did before: levels follow the data, and the posterior carries no mark.
        def older(self, *args, **kwargs):
            build(self, *args, **kwargs)
            self.latent_source_levels = False

        build = ChainDesign.__init__
        patch.setattr(ChainDesign, "__init__", older)
        fitted = xl.ChainModel(sim.chain).fit(sim.panel(), draws=5, chains=2, progressbar=False)
        assert LEVEL in fitted.idata.posterior and "period_level" not in fitted.idata.posterior
        expected = fitted.predict(draws=None).sel(KEPT)
    del fitted.idata["posterior"].attrs[LATENT_SOURCE_LEVELS]
    path = tmp_path / "model.nc"
    fitted.save(path)
    loaded = xl.ChainModel.load(path)
    assert not loaded.design.latent_source_levels
    np.testing.assert_allclose(loaded.predict(draws=None).sel(KEPT), expected, rtol=1e-9)
    # Read through levels that follow the latent sources instead, the predictions move.
    fitted.idata["posterior"].attrs[LATENT_SOURCE_LEVELS] = 1
    fitted.save(path)
    marked = xl.ChainModel.load(path)
    assert marked.design.latent_source_levels
    assert not np.allclose(marked.predict(draws=None).sel(KEPT), expected, rtol=1e-6)


@pytest.mark.filterwarnings("ignore::exlink.ConvergenceWarning")
def test_a_fit_marks_its_posterior_and_keeps_the_mark_through_a_file(sim, mock_sample, tmp_path):
    fitted = xl.ChainModel(sim.chain).fit(sim.panel(), draws=5, chains=2, progressbar=False)
    assert fitted.idata.posterior.attrs[LATENT_SOURCE_LEVELS] == 1
    path = fitted.save(tmp_path / "model.nc")
    loaded = xl.ChainModel.load(path)
    assert loaded.design.latent_source_levels
    np.testing.assert_allclose(
        loaded.predict(draws=None).sel(KEPT), fitted.predict(draws=None).sel(KEPT), rtol=1e-9
    )

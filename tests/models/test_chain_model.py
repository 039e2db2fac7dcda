"""Fast tests of ChainModel: structure, priors, mock sampling, saving."""

import numpy as np
import pandas as pd
import pytensor
import pytest

import exlink as xl
from exlink.datasets import make_service_chain
from exlink.spec import Chain, Intervention, Link, Stage
from mocking import mocked_sampling

RICH_CHAIN = Chain(
    stages=[
        Stage("engagement", "ex"),
        Stage("nps", "cx", likelihood="student_t"),
        Stage("retention", "customer"),
        Stage("revenue", "financial"),
    ],
    links=[
        Link("engagement", "nps", moderator="culture"),
        Link("engagement", "engagement", lag=1),
        Link("nps", "retention", lag=1, form="threshold"),
        Link("retention", "revenue", lag=1, form="saturating"),
    ],
    interventions=[
        Intervention("coaching", "engagement", lever="people", fade=True),
        Intervention("app", ["engagement", "nps"], lever="people", ramp=False),
        Intervention("redesign", "nps", lever="process", moderator="culture"),
    ],
)


def rich_panel(frame: pd.DataFrame, attributes=("culture",)) -> xl.Panel:
    return xl.Panel.from_frame(
        frame,
        unit="unit",
        period="period",
        stages=list(RICH_CHAIN.stage_names),
        interventions=list(RICH_CHAIN.intervention_names),
        attributes=list(attributes),
    )


@pytest.fixture(scope="module")
def sim():
    return make_service_chain(
        n_units=12,
        n_periods=10,
        seed=3,
        chain=RICH_CHAIN,
        missing_rate={"engagement": 0.05, "nps": 0.05},
    )


@pytest.fixture(scope="module")
def built(sim):
    return xl.ChainModel(sim.chain).build(sim.panel())


def test_graph_has_labelled_dims(built, sim):
    model = built.pymc_model
    assert list(model.coords["link"]) == [lk.label for lk in RICH_CHAIN.links]
    assert list(model.coords["effect"]) == [
        "coaching -> engagement",
        "app -> engagement",
        "app -> nps",
        "redesign -> nps",
    ]
    assert model.named_vars_to_dims["beta"] == ("link",)
    assert model.named_vars_to_dims["unit_effect"] == ("stage", "unit")
    assert list(model.coords["unit"]) == list(sim.panel().units)
    assert "fade_std" in model.named_vars and "nu_std" in model.named_vars
    assert list(model.coords["ramped"]) == ["coaching", "redesign"]
    assert "missing[engagement]" in model.named_vars
    assert "missing[revenue]" not in model.named_vars


def test_logp_gradient_is_finite_at_the_initial_point(built):
    model = built.pymc_model
    point = model.initial_point()
    assert np.isfinite(model.compile_logp()(point))
    assert np.isfinite(model.compile_dlogp()(point)).all()


def test_prior_predictive_draws_have_dims_and_no_nan(built):
    prior = built.sample_prior_predictive(draws=20, random_seed=1)
    y = prior["prior_predictive"]["y"]
    assert y.dims == ("chain", "draw", "stage", "unit", "period")
    design = built.design
    for j, name in enumerate(design.stage_names):
        cells = design.observed_cells(j)
        flat = y.sel(stage=name).values.reshape(1, 20, -1)[:, :, cells]
        assert np.isfinite(flat).all(), name
    assert np.isnan(y.sel(stage="retention", period=y.period[0])).all(), "lag-1 stage, period 0"
    assert "beta" in prior["prior"]


def test_default_priors_table(built):
    table = built.default_priors()
    assert set(table["group"]) >= {"beta", "ramp", "fade", "lever_sd", "gamma", "nu"}
    row = table[(table.group == "beta") & (table.element == "engagement -> nps")].iloc[0]
    factor = built.design.sds[1] / built.design.sds[0]
    assert row["prior"] == "Normal(mu=0, sigma=1)"
    assert row["original_scale"] == f"Normal(mu=0, sigma={factor:.6g})"
    assert table.query("group == 'gamma'")["source"].eq("lever pool").all()


def test_element_prior_is_restated_on_the_standardised_scale(sim):
    priors = {
        "beta[engagement -> nps]": xl.Prior("Normal", mu=0.6, sigma=0.1),
        "ramp": xl.Prior("Beta", alpha=5, beta=5),
    }
    model = xl.ChainModel(sim.chain, priors=priors).build(sim.panel())
    factor = model.design.sds[1] / model.design.sds[0]
    rv = model.pymc_model["beta_std[engagement -> nps]"]
    mu, sigma = (float(p.eval()) for p in rv.owner.inputs[-2:])
    assert (mu, sigma) == pytest.approx((0.6 / factor, 0.1 / factor))
    table = model.default_priors()
    assert table.query("group == 'ramp'")["source"].eq("user").all()
    assert (
        table.query("group == 'beta' and element == 'engagement -> nps'")["source"].item() == "user"
    )


def test_effect_taken_out_of_its_pool(sim):
    priors = {"gamma[redesign -> nps]": xl.Prior("Normal", mu=2.0, sigma=1.0)}
    model = xl.ChainModel(sim.chain, priors=priors).build(sim.panel())
    assert "gamma_std[redesign -> nps]" in model.pymc_model.named_vars
    table = model.default_priors().query("group == 'gamma'").set_index("element")
    assert table.loc["redesign -> nps", "source"] == "user"
    assert table.loc["coaching -> engagement", "source"] == "lever pool"


@pytest.mark.parametrize(
    "key, words",
    [
        ("betta", ["'betta'", "Did you mean 'beta'"]),
        ("beta[engagement -> NPS]", ["beta[engagement -> nps]"]),
        ("sigma[revenu]", ["sigma[revenue]"]),
    ],
)
def test_unknown_prior_names_are_refused(sim, key, words):
    with pytest.raises(ValueError) as err:
        xl.ChainModel(sim.chain, priors={key: xl.Prior("Normal", sigma=1)}).build(sim.panel())
    for word in words:
        assert word in str(err.value)


def test_prior_of_wrong_type(sim):
    with pytest.raises(TypeError, match=r"exlink\.Prior"):
        xl.ChainModel(sim.chain, priors={"beta": {"sigma": 1}}).build(sim.panel())


def test_prior_objects():
    with pytest.raises(ValueError, match="Normall"):
        xl.Prior("Normall", sigma=1)
    with pytest.raises(ValueError, match="negative"):
        xl.Prior("HalfNormal", sigma=1).standardise(shift=2.0, factor=1.0)
    assert (
        repr(xl.Prior("LogNormal", mu=0, sigma=1).standardise(0, np.e))
        == "LogNormal(mu=-1, sigma=1)"
    )
    assert xl.Prior.from_dict(xl.Prior("Beta", alpha=2, beta=3).to_dict()) == xl.Prior(
        "Beta", alpha=2, beta=3
    )


def test_panel_must_hold_the_chain(sim):
    frame = sim.data.drop(columns=["culture"])
    panel = xl.Panel.from_frame(
        frame,
        unit="unit",
        period="period",
        stages=list(RICH_CHAIN.stage_names),
        interventions=list(RICH_CHAIN.intervention_names),
    )
    with pytest.raises(ValueError, match="moderator 'culture'"):
        xl.ChainModel(RICH_CHAIN).build(panel)
    panel = xl.Panel.from_frame(
        sim.data, unit="unit", period="period", stages=["engagement", "nps"]
    )
    with pytest.raises(ValueError, match="'retention' is not in the panel"):
        xl.ChainModel(RICH_CHAIN).build(panel)
    with pytest.raises(TypeError, match=r"Panel\.from_frame"):
        xl.ChainModel(RICH_CHAIN).build(sim.data)


def test_constant_stage_and_never_rolled_out(sim):
    frame = sim.data.assign(revenue=5.0)
    panel = rich_panel(frame)
    with pytest.raises(ValueError, match="'revenue' never varies"):
        xl.ChainModel(RICH_CHAIN).build(panel)
    frame = sim.data.assign(app=0.0)
    panel = rich_panel(frame)
    with pytest.warns(UserWarning, match="'app' was never rolled out"):
        xl.ChainModel(RICH_CHAIN).build(panel)


def test_lifecycle_errors(sim):
    model = xl.ChainModel(RICH_CHAIN)
    with pytest.raises(RuntimeError, match="not fitted"):
        model.effects()
    with pytest.raises(RuntimeError, match="not built"):
        model.default_priors()
    with pytest.raises(ValueError, match="needs a panel"):
        model.fit()
    with pytest.raises(ValueError, match="sampler"):
        model.fit(sim.panel(), sampler="stan")
    with pytest.raises(TypeError, match="Chain"):
        xl.ChainModel({"stages": []})


@pytest.fixture(scope="module")
def mocked(sim):
    with mocked_sampling():
        return xl.ChainModel(sim.chain).fit(
            sim.panel(), draws=30, chains=2, random_seed=2, progressbar=False
        )


def test_fit_returns_the_model_with_labelled_posterior(mocked):
    assert isinstance(mocked, xl.ChainModel)
    posterior = mocked.idata.posterior
    assert posterior["beta"].dims == ("chain", "draw", "link")
    assert posterior.sizes["chain"] == 2


def test_effects_table(mocked):
    table = mocked.effects(hdi_prob=0.8)
    assert list(table.columns) == [
        "kind",
        "source",
        "target",
        "lag",
        "mean",
        "sd",
        "lower",
        "upper",
        "p_positive",
        "r_hat",
        "ess_bulk",
        "covers_zero",
        "rope",
        "p_practical",
        "verdict",
    ]
    assert set(table["verdict"]) <= {"effect", "break", "unclear"}
    assert table["rope"].gt(0).all()
    assert (table["kind"] == "link").sum() == 4 and (table["kind"] == "intervention").sum() == 4
    assert (table["kind"] == "moderation").sum() == 2
    row = table[(table.source == "nps") & (table.target == "retention")].iloc[0]
    assert row.lag == 1
    draws = mocked.idata.posterior["beta"].sel(link="nps -> retention (lag 1)")
    assert row["mean"] == pytest.approx(float(draws.mean()))
    assert (table["lower"] <= table["upper"]).all()
    with pytest.raises(ValueError, match="hdi_prob"):
        mocked.effects(hdi_prob=90)


def test_diagnostics_do_not_pass_prior_draws(mocked):
    report = mocked.diagnostics()
    assert not report.converged
    assert "Not converged" in report.headline()
    assert set(report.table["parameter"]) >= {"beta", "gamma", "ramp_std", "fade_std"}


def test_total_effects_shape(mocked):
    effects = mocked.total_effects(horizon=5)
    assert effects["total"].dims == ("chain", "draw", "intervention", "stage", "horizon")
    assert effects["long_run"].dims == ("chain", "draw", "intervention", "stage")
    np.testing.assert_allclose(effects["indirect"], effects["total"] - effects["direct"])
    assert float(abs(effects["direct"].sel(intervention="redesign", stage="engagement")).max()) == 0
    with pytest.raises(ValueError, match="horizon"):
        mocked.total_effects(horizon=0)


def test_save_and_load_give_identical_effects(mocked, tmp_path):
    path = mocked.save(tmp_path / "model.nc")
    loaded = xl.ChainModel.load(path)
    pd.testing.assert_frame_equal(loaded.effects(), mocked.effects())
    assert loaded.chain == mocked.chain
    assert loaded.panel.to_frame().equals(mocked.panel.to_frame())
    np.testing.assert_allclose(loaded.total_effects(3)["total"], mocked.total_effects(3)["total"])


def test_load_refuses_tampered_or_foreign_files(mocked, tmp_path):
    import xarray as xr

    path = mocked.save(tmp_path / "model.nc")
    tree = xr.open_datatree(path, engine="h5netcdf").load()
    tree.attrs["exlink_chain"] = tree.attrs["exlink_chain"].replace('"lag": 1', '"lag": 2', 1)
    tree.to_netcdf(tmp_path / "tampered.nc", engine="h5netcdf")
    with pytest.raises(ValueError, match="changed after saving"):
        xl.ChainModel.load(tmp_path / "tampered.nc")
    xr.DataTree.from_dict({"/a": xr.Dataset({"x": 1})}).to_netcdf(
        tmp_path / "other.nc", engine="h5netcdf"
    )
    with pytest.raises(ValueError, match="not an exlink model"):
        xl.ChainModel.load(tmp_path / "other.nc")
    with pytest.raises(FileNotFoundError):
        xl.ChainModel.load(tmp_path / "missing.nc")
    with pytest.raises(ValueError, match=r"\.nc"):
        mocked.save(tmp_path / "model.pkl")


def test_predict_and_posterior_predictive(mocked, sim):
    mu = mocked.predict(draws=10)
    assert mu.dims == ("chain", "draw", "stage", "unit", "period")
    assert np.isnan(mu.sel(stage="revenue").isel(period=0)).all()
    assert np.isfinite(mu.sel(stage="engagement").isel(period=slice(1, None))).all()
    replicated = mocked.sample_posterior_predictive(draws=10, random_seed=1)
    assert replicated.dims == mu.dims
    frame = sim.data.assign(app=0.0)
    scenario = rich_panel(frame)
    with pytest.warns(UserWarning, match="never rolled out"):
        changed = mocked.predict(scenario, draws=10)
    assert not np.allclose(
        changed.sel(stage="engagement"), mu.sel(stage="engagement"), equal_nan=True
    )
    again = mocked.predict(draws=10)
    np.testing.assert_allclose(again, mu)


@pytest.mark.filterwarnings("ignore::exlink.ConvergenceWarning")
def test_fit_after_predict_does_not_store_mu(sim, mock_sample):
    model = xl.ChainModel(sim.chain).fit(sim.panel(), draws=5, chains=2, progressbar=False)
    model.predict(draws=4)
    assert "mu" in model.pymc_model.named_vars
    model.fit(draws=5, chains=2, progressbar=False)
    assert "mu" not in model.idata.posterior


def test_design_accounts_for_every_cell(built, sim):
    cells = built.design.describe_cells()
    panel = sim.panel()
    assert cells.loc["engagement", "missing"] == panel.missing["engagement"]
    assert cells.loc["engagement", "imputed"] == panel.missing["engagement"]
    assert cells.loc["revenue", "imputed"] == 0
    assert cells.loc["retention", "leading_periods_unmodelled"] == 1
    modelled = panel.n_units * (panel.n_periods - 1) - int(
        np.isnan(panel.stage("retention").values[:, 1:]).sum()
    )
    assert cells.loc["retention", "observed"] == modelled


def test_predictive_draws_and_predictions_compile_nothing_with_numba(mocked):
    """They run on the Python linker whatever PyTensor's default mode (Numba for users)."""
    from numba.core import event

    with pytensor.config.change_flags(mode="NUMBA"), event.install_recorder("numba:compile") as rec:
        prior = mocked.sample_prior_predictive(draws=5, random_seed=1)
        replicated = mocked.sample_posterior_predictive(draws=5, random_seed=1)
        expected = mocked.predict(draws=5)
    assert rec.buffer == []
    assert prior["prior_predictive"]["y"].sizes["draw"] == 5
    assert np.isfinite(replicated.sel(stage="nps").values).any()
    assert np.isfinite(expected.sel(stage="nps").values).any()

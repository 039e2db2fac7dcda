"""Survey stages in the model: latent true values, sampling error, reliability, files."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import exlink as xl
from exlink.cli import read_chain_file, read_panel_csv
from exlink.models.reliability import reliability_table, reliability_warnings

SURVEYS = xl.datasets.SURVEY_CHAIN_TRUTH


def survey_sim(n_units=40, n_periods=12, seed=4, **changes):
    settings = {**SURVEYS, **changes}
    return xl.datasets.make_service_chain(
        n_units, n_periods, seed=seed, chain=xl.datasets.SURVEY_CHAIN, **settings
    )


def test_generator_measures_survey_stages_around_the_truth():
    sim = survey_sim(n_units=60, n_periods=20)
    data = sim.data
    error = data["engagement"] - sim.true_values["engagement"]
    z = error * np.sqrt(data["engagement_n"]) / SURVEYS["surveys"]["engagement"]["sd"]
    assert abs(z.mean()) < 0.1 and z.std() == pytest.approx(1.0, abs=0.05)
    assert data["customer_n"].mean() == pytest.approx(35, abs=1)
    assert set(sim.panel().surveys) == {"engagement", "customer"}
    assert (data["growth"] == sim.true_values.get("growth", data["growth"])).all()


def test_survey_sources_get_latent_values_and_terminal_ones_do_not():
    sim = survey_sim(surveys={**SURVEYS["surveys"], "growth": {"responses": 30, "sd": 3}})
    model = xl.ChainModel(sim.chain).build(sim.panel())
    design = model.design
    latent = [name for j, name in enumerate(design.stage_names) if design.is_latent(j)]
    assert latent == ["engagement", "customer"]
    # A linear Gaussian chain: the true values are integrated out, not sampled.
    assert all(design.is_integrated(j) for j in (0, 1)) and not design.is_latent(2)
    names = {rv.name for rv in model.pymc_model.free_RVs}
    assert not any(name.startswith("latent_raw[") for name in names)
    assert "response_sd_std" not in names
    assert model.reliability()["true_values"].to_dict() == {
        "engagement": "integrated",
        "customer": "integrated",
        "growth": "in likelihood",
    }


def test_an_autoregressive_survey_stage_is_sampled_and_the_stage_it_feeds_integrated():
    chain = xl.Chain(
        stages=list(xl.datasets.SURVEY_CHAIN.stages),
        links=[*xl.datasets.SURVEY_CHAIN.links, xl.Link("engagement", "engagement", lag=1)],
        interventions=list(xl.datasets.SURVEY_CHAIN.interventions),
    )
    sim = survey_sim()
    model = xl.ChainModel(chain).build(sim.panel())
    names = {rv.name for rv in model.pymc_model.free_RVs}
    # engagement's autoregression couples its periods: sampled. customer's mean holds
    # engagement's sampled values, and customer's own true values are integrated.
    assert "latent_raw[engagement]" in names and "latent_raw[customer]" not in names
    (group,) = model.design.integrated
    assert [model.design.stage_names[j] for j in group.latent] == ["customer"]
    assert model.reliability()["true_values"].to_dict() == {
        "engagement": "sampled",
        "customer": "integrated",
    }


def test_sampled_true_values_are_saved_as_their_diagnostics(tmp_path):
    chain = xl.Chain(
        stages=list(xl.datasets.SURVEY_CHAIN.stages),
        links=[*xl.datasets.SURVEY_CHAIN.links, xl.Link("engagement", "engagement", lag=1)],
        interventions=list(xl.datasets.SURVEY_CHAIN.interventions),
    )
    sim = survey_sim(n_units=6, n_periods=6)
    with pytest.warns(xl.ConvergenceWarning):
        model = xl.ChainModel(chain).fit(
            sim.panel(), draws=20, tune=20, chains=2, random_seed=1, progressbar=False
        )
    assert "latent_raw[engagement]" in model.idata.posterior
    loaded = xl.ChainModel.load(model.save(tmp_path / "sampled.nc"))
    assert not [n for n in loaded.idata.posterior.data_vars if n.startswith("latent_raw[")]
    table = loaded.diagnostics().table
    assert (table["parameter"] == "latent_raw[engagement]").sum() == 6 * 6
    assert loaded.predict(draws=10).sizes["unit"] == 6


def test_a_survey_without_sd_estimates_the_response_sd():
    settings = {k: {**v, "report_sd": False} for k, v in SURVEYS["surveys"].items()}
    sim = survey_sim(surveys=settings)
    model = xl.ChainModel(sim.chain).build(sim.panel())
    assert "response_sd_std" in {rv.name for rv in model.pymc_model.free_RVs}
    table = model.default_priors().query("group == 'response_sd'")
    assert table["element"].tolist() == ["engagement", "customer"]


def test_reliability_matches_the_generators_signal_share():
    sim = survey_sim(n_units=80, n_periods=24, seed=5)
    model = xl.ChainModel(sim.chain).build(sim.panel())
    table = model.reliability()
    by_unit = sim.data[sim.unit]
    for stage in ("engagement", "customer"):
        truth = sim.true_values[stage]
        signal = (truth - truth.groupby(by_unit).transform("mean")).var()
        observed = sim.data[stage]
        total = (observed - observed.groupby(by_unit).transform("mean")).var()
        assert table.loc[stage, "reliability"] == pytest.approx(signal / total, abs=0.05)
        assert table.loc[stage, "responses_needed"] > table.loc[stage, "median_responses"]


def test_low_reliability_of_a_source_is_a_warning_with_responses_needed():
    noisy = {"engagement": {"responses": 5, "sd": 30}, "customer": {"responses": 200, "sd": 5}}
    sim = survey_sim(surveys=noisy)
    model = xl.ChainModel(sim.chain).build(sim.panel())
    warnings = reliability_warnings(model.design, reliability_table(model.design))
    assert len(warnings) == 1 and "'engagement'" in warnings[0]
    assert "responses per value" in warnings[0]
    table = reliability_table(model.design)
    assert table.loc["engagement", "low"] and not table.loc["customer", "low"]


def test_estimated_response_sd_gives_a_reliability_interval():
    settings = {k: {**v, "report_sd": False} for k, v in SURVEYS["surveys"].items()}
    sim = survey_sim(surveys=settings)
    model = xl.ChainModel(sim.chain).build(sim.panel())
    assert model.reliability()["reliability"].isna().all()
    draws = np.abs(np.random.default_rng(0).normal([14.0, 18.0], 1.0, size=(2, 50, 2)))
    posterior = xr.Dataset(
        {"response_sd": (("chain", "draw", "survey_estimated"), draws)},
        coords={"survey_estimated": ["engagement", "customer"]},
    )
    table = reliability_table(model.design, posterior)
    assert (table["lower"] < table["reliability"]).all()
    assert (table["reliability"] < table["upper"]).all()


def test_chain_file_names_survey_columns(tmp_path):
    sim = survey_sim()
    chain_file = tmp_path / "chain.yaml"
    text = sim.chain.to_yaml() + (
        "data:\n  surveys:\n    engagement: {n: engagement_n, sd: engagement_sd}\n"
        "    customer: {n: customer_n}\n"
    )
    chain_file.write_text(text)
    csv = tmp_path / "data.csv"
    sim.data.to_csv(csv, index=False)
    chain, columns = read_chain_file(chain_file)
    args = type("Args", (), {"unit": None, "period": None, "attributes": None})()
    panel = read_panel_csv(csv, chain, columns, args)
    assert panel.surveys["engagement"] == xl.Survey(n="engagement_n", sd="engagement_sd")
    assert panel.surveys["customer"].estimated
    chain_file.write_text(text.replace("n: customer_n", "n: customer_n, spread: 3"))
    with pytest.raises(ValueError, match=r"data.surveys.customer: .*unknown survey key 'spread'"):
        read_chain_file(chain_file)


@pytest.mark.slow
def test_survey_model_recovers_what_ignoring_sampling_error_misses(tmp_path):
    sim = survey_sim(n_units=100, n_periods=24, seed=1)
    naive_panel = xl.Panel.from_frame(
        sim.data,
        unit=sim.unit,
        period=sim.period,
        stages=list(sim.chain.stage_names),
        interventions=list(sim.chain.intervention_names),
    )
    kwargs = {"draws": 1000, "tune": 1000, "random_seed": 1, "progressbar": False}
    naive = xl.ChainModel(sim.chain).fit(naive_panel, **kwargs)
    model = xl.ChainModel(sim.chain).fit(sim.panel(), **kwargs)
    assert model.diagnostics().converged, model.diagnostics().headline()
    truth = {lk.label: lk.coef for lk in sim.truth.links}
    truth["programme -> engagement"] = sim.truth.long_run_effect("programme")["engagement"]
    for fitted, holds in ((model, True), (naive, False)):
        table = fitted.effects().assign(label=lambda t: _labels(t))
        for label, value in truth.items():
            row = table.set_index("label").loc[label]
            inside = row["lower"] <= value <= row["upper"]
            if holds:
                assert inside, (label, value, row[["mean", "lower", "upper"]].tolist())
                if "->" in label and "programme" not in label:
                    assert row["mean"] == pytest.approx(value, rel=0.15), label
    naive_links = naive.effects().assign(label=lambda t: _labels(t)).set_index("label")
    assert naive_links.loc["engagement -> customer", "upper"] < truth["engagement -> customer"]
    total = model.total_effects().long_run.sel(intervention="programme", stage="growth")
    value = sim.truth.long_run_effect("programme")["growth"]
    assert float(total.mean()) == pytest.approx(value, rel=0.15)
    naive_total = naive.total_effects().long_run.sel(intervention="programme", stage="growth")
    assert float(naive_total.quantile(0.95)) < value
    path = model.save(tmp_path / "survey.nc")
    loaded = xl.ChainModel.load(path)
    assert loaded.panel.surveys == model.panel.surveys
    pd.testing.assert_frame_equal(loaded.reliability(), model.reliability())
    assert loaded.diagnostics().converged
    # The true values are integrated out: predictions rest on the parameters alone, and a
    # loaded model predicts what the fitted one did.
    xr.testing.assert_allclose(loaded.predict(draws=50), model.predict(draws=50))


def _labels(table: pd.DataFrame) -> list[str]:
    return [
        f"{s} -> {t}" + (f" (lag {lag})" if lag else "")
        for s, t, lag in zip(table["source"], table["target"], table["lag"], strict=True)
    ]


def test_nps_and_proportion_surveys_build_with_their_own_variance():
    rng = np.random.default_rng(7)
    rows = []
    for unit in [f"b{i}" for i in range(8)]:
        for month in range(1, 9):
            for _ in range(int(rng.integers(8, 20))):
                rows.append(
                    {
                        "branch": unit,
                        "month": month,
                        "q_engaged": float(rng.integers(1, 6)),
                        "recommend": float(rng.integers(0, 11)),
                    }
                )
    panel = xl.Panel.from_responses(
        pd.DataFrame(rows),
        unit="branch",
        period="month",
        stages={"engagement": "q_engaged"},
        nps={"nps": "recommend"},
        min_responses=3,
    )
    chain = xl.Chain(
        stages=[xl.Stage("engagement", "ex"), xl.Stage("nps", "cx")],
        links=[xl.Link("engagement", "nps")],
    )
    model = xl.ChainModel(chain).build(panel)
    design = model.design
    nps = design.surveys[1]
    assert nps.kind == "nps" and not nps.latent and not nps.estimated
    frame = panel.to_frame()
    p, d = frame["nps_promoters"], frame["nps_detractors"]
    n = frame["nps_n"]
    cell = 100.0**2 * (
        (p * n + 0.5) / (n + 1.5)
        + (d * n + 0.5) / (n + 1.5)
        - ((p * n + 0.5) / (n + 1.5) - (d * n + 0.5) / (n + 1.5)) ** 2
    )
    pooled = (cell * (n - 1)).groupby(frame["branch"]).sum() / (n - 1).groupby(
        frame["branch"]
    ).sum()
    scaled = nps.variance * design.sds[1] ** 2
    assert scaled[:, 0] == pytest.approx(pooled.to_numpy())
    # engagement's true values are integrated out with nps, its target, which adds its own
    # sampling error to its spread.
    assert design.integrated[0].order == (0, 1) and design.integrated[0].latent == {0}
    assert model.reliability().loc["nps", "kind"] == "nps"


def test_a_chain_without_interventions_builds_and_says_why_it_has_no_total_effects():
    sim = survey_sim()
    chain = xl.Chain(stages=list(sim.chain.stages), links=list(sim.chain.links))
    panel = xl.Panel.from_frame(
        sim.data, unit="unit", period="period", stages=list(chain.stage_names), surveys=sim.surveys
    )
    model = xl.ChainModel(chain).build(panel)
    from exlink.models.total_effects import total_effects

    with pytest.raises(ValueError, match="no interventions"):
        total_effects(model.design, xr.Dataset(), 12)


def test_diagnostics_show_each_survey_stages_reliability():
    from exlink.models.diagnostics import diagnose

    sim = survey_sim()
    model = xl.ChainModel(sim.chain).build(sim.panel())
    rng = np.random.default_rng(1)
    posterior = xr.Dataset({"beta_std": (("chain", "draw", "link"), rng.normal(size=(2, 50, 2)))})
    idata = xr.DataTree.from_dict({"/posterior": posterior})
    health = diagnose(idata, model.design)
    expected = model.reliability()["reliability"]
    assert health.reliability["reliability"].tolist() == pytest.approx(expected.tolist())
    text = repr(health)
    assert "Survey reliability" in text
    assert f"engagement {expected['engagement']:.2f}" in text
    plain = xl.ChainModel(sim.chain).build(
        xl.Panel.from_frame(
            sim.data,
            unit="unit",
            period="period",
            stages=list(sim.chain.stage_names),
            interventions=list(sim.chain.intervention_names),
        )
    )
    assert diagnose(idata, plain.design).reliability is None
    assert "Survey reliability" not in repr(diagnose(idata, plain.design))


def test_a_noisy_survey_stage_counts_fewer_units_for_its_period_effects():
    from exlink.models.reliability import signal_share

    noisy = {"engagement": {"responses": 5, "sd": 30}, "customer": {"responses": 400, "sd": 5}}
    sim = survey_sim(n_units=40, surveys=noisy)
    model = xl.ChainModel(sim.chain).build(sim.panel())
    design = model.design
    shares = [signal_share(design, j) for j in range(3)]
    assert shares[0] < 0.5 < shares[1] < 1.0 == shares[2]
    # 40 units x a signal share under 0.75 fall short of the 30 a centred form needs.
    names = {rv.name for rv in model.pymc_model.free_RVs}
    # customer's survey means feed growth: growth's period levels follow customer's
    # (exlink.models.levels), and the centred stages are sampled as levels.
    assert {"period_level_centred", "period_effect_raw"} <= names
    coords = model.pymc_model.coords
    assert coords["period_noncentred_stage"] == ("engagement",)
    assert coords["period_centred_stage"] == ("customer", "growth")


STUDENT_CUSTOMER = xl.Chain(
    stages=[
        st if st.name != "customer" else xl.Stage("customer", "cx", likelihood="student_t")
        for st in xl.datasets.SURVEY_CHAIN.stages
    ],
    links=list(xl.datasets.SURVEY_CHAIN.links),
    interventions=list(xl.datasets.SURVEY_CHAIN.interventions),
)
"""The survey chain with a Student-t customer stage: engagement's input to it is folded."""


def test_a_folded_target_fits_saves_and_predicts_as_before(tmp_path):
    # engagement is a survey stage feeding a Student-t customer stage: engagement's true
    # values are integrated, customer takes their input as one sampled value per cell.
    chain = STUDENT_CUSTOMER
    settings = {**SURVEYS, "surveys": {"engagement": SURVEYS["surveys"]["engagement"]}}
    sim = xl.datasets.make_service_chain(6, 6, seed=4, chain=chain, **settings)
    with pytest.warns(xl.ConvergenceWarning):
        model = xl.ChainModel(chain).fit(
            sim.panel(), draws=20, tune=20, chains=2, random_seed=1, progressbar=False
        )
    assert model.reliability()["true_values"].to_dict() == {"engagement": "integrated"}
    assert "latent_raw[customer inputs]" in model.idata.posterior
    assert "latent_raw[engagement]" not in model.idata.posterior
    before = model.predict(draws=None).sel(stage="customer")
    loaded = xl.ChainModel.load(model.save(tmp_path / "folded.nc"))
    table = loaded.diagnostics().table
    assert (table["parameter"] == "latent_raw[customer inputs]").sum() == 6 * 6
    after = loaded.predict(draws=None).sel(stage="customer")
    np.testing.assert_allclose(after, before, rtol=1e-8)


@pytest.mark.slow
def test_a_student_t_survey_stage_fed_by_an_integrated_one_recovers_the_truth():
    # engagement's true values are integrated; customer, a Student-t survey stage, has its
    # true values sampled and takes engagement's input as one sampled value per cell.
    chain = STUDENT_CUSTOMER
    sim = xl.datasets.make_service_chain(60, 18, seed=3, chain=chain, **SURVEYS)
    # target_accept 0.95: the funnel between a Student-t stage's spread and its sampled
    # true values (the fit's own advice when it meets a divergence).
    model = xl.ChainModel(chain).fit(
        sim.panel(), random_seed=2, target_accept=0.95, progressbar=False
    )
    (group,) = model.design.integrated
    assert [model.design.stage_names[j] for j in group.folded] == ["customer"]
    assert model.diagnostics().converged, model.diagnostics().headline()
    table = model.effects(hdi_prob=0.9).assign(label=lambda t: _labels(t)).set_index("label")
    truth = {lk.label: lk.coef for lk in sim.truth.links}
    truth["programme -> engagement"] = sim.truth.long_run_effect("programme")["engagement"]
    for label, value in truth.items():
        row = table.loc[label]
        assert row["lower"] <= value <= row["upper"], (label, value, row.tolist())

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from exlink.datasets import (
    DEFAULT_CHAIN,
    RETAIL_BANK_CHAIN,
    RETAIL_BANK_SURVEYS,
    ChainTruth,
    build_retail_bank,
    load_retail_bank,
    make_service_chain,
)
from exlink.spec import Chain, Intervention, Link, Stage


def test_same_seed_same_data_other_seed_other_data():
    a = make_service_chain(n_units=12, n_periods=10, seed=5)
    b = make_service_chain(n_units=12, n_periods=10, seed=5)
    c = make_service_chain(n_units=12, n_periods=10, seed=6)
    pd.testing.assert_frame_equal(a.data, b.data)
    pd.testing.assert_frame_equal(a.truth.unit_effects, b.truth.unit_effects)
    assert not np.allclose(a.data["nps"], c.data["nps"])


def test_shape_columns_and_panel():
    sim = make_service_chain(n_units=15, n_periods=12, seed=1, start="2022-04-15")
    assert len(sim.data) == 15 * 12
    expected = {
        "unit",
        "period",
        "region",
        "culture",
        "headcount",
        *DEFAULT_CHAIN.stage_names,
        *DEFAULT_CHAIN.intervention_names,
    }
    assert set(sim.data.columns) == expected
    panel = sim.panel()
    assert panel.frequency == "month"
    assert panel.format_period(panel.periods[0]) == "2022-04"
    assert panel.is_balanced and panel.missing.sum() == 0


def test_rollouts_are_staggered_and_permanent_by_default():
    sim = make_service_chain(n_units=40, n_periods=24, seed=2)
    rollout = sim.panel().rollout()
    assert (rollout["units_treated"] == 20).all()
    assert (rollout["waves"] == 3).all()
    coaching = sim.data.pivot(index="unit", columns="period", values="coaching").to_numpy()
    assert set(np.unique(coaching)) == {0.0, 1.0}
    assert (np.diff(coaching, axis=1) >= 0).all(), "a permanent rollout never switches off"


def test_rollout_with_duration_stops():
    sim = make_service_chain(
        n_units=10,
        n_periods=20,
        seed=3,
        rollouts={"coaching": {"coverage": 1.0, "waves": 1, "first_wave": 2, "duration": 5}},
    )
    coaching = sim.data.pivot(index="unit", columns="period", values="coaching").to_numpy()
    assert (
        (coaching[:, 2:7] == 1).all() and coaching[:, :2].sum() == 0 and coaching[:, 7:].sum() == 0
    )


def test_exposure_ramps_up_and_fades_at_its_rates():
    chain = Chain(
        [Stage("e", "ex"), Stage("c", "cx")],
        [Link("e", "c")],
        [Intervention("k", "e", lever="people", fade=True)],
    )
    sim = make_service_chain(
        n_units=5,
        n_periods=10,
        seed=0,
        chain=chain,
        interventions={"k": {"ramp_rate": 0.5, "fade_rate": 0.25}},
    )
    exposure = sim.truth.exposure("k", np.array([0, 1, 1, 1, 0, 0]))
    np.testing.assert_allclose(exposure, [0, 0.5, 0.75, 0.875, 0.65625, 0.4921875])


def test_expected_effect_matches_hand_computation_on_a_linear_chain():
    sim = make_service_chain(
        n_units=5,
        n_periods=6,
        seed=0,
        interventions={"coaching": {"effects": {"engagement": 2.0}, "ramp_rate": 1.0}},
    )
    effect = sim.truth.expected_effect({"coaching": np.ones(4)})
    beta_en, beta_nr, beta_rr = 0.6, 0.08, 4.0
    np.testing.assert_allclose(effect["engagement"], [2, 2, 2, 2])
    np.testing.assert_allclose(effect["nps"], [2 * beta_en] * 4)
    np.testing.assert_allclose(effect["retention"], [0, *[2 * beta_en * beta_nr] * 3])
    np.testing.assert_allclose(effect["revenue"], [0, 0, *[2 * beta_en * beta_nr * beta_rr] * 2])
    long_run = sim.truth.long_run_effect("coaching", level=0.5)
    assert long_run["revenue"] == pytest.approx(beta_en * beta_nr * beta_rr)


def test_broken_link_stops_the_effect_downstream():
    sim = make_service_chain(n_units=8, n_periods=8, seed=0, links={"engagement -> nps": 0.0})
    long_run = sim.truth.long_run_effect("coaching")
    assert long_run["engagement"] == pytest.approx(4.0)
    assert long_run[["nps", "retention", "revenue"]].abs().max() == 0.0


@pytest.mark.parametrize("seed", [11, 12])
def test_generated_data_follow_the_truth(seed):
    """A two-way fixed-effects regression of nps on engagement recovers the true link."""
    sim = make_service_chain(n_units=80, n_periods=20, seed=seed)
    fit = smf.ols("nps ~ engagement + C(unit) + C(period)", sim.data).fit()
    slope, se = fit.params["engagement"], fit.bse["engagement"]
    assert abs(slope - 0.6) < 3 * se, (slope, se)
    assert se < 0.05


def test_moderation_and_threshold_forms():
    chain = Chain(
        [Stage("e", "ex"), Stage("c", "cx"), Stage("r", "customer")],
        [Link("e", "c", moderator="culture"), Link("c", "r", form="threshold")],
        [Intervention("k", "e", lever="people")],
    )
    sim = make_service_chain(
        n_units=30,
        n_periods=6,
        seed=4,
        chain=chain,
        links={"e -> c": {"coef": 0.5, "moderation": 0.2}},
    )
    culture = sim.truth.attributes["culture"]
    high, low = culture.idxmax(), culture.idxmin()
    effect_high = sim.truth.long_run_effect("k", unit=high)["c"]
    effect_low = sim.truth.long_run_effect("k", unit=low)["c"]
    center, scale = sim.truth.standardisation["culture"]
    assert effect_high - effect_low == pytest.approx(
        sim.truth.long_run_effect("k")["e"] * 0.2 * (culture[high] - culture[low]) / scale
    )
    assert center == pytest.approx(culture.mean())
    link = sim.truth.links[1]
    assert link.form == "threshold"
    assert link.reference > sim.truth.stages["c"].intercept


def test_missing_rate_blanks_values():
    sim = make_service_chain(n_units=50, n_periods=20, seed=0, missing_rate={"nps": 0.1})
    share = sim.data["nps"].isna().mean()
    assert 0.07 < share < 0.13
    assert sim.data["engagement"].notna().all()


def test_student_t_stage_gets_heavy_tails():
    chain = Chain([Stage("e", "ex"), Stage("c", "cx", likelihood="student_t")], [Link("e", "c")])
    sim = make_service_chain(n_units=5, n_periods=5, seed=0, chain=chain)
    assert sim.truth.stages["c"].nu == 5.0
    assert sim.truth.stages["e"].nu is None


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"links": {"engagement -> NPS": 0.5}}, ["engagement -> NPS", "engagement -> nps"]),
        ({"stages": {"revenu": {"intercept": 1.0}}}, ["revenu", "revenue"]),
        ({"stages": {"revenue": {"mean": 1.0}}}, ["mean"]),
        ({"interventions": {"coaching": {"effects": {"nps": 1.0}}}}, ["nps", "coaching"]),
        ({"interventions": {"coaching": {"ramp_rate": 0.0}}}, ["ramp_rate"]),
        ({"rollouts": {"coaching": {"coverage": 2.0}}}, ["coverage"]),
        ({"rollouts": {"coaching": {"first_wave": 30}}}, ["first_wave"]),
        ({"rollouts": {"coachin": {}}}, ["coachin"]),
        ({"missing_rate": 1.0}, ["missing_rate"]),
        ({"n_units": 2}, ["n_units"]),
    ],
)
def test_generator_refuses_bad_settings(kwargs, words):
    with pytest.raises(ValueError) as err:
        make_service_chain(**({"n_units": 10, "n_periods": 12} | kwargs))
    for word in words:
        assert word in str(err.value)


def test_truth_round_trips_through_json():
    truth = make_service_chain(n_units=6, n_periods=5, seed=9, start="2024-01-01").truth
    again = ChainTruth.from_json(truth.to_json())
    assert again.chain == truth.chain and again.links == truth.links
    pd.testing.assert_frame_equal(again.period_effects, truth.period_effects, check_freq=False)
    pd.testing.assert_frame_equal(again.attributes, truth.attributes, check_dtype=False)
    pd.testing.assert_series_equal(
        again.long_run_effect("coaching", unit="U003"),
        truth.long_run_effect("coaching", unit="U003"),
    )


def test_coefficients_table():
    table = make_service_chain(n_units=6, n_periods=5).truth.coefficients()
    assert list(table["kind"]) == ["link"] * 3 + ["intervention"] * 3
    row = table[(table.source == "nps") & (table.target == "retention")].iloc[0]
    assert (row.lag, row.value) == (1, 0.08)


# -- the bundled retail bank -----------------------------------------------------------------


@pytest.fixture(scope="module")
def bank():
    return load_retail_bank()


def test_bundled_data_match_their_documented_shape(bank):
    assert bank.data.shape == (4320, 21)
    panel = bank.panel()
    assert (panel.n_units, panel.n_periods, panel.frequency) == (120, 36, "month")
    assert panel.periods[0] == pd.Timestamp("2023-01-01")
    assert bank.chain == RETAIL_BANK_CHAIN
    assert set(bank.chain.by_role()["cx"]) == {
        "nps",
        "personalisation",
        "integrity",
        "expectations",
        "resolution",
        "time_effort",
        "empathy",
    }
    levers = {k.name: k.lever for k in bank.chain.interventions}
    assert levers == {
        "coaching": "people",
        "scheduling_tool": "technology",
        "complaint_redesign": "process",
    }
    rollout = panel.rollout()
    assert (rollout["waves"] >= 2).all()
    assert 0.01 < panel.missing["nps"] / 4320 < 0.04


def test_bundled_data_are_what_the_generator_makes(bank):
    fresh = build_retail_bank()
    pd.testing.assert_frame_equal(bank.data, fresh.data, check_dtype=False, rtol=1e-5)
    assert bank.truth.links == fresh.truth.links
    assert bank.truth.interventions == fresh.truth.interventions
    pd.testing.assert_frame_equal(bank.truth.unit_effects, fresh.truth.unit_effects)


def test_the_bank_with_surveys_is_the_bundled_bank_seen_through_survey_means(bank):
    surveyed = build_retail_bank(surveys=True)
    panel = surveyed.panel()
    cx = bank.chain.by_role()["cx"]
    assert set(panel.surveys) == set(RETAIL_BANK_SURVEYS) == {"engagement", "enablement", *cx}
    data = surveyed.data
    for stage in ("attrition_rate", "retention", "revenue", "cost_to_serve"):
        np.testing.assert_allclose(data[stage], bank.data[stage], rtol=1e-5, atol=1e-3)
    for stage, spec in RETAIL_BANK_SURVEYS.items():
        missing = data[stage].isna()
        assert (missing == bank.data[stage].isna()).all()
        assert (data.loc[missing, f"{stage}_n"] == 0).all()
        assert (data.loc[~missing, f"{stage}_n"] >= 2).all()
        # The true values are the bundled bank's; the means miss them by the sampling error.
        truth = surveyed.true_values[stage][~missing]
        np.testing.assert_allclose(truth, bank.data[stage][~missing], rtol=1e-5, atol=1e-3)
        error = data[stage][~missing] - truth
        assert error.abs().max() > 0
        standardised = (error**2 * data[f"{stage}_n"][~missing] / spec["sd"] ** 2).mean()
        assert standardised == pytest.approx(1.0, abs=0.1), stage


def test_bundled_truth_is_usable(bank):
    effect = bank.truth.long_run_effect("complaint_redesign")
    assert effect["resolution"] == pytest.approx(4.0)
    assert effect["nps"] == pytest.approx(4.0 * 0.35)
    assert effect["cost_to_serve"] < 0
    assert bank.truth.interventions["complaint_redesign"].fade_rate == 0.2

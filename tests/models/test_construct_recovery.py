"""Recovery of constructs measured by items, on a generated panel with known loadings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from construct_chain import CHAIN, ITEMS

import exlink as xl
from exlink.report import write_html
from exlink.spec import Chain, Construct, Link, Stage

pytestmark = pytest.mark.slow

LINKS = {"engagement -> cx_quality": 0.6, "cx_quality -> revenue (lag 1)": 3.0}
ITEMS = ITEMS | {"engagement": ITEMS["engagement"] | {"noise_sd": 3.0}}


@pytest.fixture(scope="module")
def recovered():
    sim = xl.datasets.make_service_chain(
        30,
        14,
        seed=4,
        chain=CHAIN,
        links=LINKS,
        interventions={"coaching": {"effects": {"engagement": 4.0}, "ramp_rate": 0.5}},
        constructs=ITEMS,
        # One item is itself a survey mean: its sampling error adds to its own noise.
        surveys={"integrity": {"responses": 20, "sd": 8.0}},
    )
    model = xl.ChainModel(sim.chain).fit(sim.panel(), chains=4, random_seed=2)
    return sim, model


def test_links_and_effect_inside_their_intervals(recovered):
    _, model = recovered
    assert model.diagnostics().converged, model.diagnostics()
    table = model.effects(hdi_prob=0.9).set_index(["source", "target"])
    truth = {
        ("engagement", "cx_quality"): 0.6,
        ("cx_quality", "revenue"): 3.0,
        ("coaching", "engagement"): 4.0,
    }
    for key, value in truth.items():
        row = table.loc[key]
        assert row["lower"] <= value <= row["upper"], (key, row["lower"], row["upper"])
    for key in list(truth)[:2]:
        assert table.loc[key, "mean"] == pytest.approx(truth[key], rel=0.15)


def test_loadings_and_item_noise_inside_their_intervals(recovered):
    """17 measurement parameters: each inside its 99% interval, 80% inside their 90% ones.

    (With 17 independent 90% intervals, all 17 covering happens in only 17% of data sets.)
    """
    sim, model = recovered
    covered = {0.9: [], 0.99: []}
    for level, hits in covered.items():
        items = model.measurement(hdi_prob=level).items
        for construct, spec in sim.constructs.items():
            for k, item in enumerate(spec["items"]):
                row = items.loc[(construct, item)]
                for name, truth in (
                    ("loading", spec["loadings"][k]),
                    ("intercept", spec["intercepts"][k]),
                    ("item_sd", spec["noise_sd"][k]),
                ):
                    if k == 0 and name != "item_sd":
                        continue  # the marker's, fixed
                    hits.append((row[f"{name}_lower"] <= truth <= row[f"{name}_upper"], item, name))
    assert len(covered[0.99]) == 17
    assert all(hit for hit, *_ in covered[0.99]), [m for m in covered[0.99] if not m[0]]
    assert sum(hit for hit, *_ in covered[0.9]) >= 0.8 * 17, covered[0.9]


def test_a_construct_carries_the_total_effect(recovered):
    _, model = recovered
    long_run = model.total_effects(horizon=6)["long_run"].sel(intervention="coaching")
    # A full coaching rollout: +4 points of engagement, 0.6 of each reaching the CX
    # construct, 3 of each CX point reaching revenue a period later.
    for stage, truth in (("cx_quality", 4.0 * 0.6), ("revenue", 4.0 * 0.6 * 3.0)):
        draws = long_run.sel(stage=stage).values.ravel()
        lower, upper = np.quantile(draws, [0.05, 0.95])
        assert lower <= truth <= upper, (stage, lower, upper)


def test_simulation_and_report_carry_the_constructs(recovered, tmp_path):
    sim, model = recovered
    investments = [
        xl.Investment(
            "coaching_rollout",
            intervention="coaching",
            units="untreated",
            cost_upfront=4.0,
            cost_per_period=0.25,
        )
    ]
    result = xl.simulate(model, investments, xl.Finance(horizon=12, margin=0.35))
    summary = result.summary()
    assert np.isfinite(summary["npv_mean"]).all()
    path = write_html(model, result, tmp_path / "report.html")
    text = path.read_text()
    assert "Constructs and their items" in text and "Item covariance check" in text
    for item in sim.constructs["cx_quality"]["items"]:
        assert item in text


@pytest.fixture(scope="module")
def driver_survey():
    """One wave of 250 customers: a service construct (3 items) drives loyalty (observed)."""
    rng = np.random.default_rng(7)
    n = 250
    service = rng.normal(5.0, 1.2, n)
    frame = pd.DataFrame(
        {
            "q_resolution": service + rng.normal(0, 0.6, n),
            "q_effort": 1.0 + 0.8 * service + rng.normal(0, 0.7, n),
            "q_empathy": -0.5 + 1.1 * service + rng.normal(0, 0.8, n),
            "loyalty": 2.0 + 0.5 * service + rng.normal(0, 0.5, n),
        }
    )
    chain = Chain(
        stages=[
            Construct("service", ["q_resolution", "q_effort", "q_empathy"], "cx"),
            Stage("loyalty", "customer"),
        ],
        links=[Link("service", "loyalty")],
    )
    panel = xl.Panel.from_cross_section(frame, stages=list(frame.columns))
    return xl.ChainModel(chain).fit(panel, chains=4, random_seed=3)


def test_key_driver_analysis_on_one_wave(driver_survey):
    assert driver_survey.diagnostics().converged, driver_survey.diagnostics()
    row = driver_survey.effects(hdi_prob=0.9).iloc[0]
    assert row["lower"] <= 0.5 <= row["upper"]
    assert row["mean"] == pytest.approx(0.5, rel=0.15)
    items = driver_survey.measurement().items
    assert items.loc[("service", "q_empathy"), "loading_lower"] <= 1.1
    assert items.loc[("service", "q_empathy"), "loading_upper"] >= 1.1


def test_the_item_covariance_check_passes_a_true_model(driver_survey):
    fit = driver_survey.measurement().fit
    assert fit.rows == 250
    assert fit.fits and fit.ppp > 0.1, fit.sentence()
    assert fit.srmr < 0.05


def test_checks_without_refits_read_a_construct_through_its_marker(recovered):
    _, model = recovered
    study = xl.checks.event_study(model, draws=200)
    verdicts = study.verdicts()
    assert list(verdicts.subject) == ["coaching -> engagement"]
    # A true effect with no pre-trend: the event study passes, with numbers behind it.
    assert verdicts.status.iloc[0] == "passed", verdicts.message.iloc[0]
    assert len(study.details) and np.isfinite(study.details["mean"]).all()
    direction = xl.checks.reverse_direction(model).verdicts()
    assert set(direction.subject) == {"engagement -> cx_quality", "cx_quality -> revenue (lag 1)"}
    assert (direction.status == "passed").all(), direction.message.tolist()


def test_a_placebo_refit_runs_on_a_construct_target(recovered):
    _, model = recovered
    result = xl.checks.placebo_in_time(model, fit={"draws": 200, "tune": 200, "chains": 2})
    verdicts = result.verdicts()
    assert list(verdicts.subject) == ["coaching -> engagement"]
    # The rollout has no effect before it starts: the placebo's interval holds zero.
    assert verdicts.status.iloc[0] == "passed", verdicts.message.iloc[0]

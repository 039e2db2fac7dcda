"""Real sampling: clean data pass every check, a pre-trend trips its placebo, pilots calibrate.

The reverse-causation and confounder threats trip the reverse-direction check
in ``test_direction_and_baseline.py``: that check reads the data alone.
"""

import warnings

import numpy as np
import pytest

import exlink as xl
from exlink.datasets import make_service_chain

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings(
        "ignore::exlink.ConvergenceWarning", "ignore::exlink.IdentificationWarning"
    ),
]
SIZE = {"n_units": 40, "n_periods": 18, "seed": 4}
FIT = {"draws": 500, "tune": 500, "chains": 2, "random_seed": 1, "progressbar": False}
TRUE_COACHING = 4.0
PRETREND = {"coaching": {"engagement": 4.0}}


def fit(sim, experiment=None):
    model = xl.ChainModel(sim.chain)
    if experiment:
        model.add_experiment(*experiment)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(sim.panel(), **FIT)


@pytest.fixture(scope="module")
def trended():
    sim = make_service_chain(**SIZE, pretrend=PRETREND)
    return sim, fit(sim)


def coaching(model):
    row = model.effects().set_index(["source", "target"]).loc[("coaching", "engagement")]
    return float(row["mean"]), float(row["sd"])


def test_clean_data_pass_every_check(tmp_path):
    sim = make_service_chain(**SIZE)
    model = fit(sim)
    report = xl.checks.check_all(model)
    verdicts = report.verdicts()
    assert report.passed, report
    assert set(verdicts["status"]) == {"passed"}, verdicts
    # After the start the event study traces the true ramp of coaching (rate 0.35).
    curve = report["event_study"].details.query(
        "subject == 'coaching -> engagement' and relative_period >= 0"
    )
    truth = TRUE_COACHING * (1 - 0.65 ** (curve["relative_period"] + 1))
    inside = (curve["lower"] <= truth) & (truth <= curve["upper"])
    assert inside.mean() >= 0.75, curve.assign(truth=truth)
    investments = [xl.Investment("more", intervention="coaching", cost_upfront=1.0)]
    # A short 2 x 500 fit, enough for the checks but not for the health standard: the
    # simulation is allowed, and the report says it was.
    result = xl.simulate(
        model, investments, xl.Finance(horizon=6), draws=50, random_seed=1, allow_unconverged=True
    )
    from exlink.report import write_html

    text = write_html(model, result, tmp_path / "r.html", checks=report).read_text()
    assert "Every check passed" in text
    assert "id='unconverged'" in text


def test_a_pretrend_trips_the_placebo_in_time(trended):
    _, model = trended
    result = xl.checks.placebo_in_time(model)
    status = result.table.set_index("subject")["status"]
    assert status["coaching -> engagement"] == "failed", result
    assert status.drop("coaching -> engagement").eq("passed").all(), result
    assert "pre-trend" in result.failures["message"].iloc[0]
    biased, _ = coaching(model)
    assert biased > TRUE_COACHING + 1.0, "the pre-trend inflates the observational estimate"


def test_a_precise_pilot_pulls_the_biased_estimate_toward_the_truth(trended):
    sim, model = trended
    biased, biased_sd = coaching(model)
    precise, precise_sd = coaching(fit(sim, ("coaching", "engagement", TRUE_COACHING, 0.3)))
    vague, _ = coaching(fit(sim, ("coaching", "engagement", TRUE_COACHING, 100.0)))
    assert abs(precise - TRUE_COACHING) < 0.6 * abs(biased - TRUE_COACHING)
    assert precise_sd < biased_sd
    assert abs(vague - biased) < 0.25 * biased_sd, "a pilot with a huge SE barely moves it"
    assert np.isfinite([precise, vague]).all()

"""Checks that need no sampling: reverse direction, and the baseline's event study and placebos."""

import pytest

import exlink as xl
from exlink.checks import reverse_direction
from exlink.datasets import make_service_chain
from exlink.datasets.threats import EXAMPLES
from exlink.models.baseline import BaselineModel
from exlink.plotting import check_figure

SIZE = {"n_units": 40, "n_periods": 18}
THREATS = EXAMPLES | {"reverse": EXAMPLES["feedback"]}


def built(threat: str, seed: int = 4) -> xl.ChainModel:
    sim = make_service_chain(**SIZE, seed=seed, **THREATS[threat])
    return xl.ChainModel(sim.chain).build(sim.panel())


@pytest.mark.parametrize("seed", [4, 5])
def test_reverse_direction_passes_a_causal_chain(seed):
    result = reverse_direction(built("clean", seed))
    assert result.passed, result
    assert set(result.table["status"]) == {"passed"}
    assert (result.table["forward"] > 0.2).all()


@pytest.mark.parametrize("threat", ["reverse", "confounder"])
@pytest.mark.parametrize("seed", [4, 5])
def test_reverse_causation_and_a_confounder_trip_the_link_they_fake(threat, seed):
    result = reverse_direction(built(threat, seed))
    failed = result.failures
    assert failed["subject"].tolist() == ["engagement -> nps"], result
    assert "reverse causation or a common cause" in failed["message"].iloc[0]
    assert result.verdicts().columns.tolist() == ["check", "subject", "status", "passed", "message"]


def test_reverse_direction_refuses_an_unknown_link_and_draws_a_figure():
    model = built("clean")
    with pytest.raises(ValueError, match="unknown link"):
        reverse_direction(model, links=["nps -> revenue"])
    result = reverse_direction(model, links="engagement -> nps")
    assert result.table["subject"].tolist() == ["engagement -> nps"]
    figure = check_figure(result)
    assert figure.axes[0].get_title() == "reverse direction"


def test_baseline_event_study_sees_the_pretrend_and_not_a_clean_panel():
    def study(threat):
        sim = make_service_chain(**SIZE, seed=4, **THREATS[threat])
        return BaselineModel(sim.chain).fit(sim.panel()).event_study("coaching", leads=4, lags=6)

    clean, trended = study("clean"), study("pretrend")
    assert clean["relative_period"].tolist() == list(range(-4, 7))
    reference = clean.set_index("relative_period").loc[-1]
    assert reference["estimate"] == 0 and reference["se"] == 0
    assert clean["pretrend_p_value"].iloc[0] > 0.01
    assert trended["pretrend_p_value"].iloc[0] < 0.01
    late = clean.query("relative_period >= 4")["estimate"].mean()
    before = clean.query("relative_period < 0")["estimate"].mean()
    assert late - before == pytest.approx(4.0, abs=1.0), "the true settled effect is 4"


def test_baseline_placebos():
    def placebo(threat, kind):
        sim = make_service_chain(**SIZE, seed=4, **THREATS[threat])
        return BaselineModel(sim.chain).fit(sim.panel()).placebo("coaching", kind).iloc[0]

    assert placebo("clean", "time")["p_value"] > 0.05
    assert placebo("clean", "space")["p_value"] > 0.05
    assert placebo("pretrend", "time")["p_value"] < 0.01
    model = BaselineModel(make_service_chain(**SIZE, seed=4).chain)
    with pytest.raises(RuntimeError, match="not fitted"):
        model.placebo("coaching")
    model.fit(make_service_chain(**SIZE, seed=4).panel())
    with pytest.raises(ValueError, match="'time' or 'space'"):
        model.placebo("coaching", "sideways")
    with pytest.raises(ValueError, match="unknown intervention"):
        model.event_study("yoga")

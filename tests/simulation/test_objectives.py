"""Each objective column is one defined number: a named stage or a stated weighted index."""

import numpy as np
import pytest
from posteriors import true_posterior

import exlink as xl
from exlink.datasets import make_service_chain

CHAIN = xl.Chain(
    stages=[
        xl.Stage("engagement", "ex"),
        xl.Stage("enablement", "ex"),
        xl.Stage("csat", "cx"),
        xl.Stage("nps", "cx"),
        xl.Stage("revenue", "financial"),
    ],
    links=[xl.Link("engagement", "nps"), xl.Link("nps", "revenue", lag=1)],
    interventions=[xl.Intervention("coaching", "engagement", lever="people")],
)


@pytest.fixture(scope="module")
def model():
    sim = make_service_chain(
        n_units=10,
        n_periods=10,
        seed=4,
        chain=CHAIN,
        links={"engagement -> nps": 0.8, "nps -> revenue (lag 1)": 3.0},
        interventions={"coaching": {"effects": {"engagement": 4.0}, "ramp_rate": 0.5}},
    )
    return true_posterior(sim)


def run(model, **kwargs):
    candidates = [xl.Investment("coach", intervention="coaching", units="all")]
    return xl.simulate(model, candidates, xl.Finance(horizon=8), **kwargs)


def test_a_role_with_several_stages_is_an_equal_weight_index(model):
    result = run(model)
    changes = result.stage_changes().set_index("stage")["mean"]
    assert changes["csat"] == pytest.approx(0.0, abs=1e-12) and changes["nps"] > 0
    sds = result.stage_sds
    row = result.summary().loc["coach"]
    # The first CX stage (csat) does not move; the index still sees NPS.
    assert row["cx_change"] == pytest.approx(0.5 * changes["nps"] / sds["nps"])
    assert row["ex_change"] == pytest.approx(0.5 * changes["engagement"] / sds["engagement"])
    assert np.isnan(row["customer_change"])
    words = result.summary().attrs["objectives"]
    assert words["cx_change"] == (
        "equal-weight index of csat, nps, each change in standard deviations of its stage"
    )


def test_the_user_names_the_stage_or_the_weights(model):
    result = run(model, objectives={"cx": "nps", "ex": {"engagement": 2.0, "enablement": 1.0}})
    changes = result.stage_changes().set_index("stage")["mean"]
    row = result.summary().loc["coach"]
    assert row["cx_change"] == pytest.approx(changes["nps"])
    sds = result.stage_sds
    assert row["ex_change"] == pytest.approx(
        2.0 * changes["engagement"] / sds["engagement"] + changes["enablement"] / sds["enablement"]
    )
    assert result.summary().attrs["objectives"]["cx_change"] == "change of nps"


@pytest.mark.parametrize(
    ("objectives", "words"),
    [
        ({"cx": "npx"}, "unknown stage 'npx'"),
        ({"staff": "nps"}, "unknown role 'staff'"),
        ({"cx": {"nps": "high"}}, "must be a number"),
        ({"cx": {"nps": 0.0}}, "all 0"),
        ({"cx": {}}, "names no stage"),
    ],
)
def test_bad_objectives_are_refused(model, objectives, words):
    with pytest.raises((ValueError, TypeError), match=words):
        run(model, objectives=objectives)


def test_a_fall_in_attrition_raises_the_default_staff_index():
    chain = xl.Chain(
        stages=[
            xl.Stage("engagement", "ex"),
            xl.Stage("attrition_rate", "ex"),
            xl.Stage("revenue", "financial"),
        ],
        links=[
            xl.Link("engagement", "attrition_rate"),
            xl.Link("engagement", "revenue", lag=1),
        ],
        interventions=[xl.Intervention("coaching", "engagement", lever="people")],
    )
    sim = make_service_chain(
        n_units=10,
        n_periods=10,
        seed=4,
        chain=chain,
        links={"engagement -> attrition_rate": -0.3, "engagement -> revenue (lag 1)": 2.0},
        interventions={"coaching": {"effects": {"engagement": 4.0}, "ramp_rate": 0.5}},
    )
    model = true_posterior(sim)
    result = run(model)
    assert result.objectives["ex"] == {"engagement": 0.5, "attrition_rate": -0.5}
    changes = result.stage_changes().set_index("stage")["mean"]
    assert changes["attrition_rate"] < 0 < changes["engagement"]
    sds = result.stage_sds
    expected = 0.5 * changes["engagement"] / sds["engagement"]
    expected -= 0.5 * changes["attrition_rate"] / sds["attrition_rate"]
    assert result.summary().loc["coach", "ex_change"] == pytest.approx(expected)
    assert expected > 0.5 * changes["engagement"] / sds["engagement"]
    words = result.summary().attrs["objectives"]["ex_change"]
    assert words.startswith("equal-weight index of engagement, attrition_rate (falling)")
    # Weights the user gives are kept as given.
    given = run(model, objectives={"ex": {"engagement": 1.0, "attrition_rate": 1.0}})
    assert given.objectives["ex"] == {"engagement": 1.0, "attrition_rate": 1.0}

"""Investments offered in segments: each segment a decision, the fixed cost paid once."""

import itertools

import numpy as np
import pytest
from posteriors import true_posterior

import exlink as xl
from exlink.datasets import make_service_chain

pytestmark = pytest.mark.filterwarnings("ignore::exlink.ConvergenceWarning")


@pytest.fixture(scope="module")
def model():
    sim = make_service_chain(n_units=16, n_periods=10, seed=8)
    return true_posterior(sim, n_samples=10, spread=0.3, seed=1)


FINANCE = xl.Finance(horizon=12, discount_rate=0.05, money_per_stage_unit=1.0, margin=1.0)


def coaching(**kwargs):
    settings = {"units": "untreated", "cost_upfront": 1.0, "cost_fixed": 6.0} | kwargs
    return xl.Investment("coach", intervention="coaching", **settings)


def simulate(model, investments, **kwargs):
    return xl.simulate(model, investments, FINANCE, allow_unconverged=True, **kwargs)


def test_segments_by_attribute_are_the_whole_investment_in_parts(model):
    whole = xl.Investment(
        "whole", intervention="coaching", units="untreated", cost_upfront=1.0, cost_fixed=6.0
    )
    result = simulate(model, [whole, coaching(segments="region")], random_seed=1)
    regions = model.panel.attributes["region"]
    parts = [n for n in result.names if n.startswith("coach.")]
    assert parts == [
        f"coach.{r}"
        for r in sorted(set(regions[result.by_unit().query("investment == 'whole'")["unit"]]))
    ]
    reached = result.by_unit().groupby("investment")["unit"].apply(set)
    assert set().union(*(reached[p] for p in parts)) == reached["whole"]
    assert sum(len(reached[p]) for p in parts) == len(reached["whole"])  # disjoint
    for part in parts:
        assert {regions[u] for u in reached[part]} == {part.split(".", 1)[1]}
    # All segments together are the whole investment, fixed cost paid once.
    np.testing.assert_allclose(
        result.portfolio_npv(parts).values,
        result.npv().sel(investment="whole").values,
        rtol=1e-10,
    )
    assert result.portfolio_cost(parts) == pytest.approx(float(result.total_cost()["whole"]))
    each = result.total_cost()[parts].sum()
    assert each == pytest.approx(result.portfolio_cost(parts) + 6.0 * (len(parts) - 1))


def test_the_plan_chooses_segments_on_joint_values_and_costs(model):
    result = simulate(model, [coaching(segments="region")], random_seed=1)
    names = result.names
    budget = 0.6 * result.portfolio_cost(names)
    best, best_plan = -np.inf, None
    for size in range(len(names) + 1):
        for chosen in itertools.combinations(names, size):
            if result.portfolio_cost(list(chosen)) > budget + 1e-9:
                continue
            value = result.portfolio_npv(list(chosen)).values.mean()
            if value > best + 1e-9:
                best, best_plan = value, chosen
    plan = xl.prioritise(result, budget)
    assert plan.expected_npv == pytest.approx(best), (plan.selected, best_plan)
    assert plan.cost == pytest.approx(result.portfolio_cost(plan.selected))
    assert plan.cost <= budget
    assert len(plan.selected) >= 2, "the case needs a plan of several segments"


def test_segments_named_by_selection(model):
    attributes = model.panel.attributes
    segments = {"north_east": {"region": ["north", "east"]}, "big": "headcount >= 25"}
    taken = attributes.index[attributes["region"].isin(["north", "east"])]
    inv = coaching(
        segments=segments,
        units=list(
            attributes.index.difference(
                attributes.index[
                    (attributes["headcount"] >= 25) & attributes["region"].isin(["north", "east"])
                ]
            )
        ),
    )
    result = simulate(model, [inv])
    reached = result.by_unit().groupby("investment")["unit"].apply(set)
    assert reached["coach.north_east"] <= set(taken)
    assert all(attributes.loc[u, "headcount"] >= 25 for u in reached["coach.big"])


@pytest.mark.parametrize(
    ("segments", "words"),
    [
        ("regoin", "unknown attribute 'regoin'"),
        ({"a": {"region": "north"}, "b": "culture >= 1"}, "must not overlap"),
        ({"a": ["U999"]}, "unknown unit"),
        ({}, "segments is a unit attribute"),
    ],
)
def test_bad_segments_are_refused(model, segments, words):
    with pytest.raises((ValueError, TypeError), match=words):
        simulate(model, [coaching(segments=segments)])


def test_segments_and_groups_do_not_mix():
    with pytest.raises(ValueError, match="segments and group"):
        coaching(segments="region", group="g")

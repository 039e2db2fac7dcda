"""Value of information: EVPI under the budget, EVPPI by regression, pilots ranked by net value."""

import itertools

import numpy as np
import pytest
from posteriors import hand_result
from test_portfolio import random_result

import exlink as xl

pytestmark = pytest.mark.filterwarnings("ignore::exlink.ConvergenceWarning")


def plans(costs, budget):
    n = len(costs)
    for size in range(n + 1):
        for subset in itertools.combinations(range(n), size):
            if costs[list(subset)].sum() <= budget + 1e-9:
                x = np.zeros(n)
                x[list(subset)] = 1
                yield x


def result_of(npv: np.ndarray, costs: np.ndarray):
    """A hand-made result whose investments have these NPV draws (samples, investments)."""
    n_inv = npv.shape[1]
    net = np.zeros((n_inv, len(npv), 2))
    net[:, :, 0] = -costs[:, None]
    net[:, :, 1] = (npv.T + costs[:, None]) * 1.01
    cost_flow = np.zeros((n_inv, 2))
    cost_flow[:, 0] = costs
    return hand_result(net, cost_flow)


@pytest.mark.parametrize("seed", range(4))
def test_evpi_matches_its_definition_over_every_feasible_plan(seed):
    result, npv, costs = random_result(seed)
    budget = costs.sum() / 2
    feasible = np.array(list(plans(costs, budget)))
    values = npv @ feasible.T  # (samples, plans)
    perfect = values.max(axis=1).mean()
    now = values.mean(axis=0).max()
    info = xl.value_of_information(result, budget=budget)
    assert info.evpi == pytest.approx(perfect - now, abs=1e-6)
    assert info.expected_best == pytest.approx(now, abs=1e-6)
    assert 0 <= info.evpi <= perfect
    assert (info.per_investment["evppi"] >= 0).all()
    assert (info.per_investment["evppi"] <= info.evpi + 1e-9).all()
    # Without a budget every investment is funded exactly when it pays.
    plain = xl.value_of_information(result)
    expected = np.maximum(npv, 0).sum(axis=1).mean() - np.maximum(npv.mean(0), 0).sum()
    assert plain.evpi == pytest.approx(expected)


def test_a_budget_too_small_for_an_investment_cannot_make_it_worth_learning():
    rng = np.random.default_rng(0)
    npv = np.column_stack([rng.normal(5, 1, 400), rng.normal(0, 50, 400)])
    costs = np.array([10.0, 40.0])
    info = xl.value_of_information(result_of(npv, costs), budget=20.0)
    # The risky investment cannot be funded at this budget: no information about it pays.
    assert info.per_investment.loc["i1", "evppi"] == pytest.approx(0.0, abs=1e-9)
    assert info.evpi == pytest.approx(0.0, abs=1e-9)
    roomy = xl.value_of_information(result_of(npv, costs), budget=60.0)
    assert roomy.per_investment.loc["i1", "evppi"] > 10


def test_information_is_worth_nothing_without_uncertainty():
    result, _, costs = random_result(3)
    result.flows["net"][:] = result.flows["net"].isel(sample=0)
    info = xl.value_of_information(result, budget=costs.sum() / 2)
    assert info.evpi == pytest.approx(0.0, abs=1e-9)
    assert (info.per_investment["evppi"] == 0).all()
    assert info.pilot_first is None
    assert "no pilot" in repr(info)


def test_evppi_of_one_investment_matches_nested_monte_carlo():
    rng = np.random.default_rng(7)
    n = 4000
    phi, psi = rng.standard_normal(n), rng.standard_normal(n)

    def npv_of(phi, psi):
        return 1.0 + 3.0 * phi + 4.0 * np.tanh(psi) + 0.5 * phi * psi

    npv = npv_of(phi, psi)[:, None]
    info = xl.value_of_information(
        result_of(npv, np.array([1.0])), parameters={"phi": phi, "psi": psi}
    )
    # Nested Monte Carlo: E_phi[max(0, E[NPV | phi])] - max(0, E[NPV]).
    outer = rng.standard_normal(3000)
    inner = rng.standard_normal(2000)
    conditional = npv_of(outer[:, None], inner[None, :]).mean(axis=1)
    gain = np.maximum(conditional, 0.0)
    nested = gain.mean() - max(npv.mean(), 0.0)
    error = gain.std() / np.sqrt(len(outer)) + np.maximum(npv, 0).std() / np.sqrt(n)
    assert info.parameters.loc["phi", "evppi"] == pytest.approx(nested, abs=4 * error)
    # One investment, its own return as the parameter: EVPPI is the EVPI.
    assert info.per_investment.loc["i0", "evppi"] == pytest.approx(info.evpi, rel=1e-6)
    assert info.parameters.loc["psi", "evppi"] < info.parameters.loc["phi", "evppi"]


def test_pilots_are_ranked_by_value_net_of_their_cost():
    rng = np.random.default_rng(4)
    npv = np.column_stack([rng.normal(2, 30, 600), rng.normal(1, 10, 600), rng.normal(3, 1, 600)])
    costs = np.array([5.0, 5.0, 5.0])
    result = result_of(npv, costs)
    free = xl.value_of_information(result)
    assert free.pilot_first == "i0"
    costly = xl.value_of_information(
        result, pilot_costs={"i0": free.per_investment.loc["i0", "evppi"] + 1}
    )
    assert costly.pilot_first == "i1"
    row = costly.per_investment.loc["i0"]
    assert row["pilot_value"] == pytest.approx(row["evppi"] - row["pilot_cost"])
    assert "pilot 'i1' first" in repr(costly)
    with pytest.raises(ValueError, match="unknown investment 'i9'"):
        xl.value_of_information(result, pilot_costs={"i9": 1.0})
    with pytest.raises(ValueError, match="one finite value per posterior sample"):
        xl.value_of_information(result, parameters={"x": np.zeros(3)})


def test_listing_plans_and_solving_for_them_agree(monkeypatch):
    from exlink.simulation import information

    result, _, costs = random_result(5)
    listed = xl.value_of_information(result, budget=costs.sum() / 2)
    monkeypatch.setattr(information, "MAX_LISTED", 0)
    solved = xl.value_of_information(result, budget=costs.sum() / 2)
    assert solved.evpi == pytest.approx(listed.evpi, abs=1e-6)
    np.testing.assert_allclose(
        solved.per_investment["evppi"], listed.per_investment["evppi"], atol=1e-6
    )

import itertools

import numpy as np
import pytest
from posteriors import hand_result

import exlink as xl

pytestmark = pytest.mark.filterwarnings("ignore::exlink.ConvergenceWarning")


def random_result(seed: int, n_inv: int = 5, n_samples: int = 60):
    rng = np.random.default_rng(seed)
    shared = rng.normal(size=(n_samples, 1))
    npv = rng.normal(rng.normal(0, 20, n_inv), 30, (n_samples, n_inv)) + 15 * shared
    costs = rng.uniform(10, 60, n_inv)
    net = np.zeros((n_inv, n_samples, 2))
    net[:, :, 0] = -costs[:, None]
    net[:, :, 1] = (npv.T + costs[:, None]) * 1.01
    cost_flow = np.zeros((n_inv, 2))
    cost_flow[:, 0] = costs
    return hand_result(net, cost_flow), npv, costs


def brute_force(npv, costs, budget, score, groups=(), must=(), cap=None):
    best, best_set = -np.inf, None
    n = len(costs)
    for size in range(n + 1):
        for subset in itertools.combinations(range(n), size):
            x = np.zeros(n)
            x[list(subset)] = 1
            if costs @ x > budget + 1e-9 or any(x[list(g)].sum() > 1 for g in groups):
                continue
            if any(x[m] == 0 for m in must):
                continue
            total = npv @ x
            if cap is not None and (total < 0).mean() > cap + 1e-12:
                continue
            value = score(total)
            if value > best + 1e-9:
                best, best_set = value, x
    return best, best_set


def cvar(total, alpha=0.1):
    return np.sort(total)[: int(np.ceil(alpha * len(total)))].mean()


@pytest.mark.parametrize("seed", range(6))
def test_expected_npv_matches_brute_force(seed):
    result, npv, costs = random_result(seed)
    budget = costs.sum() / 2
    plan = xl.prioritise(result, budget)
    best, _ = brute_force(npv, costs, budget, np.mean)
    assert plan.expected_npv == pytest.approx(best, abs=1e-6)
    assert plan.cost <= budget


@pytest.mark.parametrize("seed", range(6))
def test_cvar_matches_brute_force(seed):
    result, npv, costs = random_result(seed)
    budget = costs.sum() / 2
    plan = xl.prioritise(result, budget, objective="cvar", alpha=0.1)
    best, _ = brute_force(npv, costs, budget, cvar)
    assert cvar(npv @ plan.table["funded"].to_numpy(float)) == pytest.approx(best, abs=1e-6)


@pytest.mark.parametrize("seed", range(6))
def test_loss_cap_matches_brute_force(seed):
    result, npv, costs = random_result(seed)
    budget = costs.sum() * 0.7
    plan = xl.prioritise(result, budget, max_loss_probability=0.2)
    best, _ = brute_force(npv, costs, budget, np.mean, cap=0.2)
    assert plan.expected_npv == pytest.approx(best, abs=1e-6)
    assert plan.p_loss <= 0.2


def test_groups_and_must_fund_match_brute_force():
    result, npv, costs = random_result(11)
    result.investments[0] = xl.Investment("i0", intervention="x", group="g")
    result.investments[1] = xl.Investment("i1", intervention="x", group="g")
    budget = costs.sum()
    plan = xl.prioritise(result, budget, must_fund=["i3"])
    best, _ = brute_force(npv, costs, budget, np.mean, groups=[(0, 1)], must=[3])
    assert plan.expected_npv == pytest.approx(best, abs=1e-6)
    assert "i3" in plan.selected
    assert not {"i0", "i1"} <= set(plan.selected)


def test_impossible_budgets_are_refused():
    result, _, costs = random_result(1)
    with pytest.raises(ValueError, match="below the cheapest"):
        xl.prioritise(result, costs.min() / 2)
    with pytest.raises(ValueError, match="budget must be >= 0"):
        xl.prioritise(result, -5)
    with pytest.raises(ValueError, match="more than the budget"):
        xl.prioritise(result, costs.min() + 1e-6, must_fund=[f"i{int(np.argmax(costs))}"])
    with pytest.raises(ValueError, match="objective"):
        xl.prioritise(result, costs.sum(), objective="sharpe")


def test_frontier_grows_with_budget():
    result, _, costs = random_result(2)
    frontier = xl.efficient_frontier(result, np.linspace(costs.min(), costs.sum(), 5))
    assert frontier["expected_npv"].is_monotonic_increasing
    assert (frontier["cost"] <= frontier["budget"] + 1e-9).all()
    low = xl.efficient_frontier(result, [costs.min() / 2])
    assert low.loc[0, "selected"] == "" and low.loc[0, "expected_npv"] == 0


def test_a_chosen_plan_is_valued_by_simulating_it_jointly(exact):
    import exlink as xl

    finance = xl.Finance(horizon=12, discount_rate=0.0)
    overlapping = [
        xl.Investment("a", intervention="coaching", units=["U003", "U006"], cost_fixed=1.0),
        xl.Investment("b", intervention="coaching", units=["U006", "U012"], cost_fixed=1.0),
        xl.Investment("c", intervention="complaint_redesign", units=["U001"], cost_fixed=1.0),
    ]
    result = xl.simulate(exact, overlapping, finance)
    plan = xl.prioritise(result, budget=3.0)
    assert plan.selected == ["a", "b", "c"]
    joint = result.portfolio_npv(["a", "b", "c"])
    assert plan.expected_npv == pytest.approx(float(joint.mean()))
    assert plan.separate_npv == pytest.approx(float(result.npv().sum("investment").mean()))
    assert plan.interacting and "interact" in repr(plan)
    independent = xl.prioritise(result, budget=2.0, must_fund=["a", "c"])
    assert independent.selected == ["a", "c"] and not independent.interacting
    assert "interact" not in repr(independent)


def test_stage_limits_bound_the_plans_average_change(sim, exact):
    import exlink as xl

    finance = xl.Finance(horizon=12, discount_rate=0.0)
    candidates = [
        xl.Investment("coach_a", intervention="coaching", units=["U003"], cost_fixed=1.0),
        xl.Investment("coach_b", intervention="coaching", units=["U006"], cost_fixed=1.0),
        xl.Investment(
            "redesign", intervention="complaint_redesign", units=["U001"], cost_fixed=1.0
        ),
    ]
    result = xl.simulate(exact, candidates, finance)
    nps = result.average_changes("nps")
    # The panel-wide average: each investment's change per unit reached, over 12 units.
    per_unit = result.stage_changes().query("stage == 'nps'").set_index("investment")["mean"]
    np.testing.assert_allclose(nps.to_numpy(), per_unit.reindex(nps.index).to_numpy() / 12)
    free = xl.prioritise(result, budget=1.0)
    # NPS must rise by at least what only the redesign gives.
    floor = float(nps["redesign"]) * 0.999
    assert nps.drop("redesign").max() < floor, "the case needs the redesign to be the only way"
    limited = xl.prioritise(result, budget=1.0, stage_limits={"nps": (floor, None)})
    assert limited.selected == ["redesign"]
    assert free.expected_npv >= limited.expected_npv
    # Revenue may not rise at all: nothing can be funded but an empty plan.
    nothing = xl.prioritise(result, budget=3.0, stage_limits={"revenue": (None, 0.0)})
    assert nothing.selected == []
    with pytest.raises(ValueError, match=r"stage_limits on 'nps'.*loosen"):
        xl.prioritise(result, budget=1.0, stage_limits={"nps": (float(nps.sum()) * 2, None)})
    with pytest.raises(ValueError, match="unknown stage 'npx'"):
        xl.prioritise(result, budget=1.0, stage_limits={"npx": (0.0, None)})
    with pytest.raises(ValueError, match="pair"):
        xl.prioritise(result, budget=1.0, stage_limits={"nps": 2.0})
    with pytest.raises(ValueError, match="above the high bound"):
        xl.prioritise(result, budget=1.0, stage_limits={"nps": (2.0, 1.0)})


@pytest.mark.parametrize("seed", range(4))
def test_budget_steps_give_the_best_plan_at_every_budget(seed):
    result, npv, costs = random_result(seed, n_inv=6)
    steps = xl.budget_steps(result)
    assert steps, "some investment is affordable under the sum of all costs"
    assert [s.cost for s in steps] == sorted((s.cost for s in steps), reverse=True)
    # Every plan cost is a budget where the best plan may change: check them all, and
    # budgets between them.
    subset_costs = sorted(
        {
            float(costs[list(c)].sum())
            for size in range(1, len(costs) + 1)
            for c in itertools.combinations(range(len(costs)), size)
        }
    )
    budgets = subset_costs + [(a + b) / 2 for a, b in itertools.pairwise(subset_costs)]
    for budget in budgets:
        step = next((s for s in steps if s.cost <= budget + 1e-9), None)
        best, _ = brute_force(npv, costs, budget, np.mean)
        shown = 0.0 if step is None else step.expected_npv
        assert shown == pytest.approx(max(best, 0.0), abs=1e-6), budget
        if step is not None:
            assert step.cost <= budget + 1e-9 <= step.budget + 1e-6 or step is steps[0]


def test_budget_steps_agree_with_prioritise_and_respect_constraints():
    result, _npv, costs = random_result(11, n_inv=5)
    steps = xl.budget_steps(result, "cvar", alpha=0.1, must_fund=[result.names[0]])
    assert all(result.names[0] in s.selected for s in steps)
    for step in steps:
        again = xl.prioritise(result, step.budget, "cvar", alpha=0.1, must_fund=[result.names[0]])
        assert again.selected == step.selected
    assert steps[-1].cost >= costs[0] - 1e-9
    assert xl.budget_steps(result, max_budget=costs.min() / 2) == []
    with pytest.raises(ValueError, match="unknown objective"):
        xl.budget_steps(result, "profit")


def test_a_plans_summary_is_its_joint_simulation(exact):
    finance = xl.Finance(horizon=12, discount_rate=0.01)
    investments = [
        xl.Investment("a", intervention="coaching", units=["U003", "U006"], cost_upfront=0.5),
        xl.Investment("b", intervention="coaching", units=["U006", "U012"], cost_upfront=0.5),
        xl.Investment("c", intervention="complaint_redesign", units=["U001"], cost_fixed=1.0),
    ]
    result = xl.simulate(exact, investments, finance, random_seed=3)
    summary = result.summary()
    alone = result.portfolio_summary(["c"])
    for column in ("npv_mean", "npv_p05", "npv_p95", "p_loss", "cost", "payback"):
        assert alone[column] == pytest.approx(summary.loc["c", column], nan_ok=True), column
    joint = result.portfolio_summary(["a", "b"])
    draws = result.portfolio_npv(["a", "b"]).values
    assert joint["npv_mean"] == pytest.approx(draws.mean())
    assert joint["npv_p05"] == pytest.approx(np.quantile(draws, 0.05))
    assert joint["p_loss"] == pytest.approx((draws < 0).mean())
    assert joint["cost"] == pytest.approx(result.portfolio_cost(["a", "b"]))
    # The objectives are panel-average changes of the role's stage.
    changes = result.portfolio_average_changes(["a", "b"])
    assert joint["ex_change"] == pytest.approx(changes["engagement"])
    assert joint["cx_change"] == pytest.approx(changes["nps"])
    assert joint.attrs["baseline"] == "status quo"
    nothing = result.portfolio_summary([])
    assert nothing["npv_mean"] == 0 and np.isnan(nothing["payback"])

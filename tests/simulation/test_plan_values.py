"""Plans chosen on joint values: exact against enumeration of every plan, simulated together."""

import itertools

import numpy as np
import pytest
from posteriors import true_posterior

import exlink as xl
from exlink.datasets import make_service_chain
from exlink.simulation import plan_values

pytestmark = pytest.mark.filterwarnings("ignore::exlink.ConvergenceWarning")

CHAIN = xl.Chain(
    stages=[
        xl.Stage("engagement", "ex"),
        xl.Stage("nps", "cx"),
        xl.Stage("revenue", "financial"),
    ],
    links=[
        xl.Link("engagement", "nps", form="saturating"),
        xl.Link("nps", "revenue", lag=1),
    ],
    interventions=[
        xl.Intervention("coaching", "engagement", lever="people"),
        xl.Intervention("redesign", "nps", lever="process"),
    ],
)


@pytest.fixture(scope="module")
def interacting():
    """Eight candidates that overlap on units, an intervention and a saturating link."""
    sim = make_service_chain(
        n_units=10,
        n_periods=12,
        seed=11,
        chain=CHAIN,
        links={"engagement -> nps": {"coef": 1.2, "scale": 3.0}, "nps -> revenue (lag 1)": 5.0},
        interventions={
            "coaching": {"effects": {"engagement": 4.0}, "ramp_rate": 0.5},
            "redesign": {"effects": {"nps": 3.0}, "ramp_rate": 0.5},
        },
        rollouts={"coaching": {"coverage": 0.3}, "redesign": {"coverage": 0.3}},
    )
    model = true_posterior(sim, n_samples=20, chains=2, spread=0.4, seed=3)
    units = list(model.panel.units)
    candidates = [
        xl.Investment("coach_a", intervention="coaching", units=units[:5], cost_upfront=3.0),
        xl.Investment("coach_b", intervention="coaching", units=units[3:8], cost_upfront=2.5),
        xl.Investment("coach_c", intervention="coaching", units=units[6:], cost_upfront=2.0),
        xl.Investment("app", effect={"engagement": (1.0, 5.0)}, units=units[:6], cost_upfront=2.0),
        xl.Investment(
            "forum", effect={"engagement": (-1.0, 4.0)}, units=units[4:], cost_upfront=1.5
        ),
        xl.Investment("redesign_a", intervention="redesign", units=units[:4], cost_upfront=2.0),
        xl.Investment("redesign_b", intervention="redesign", units=units[2:7], cost_upfront=3.0),
        xl.Investment("desk", effect={"nps": (-2.0, 3.0)}, units=units[8:], cost_upfront=1.0),
    ]
    finance = xl.Finance(horizon=10, discount_rate=0.05, money_per_stage_unit=1.0)
    return xl.simulate(model, candidates, finance, allow_unconverged=True, random_seed=2)


def every_plan(result):
    names = result.names
    costs = result.total_cost().reindex(names).to_numpy()
    for size in range(len(names) + 1):
        for subset in itertools.combinations(range(len(names)), size):
            chosen = [names[i] for i in subset]
            yield chosen, costs[list(subset)].sum(), result.portfolio_npv(chosen).values


def cvar(values, alpha):
    return np.sort(values)[: max(1, int(np.ceil(alpha * len(values))))].mean()


def test_the_candidates_interact(interacting):
    problem = plan_values.plan_values(interacting)
    assert problem.exact
    clustered = sorted(i for cluster in problem.clusters for i in cluster)
    assert len(clustered) >= 6, "the case needs most investments to interact"
    # Each subset column carries the joint value of its members simulated together.
    for members, column in zip(
        problem.members, problem.values.T[len(problem.names) :], strict=True
    ):
        chosen = [problem.names[i] for i in members]
        np.testing.assert_allclose(column, interacting.portfolio_npv(chosen).values)


@pytest.mark.parametrize(
    ("objective", "cap", "share"),
    [
        ("expected_npv", None, 0.4),
        ("expected_npv", None, 0.7),
        ("cvar", None, 0.5),
        ("expected_npv", 0.25, 0.5),
    ],
)
def test_prioritise_matches_enumeration_of_joint_values(interacting, objective, cap, share):
    total = float(interacting.total_cost().sum())
    budget = share * total
    alpha = 0.1

    def score(values):
        return values.mean() if objective == "expected_npv" else cvar(values, alpha)

    best, best_plan = -np.inf, None
    for chosen, cost, values in every_plan(interacting):
        if cost > budget + 1e-9 or (cap is not None and (values < 0).mean() > cap + 1e-12):
            continue
        if score(values) > best + 1e-9:
            best, best_plan = score(values), chosen
    plan = xl.prioritise(interacting, budget, objective, alpha=alpha, max_loss_probability=cap)
    joint = interacting.portfolio_npv(plan.selected).values
    assert score(joint) == pytest.approx(best, rel=1e-7, abs=1e-7), (plan.selected, best_plan)
    assert plan.cost <= budget + 1e-9
    assert plan.exact
    assert plan.expected_npv == pytest.approx(joint.mean())


def test_stage_limits_are_checked_on_joint_changes(interacting):
    budget = float(interacting.total_cost().sum())
    floor = 0.6 * float(interacting.portfolio_average_changes(interacting.names)["nps"])
    best, best_plan = -np.inf, None
    for chosen, _, values in every_plan(interacting):
        if interacting.portfolio_average_changes(chosen)["nps"] < floor - 1e-12:
            continue
        if values.mean() > best + 1e-9:
            best, best_plan = values.mean(), chosen
    plan = xl.prioritise(interacting, budget, stage_limits={"nps": (floor, None)})
    assert plan.expected_npv == pytest.approx(best), (plan.selected, best_plan)
    assert interacting.portfolio_average_changes(plan.selected)["nps"] >= floor - 1e-12


def test_frontier_values_plans_jointly(interacting):
    budgets = [4.0, 9.0]
    frontier = xl.efficient_frontier(interacting, budgets)
    for budget, row in zip(budgets, frontier.itertuples(), strict=True):
        chosen = row.selected.split(" + ") if row.selected else []
        assert row.expected_npv == pytest.approx(interacting.portfolio_npv(chosen).values.mean())
        assert row.cost <= budget


def test_a_cluster_too_large_to_enumerate_is_modelled_pairwise(interacting, monkeypatch):
    monkeypatch.setattr(plan_values, "MAX_ENUMERATED", 1)
    problem = plan_values.plan_values(interacting)
    assert not problem.exact
    assert all(len(members) == 2 for members in problem.members)
    plan = xl.prioritise(interacting, 0.5 * float(interacting.total_cost().sum()))
    assert not plan.exact and "pairwise" in repr(plan)
    assert plan.expected_npv == pytest.approx(
        interacting.portfolio_npv(plan.selected).values.mean()
    )


def test_investments_on_different_units_do_not_interact(interacting):
    together = interacting.portfolio_npv(["coach_a", "desk"]).values
    apart = (
        interacting.portfolio_npv(["coach_a"]).values + interacting.portfolio_npv(["desk"]).values
    )
    np.testing.assert_allclose(together, apart, rtol=1e-12)
    overlapping = interacting.portfolio_npv(["coach_a", "coach_b"]).values
    single = interacting.portfolio_npv(["coach_a"]).values
    assert not np.allclose(overlapping, single + interacting.portfolio_npv(["coach_b"]).values)


def test_value_of_information_compares_joint_plans(interacting):
    budget = 0.5 * float(interacting.total_cost().sum())
    feasible = [values for _, cost, values in every_plan(interacting) if cost <= budget + 1e-9]
    values = np.column_stack(feasible)
    perfect, now = values.max(axis=1).mean(), values.mean(axis=0).max()
    info = xl.value_of_information(
        interacting,
        budget,
        parameters=["coaching", "engagement -> nps", "coaching -> engagement", "app"],
    )
    assert info.evpi == pytest.approx(perfect - now, rel=1e-7)
    assert info.expected_best == pytest.approx(now, rel=1e-7)
    assert info.evpi > 0
    table = info.parameters["evppi"]
    assert list(table.index) == ["coaching", "engagement -> nps", "coaching -> engagement", "app"]
    assert ((table >= 0) & (table <= info.evpi + 1e-9)).all()
    with pytest.raises(ValueError, match="unknown parameter 'coachin'"):
        xl.value_of_information(interacting, budget, parameters=["coachin"])

import dataclasses

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from posteriors import hand_result, true_posterior

import exlink as xl
from exlink.datasets import make_service_chain
from exlink.dims import HORIZON, SAMPLE
from exlink.simulation.finance_sensitivity import npv_sensitivity

pytestmark = pytest.mark.filterwarnings("ignore::exlink.ConvergenceWarning")


def test_paths_equal_the_true_propagation(sim, exact):
    fin = xl.Finance(horizon=10, discount_rate=0.0, margin=1.0)
    # Untreated units: against the status quo, the whole effect is new to them.
    inv = [xl.Investment("more", intervention="coaching", units="untreated")]
    result = xl.simulate(exact, inv, fin)
    truth = sim.truth.expected_effect({"coaching": np.ones(10)})
    for stage in sim.chain.stage_names:
        np.testing.assert_allclose(
            result.paths(stage).sel(investment="more").values[0], truth[stage].values, atol=1e-9
        )


def test_npv_equals_the_hand_computation(sim, exact):
    fin = xl.Finance(
        horizon=8, discount_rate=0.10, periods_per_year=12, margin=0.3, money_per_stage_unit=1000.0
    )
    inv = xl.Investment(
        "pilot",
        intervention="complaint_redesign",
        units=["U001", "U003", "U005"],  # never reached by the redesign
        start=1,
        duration=4,
        cost_upfront=50.0,
        cost_per_period=10.0,
        cost_fixed=100.0,
    )
    result = xl.simulate(exact, [inv], fin)
    rollout = np.array([0, 1, 1, 1, 1, 0, 0, 0.0])
    revenue = sim.truth.expected_effect({"complaint_redesign": rollout})["revenue"].to_numpy()
    benefit = 3 * revenue * 1000.0 * 0.3
    costs = np.array([0, 3 * (50 + 10) + 100, 30, 30, 30, 0, 0, 0.0])
    rate = 1.10 ** (1 / 12) - 1
    npv = ((benefit - costs) / (1 + rate) ** np.arange(8)).sum()
    assert float(result.npv().sel(investment="pilot")[0]) == pytest.approx(npv, rel=1e-9)
    assert result.total_cost()["pilot"] == pytest.approx(costs.sum())
    frame = result.by_unit()
    assert list(frame["unit"]) == ["U001", "U003", "U005"]


def test_reinforced_effect_does_not_fade(sim, exact):
    fin = xl.Finance(horizon=30, discount_rate=0.0)
    plain = xl.Investment("plain", intervention="coaching", duration=5)
    kept = xl.Investment("kept", intervention="coaching", duration=5, reinforced=True)
    paths = xl.simulate(exact, [plain, kept], fin).paths("engagement").isel({SAMPLE: 0})
    assert float(paths.sel(investment="plain")[-1]) < 0.01
    assert float(paths.sel(investment="kept")[-1]) == pytest.approx(
        float(paths.sel(investment="kept")[5]), rel=1e-9
    )


def test_new_investment_draws_from_its_range_and_lever(exact):
    fin = xl.Finance(horizon=6, discount_rate=0.0)
    wide = xl.Investment("app", effect={"engagement": (1.0, 4.0)}, ramp=1.0)
    result = xl.simulate(exact, [wide], fin, random_seed=3)
    effect = result.paths("engagement").sel(investment="app").isel({HORIZON: 0}).values
    samples = exact.idata.posterior.sizes["chain"] * exact.idata.posterior.sizes["draw"]
    assert len(np.unique(effect)) == samples
    informed = xl.Investment("app", lever="people", effect={"engagement": (1.0, 4.0)}, ramp=1.0)
    many = xl.simulate(_repeat(exact, 400), [informed], fin, draws=None, random_seed=4)
    values = many.paths("engagement").isel({HORIZON: 0}).values.ravel()
    sd_eng = exact.design.sds[0]
    prior_var, pop_var = (3.0 / (2 * 1.6448536)) ** 2, (0.2 * sd_eng) ** 2
    mean = (2.5 / prior_var + 0.5 * sd_eng / pop_var) / (1 / prior_var + 1 / pop_var)
    assert values.mean() == pytest.approx(mean, abs=0.1)


def _repeat(model, n):
    posterior = model.idata.posterior.to_dataset()
    tiled = xr.concat([posterior] * (n // posterior.sizes["draw"]), dim="draw")
    copy = xl.ChainModel(model.chain).build(model.panel)
    copy.idata = xr.DataTree.from_dict(
        {"/posterior": tiled.assign_coords(draw=np.arange(tiled.sizes["draw"]))}
    )
    return copy


def test_discounting_payback_and_risk_on_hand_made_flows():
    net = np.array([[[-100.0, 30.0, 40.0, 50.0], [-100.0, 10.0, 10.0, 10.0]]])
    result = hand_result(net, np.array([[100.0, 0, 0, 0]]))
    npv = result.npv().values[0]
    discount = 1.0 / 1.01 ** np.arange(4)
    np.testing.assert_allclose(npv, (net[0] * discount).sum(axis=1))
    row = result.summary().loc["i0"]
    assert row["p_loss"] == 0.5
    assert row["cvar_05"] == pytest.approx(npv.min())
    mean_cum = np.cumsum(net[0].mean(axis=0) * discount)
    assert (
        row["payback"] == float(np.argmax(mean_cum >= 0))
        if (mean_cum >= 0).any()
        else np.isnan(row["payback"])
    )
    assert row["roi"] == pytest.approx((npv / 100.0).mean())
    assert row["cost"] == 100.0


@pytest.mark.parametrize(
    "bad, words",
    [
        (lambda: xl.Investment("a"), ["either intervention="]),
        (lambda: xl.Investment("a", effect={"nps": (3.0, 1.0)}), ["low 3 above high 1"]),
        (lambda: xl.Investment("a", intervention="k", cost_upfront=-5), ["cost_upfront", ">= 0"]),
        (lambda: xl.Investment("a", intervention="k", start=-1), ["start"]),
        (lambda: xl.Investment("a", intervention="k", ramp=0.0), ["ramp"]),
        (lambda: xl.Investment("a", lever="peeple", effect={"nps": (1, 2)}), ["peeple"]),
        (lambda: xl.Finance(horizon=0), ["horizon"]),
        (lambda: xl.Finance(horizon=12, margin=1.5), ["margin"]),
        (lambda: xl.Finance(horizon=12, revenue_kind="total"), ["revenue_kind"]),
    ],
)
def test_bad_investments_and_finance(bad, words):
    with pytest.raises((ValueError, TypeError)) as err:
        bad()
    for word in words:
        assert word in str(err.value)


@pytest.mark.parametrize(
    "investment, words",
    [
        (xl.Investment("a", intervention="coachin"), ["'coachin'", "Did you mean 'coaching'"]),
        (xl.Investment("a", effect={"NPS": (1, 2)}), ["'NPS'", "'nps'"]),
        (
            xl.Investment("a", intervention="coaching", units="region == 'mars'"),
            ["selects no unit", "region == 'mars'"],
        ),
        (
            xl.Investment("a", intervention="coaching", units="size > 3"),
            ["unknown unit attribute 'size'", "'region'"],
        ),
        (xl.Investment("a", intervention="coaching", units=["U001", "X9"]), ["'X9'"]),
    ],
)
def test_simulate_refuses_unknown_names(exact, investment, words):
    with pytest.raises(ValueError) as err:
        xl.simulate(exact, [investment], xl.Finance(horizon=4))
    for word in words:
        assert word in str(err.value)


def test_cashflows_table(exact):
    result = xl.simulate(
        exact,
        [xl.Investment("a", intervention="coaching", cost_per_period=1.0)],
        xl.Finance(horizon=5),
    )
    table = result.cashflows()
    assert set(table["component"]) == {"revenue", "cost_to_serve", "attrition", "costs", "net"}
    costs = table.query("component == 'costs'")["mean"].to_numpy()
    np.testing.assert_allclose(costs, np.full(5, 12.0))
    assert isinstance(result.summary(), pd.DataFrame)


def test_attrition_cost_to_serve_and_growth_become_money():
    from exlink.spec import Chain, Intervention, Link, Stage

    chain = Chain(
        [
            Stage("engagement", "ex"),
            Stage("attrition_rate", "ex"),
            Stage("revenue_growth", "financial"),
            Stage("cost_to_serve", "financial"),
        ],
        [
            Link("engagement", "attrition_rate"),
            Link("engagement", "revenue_growth"),
            Link("attrition_rate", "cost_to_serve"),
        ],
        [Intervention("coaching", "engagement", lever="people", ramp=False)],
    )
    sim = make_service_chain(
        n_units=10,
        n_periods=8,
        seed=2,
        chain=chain,
        links={
            "engagement -> attrition_rate": -0.05,
            "engagement -> revenue_growth": 0.1,
            "attrition_rate -> cost_to_serve": 4.0,
        },
        interventions={"coaching": {"effects": {"engagement": 3.0}}},
    )
    model = true_posterior(sim, n_samples=2)
    finance = xl.Finance(
        horizon=3,
        discount_rate=0.0,
        margin=0.5,
        revenue_kind="growth",
        revenue_base=200.0,
        cost_per_leaver=1000.0,
        headcount="headcount",
    )
    reached = sim.data.groupby("unit")["coaching"].max()
    name = reached[reached == 0].index[0]  # a unit coaching never reached
    result = xl.simulate(
        model, [xl.Investment("c", intervention="coaching", units=[name])], finance
    )
    effect = sim.truth.expected_effect({"coaching": np.ones(3)})
    unit = sim.data[sim.data["unit"] == name]
    headcount = unit["headcount"].iloc[0]
    flows = result.flows.sel(investment="c").isel({SAMPLE: 0})
    np.testing.assert_allclose(
        flows["attrition"], -effect["attrition_rate"] / 100 * headcount * 1000
    )
    np.testing.assert_allclose(flows["cost_to_serve"], -effect["cost_to_serve"])
    # Growth compounds on the base: revenue_h = 200 prod(1 + g_s / 100), the status quo's
    # growth being the unit's mean of its last six periods.
    status_quo = unit["revenue_growth"].to_numpy()[-6:].mean()
    grown = np.cumprod(1 + (status_quo + effect["revenue_growth"]) / 100)
    unchanged = (1 + status_quo / 100) ** np.arange(1, 4)
    np.testing.assert_allclose(flows["revenue"], 0.5 * 200.0 * (grown - unchanged))
    leavers = -effect["attrition_rate"].sum() / 100 * headcount
    assert float(result.leavers.sel(investment="c")[0]) == pytest.approx(leavers)
    assert result.summary().loc["c", "leavers_avoided"] == pytest.approx(leavers)


@pytest.fixture(scope="module")
def unconverged(sim):
    """The point mass at the truth, in one chain: one chain cannot show convergence."""
    return true_posterior(sim, chains=1)


def test_money_is_refused_on_an_unconverged_model_with_the_reason_and_the_fix(unconverged):
    assert not unconverged.diagnostics().converged
    investment = xl.Investment("a", intervention="coaching", cost_upfront=1.0)
    with pytest.raises(xl.ConvergenceError) as refused:
        xl.simulate(unconverged, [investment], xl.Finance(horizon=3))
    message = str(refused.value)
    assert "not converged" in message and "one chain" in message
    assert "sample at least 2 chains" in message
    assert "allow_unconverged=True" in message and "--allow-unconverged" in message
    with pytest.raises(xl.ConvergenceError):
        npv_sensitivity(unconverged, investment, xl.Finance(horizon=3))


@pytest.mark.filterwarnings("default::exlink.ConvergenceWarning")
def test_money_allowed_on_an_unconverged_model_is_marked_everywhere(unconverged):
    investments = [
        xl.Investment("a", intervention="coaching", cost_upfront=1.0),
        xl.Investment("b", intervention="scheduling_tool", cost_upfront=1.0),
    ]
    with pytest.warns(xl.ConvergenceWarning, match="not converged"):
        result = xl.simulate(
            unconverged, investments, xl.Finance(horizon=3), allow_unconverged=True
        )
    assert result.model_converged is False
    assert result.model_health.startswith("Not converged")
    assert not result.summary()["model_converged"].any()
    assert not result.cashflows()["model_converged"].any()
    plan = xl.prioritise(result, budget=30.0)
    assert plan.model_converged is False
    assert not plan.table["model_converged"].any()
    assert repr(plan).startswith("WARNING: computed on a model that has not converged")
    frontier = xl.efficient_frontier(result, [1.0, 30.0])
    assert not frontier["model_converged"].any()
    assert "WARNING" in repr(xl.value_of_information(result))
    with pytest.warns(xl.ConvergenceWarning):
        table = npv_sensitivity(
            unconverged, investments[0], xl.Finance(horizon=3), allow_unconverged=True
        )
    assert not table["model_converged"].any()


def test_money_on_a_converged_model_is_marked_converged(exact):
    result = xl.simulate(
        exact, [xl.Investment("a", intervention="coaching")], xl.Finance(horizon=3)
    )
    assert result.model_converged is True
    assert result.summary()["model_converged"].all()
    plan = xl.prioritise(result, budget=10.0)
    assert plan.model_converged and not repr(plan).startswith("WARNING")


def test_a_lasting_rise_in_growth_compounds_into_revenue_against_a_closed_form():
    """A constant rise d in a unit's growth rate g, held from the first period, adds
    base * ((1 + r(g + d))**h - (1 + r(g))**h) revenue in period h."""
    from exlink.spec import Chain, Intervention, Stage

    chain = Chain(
        [Stage("engagement", "ex"), Stage("growth", "financial")],
        [],
        [Intervention("programme", "growth", lever="people", ramp=False)],
    )
    sim = make_service_chain(
        n_units=6,
        n_periods=8,
        seed=3,
        chain=chain,
        stages={"growth": {"intercept": 4.0, "unit_sd": 1.0, "period_sd": 0.2, "noise_sd": 0.5}},
        interventions={"programme": {"effects": {"growth": 1.5}}},
    )
    data = sim.data.assign(revenue_last=lambda d: 100.0 + 10.0 * d["unit"].str[-1].astype(int))
    sim = dataclasses.replace(sim, data=data, attributes=(*sim.attributes, "revenue_last"))
    model = true_posterior(sim, n_samples=2)
    # Two units the programme never reached: the whole rise is new to them.
    reached = data.groupby("unit")["programme"].max()
    horizon, units = 24, list(reached[reached == 0].index[:2])
    assert len(units) == 2
    investment = xl.Investment("p", intervention="programme", units=units)
    rise = 1.5
    for growth_rate, per_period in (
        ("period", lambda g: g / 100),
        ("annual", lambda g: (1 + g / 100) ** (1 / 12) - 1),
    ):
        finance = xl.Finance(
            horizon=horizon,
            discount_rate=0.0,
            revenue_stage="growth",
            revenue_kind="growth",
            revenue_base="revenue_last",
            growth_rate=growth_rate,
        )
        result = xl.simulate(model, [investment], finance)
        h = np.arange(1, horizon + 1)
        expected = 0.0
        for name in units:
            unit = data[data["unit"] == name]
            g, base = unit["growth"].to_numpy()[-6:].mean(), unit["revenue_last"].iloc[0]
            expected = expected + base * (
                (1 + per_period(g + rise)) ** h - (1 + per_period(g)) ** h
            )
        flows = result.flows.sel(investment="p").isel({SAMPLE: 0})
        np.testing.assert_allclose(flows["revenue"], expected, rtol=1e-10)
    # The gain grows with time: a lasting rise is worth far more than its first period.
    assert expected[-1] > 20 * expected[0]


def test_an_investment_is_valued_against_the_status_quo_unit_by_unit():
    """Historical rollouts go on as they stand at the end of the data; an investment
    is worth the difference it makes to each unit, by the generator's own truth."""
    from exlink.spec import Chain, Intervention

    base = make_service_chain(n_units=12, n_periods=10, seed=5)
    chain = Chain(
        list(base.chain.stages),
        list(base.chain.links),
        [Intervention("coaching", "engagement", lever="people", fade=True)],
    )
    sim = make_service_chain(
        n_units=12,
        n_periods=10,
        seed=5,
        chain=chain,
        interventions={
            "coaching": {"effects": {"engagement": 4.0}, "ramp_rate": 0.5, "fade_rate": 0.15}
        },
    )
    histories = {
        "U001": [0, 1, 1, 1, 1, 1, 0, 0, 0, 0],  # rolled out, then stopped: fading
        "U002": [0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5],  # half rolled out
        "U003": [0] * 10,  # never reached
        "U004": [0, 1, 1, 1, 1, 1, 1, 1, 1, 1],  # fully rolled out long ago
        "U005": [0, 0, 0, 0, 0, 0, 0, 0, 1, 1],  # mid-ramp: it goes on ramping anyway
    }
    data = sim.data.copy()
    for unit, history in histories.items():
        data.loc[data["unit"] == unit, "coaching"] = history
    model = true_posterior(dataclasses.replace(sim, data=data))
    horizon = 12
    finance = xl.Finance(horizon=horizon, discount_rate=0.0, margin=1.0)
    investment = xl.Investment("coach", intervention="coaching", units=list(histories))
    npv = xl.simulate(model, [investment], finance).by_unit().set_index("unit")["npv_mean"]
    for unit, history in histories.items():
        truth = sim.truth.expected_effect(
            {"coaching": np.ones(horizon)}, unit=unit, history={"coaching": np.array(history)}
        )["revenue"].sum()
        assert npv[unit] == pytest.approx(truth, rel=1e-8, abs=1e-9), unit
    assert npv["U004"] == pytest.approx(0.0, abs=1e-9)
    assert npv["U005"] == pytest.approx(0.0, abs=1e-9)
    # A restart is worth less than a first rollout: some of the old effect is still there.
    assert 0 < npv["U001"] < npv["U003"]
    assert npv["U002"] == pytest.approx(npv["U003"] / 2, rel=0.2)


def test_a_plan_is_valued_jointly_by_the_generators_truth(sim, exact):
    """Two coaching investments overlap on U006: funded together, U006 is coached once."""
    horizon = 12
    finance = xl.Finance(horizon=horizon, discount_rate=0.0, margin=1.0)
    first = xl.Investment("a", intervention="coaching", units=["U003", "U006"], duration=6)
    second = xl.Investment("b", intervention="coaching", units=["U006", "U012"], start=3)
    apart = xl.Investment("c", intervention="complaint_redesign", units=["U001"], cost_fixed=5.0)
    result = xl.simulate(exact, [first, second, apart], finance)
    joint = result.portfolio_npv(["a", "b"])
    assert joint.dims == (SAMPLE,) and joint.attrs["baseline"] == "status quo"
    plans = {
        "U003": np.r_[np.ones(6), np.zeros(6)],
        "U006": np.ones(horizon),
        "U012": np.r_[np.zeros(3), np.ones(9)],
    }
    truth = sum(
        sim.truth.expected_effect(
            {"coaching": plan}, unit=unit, history={"coaching": np.zeros(10)}
        )["revenue"].sum()
        for unit, plan in plans.items()
    )
    np.testing.assert_allclose(joint.values, truth, rtol=1e-8)
    # The same plan in another order is the same plan; its draws are not shared with the caller.
    joint.values[:] = 0.0
    np.testing.assert_allclose(result.portfolio_npv(["b", "a"]).values, truth, rtol=1e-8)
    npv = result.npv()
    added = npv.sel(investment="a") + npv.sel(investment="b")
    assert (joint.values < added.values - 1e-6).all(), "the overlap must not be counted twice"
    # Investments that share nothing add up, costs included.
    together = result.portfolio_npv(["a", "c"])
    np.testing.assert_allclose(
        together.values, (npv.sel(investment="a") + npv.sel(investment="c")).values, rtol=1e-10
    )
    assert float(result.portfolio_npv([]).sum()) == 0.0


def test_portfolio_npv_refuses_unknown_or_repeated_names_and_hand_made_results(exact):
    finance = xl.Finance(horizon=6)
    result = xl.simulate(exact, [xl.Investment("a", intervention="coaching")], finance)
    with pytest.raises(ValueError, match="unknown investment 'b'"):
        result.portfolio_npv(["a", "b"])
    with pytest.raises(ValueError, match="at most once"):
        result.portfolio_npv(["a", "a"])
    hand = hand_result(np.ones((2, 3, 4)), np.zeros((2, 4)))
    # One investment is its own value; a plan of two needs the simulation itself.
    np.testing.assert_allclose(hand.portfolio_npv(["i0"]), hand.npv().sel(investment="i0"))
    with pytest.raises(ValueError, match="simulate"):
        hand.portfolio_npv(["i0", "i1"])


def test_stage_changes_report_every_stage_in_its_own_units(sim, exact):
    fin = xl.Finance(horizon=10, discount_rate=0.0)
    inv = [xl.Investment("more", intervention="coaching", units="untreated")]
    table = xl.simulate(exact, inv, fin).stage_changes()
    assert list(table["stage"]) == list(sim.chain.stage_names)
    truth = sim.truth.expected_effect({"coaching": np.ones(10)}).iloc[-1]
    np.testing.assert_allclose(table["mean"], truth.to_numpy(), atol=1e-9)
    assert table.set_index("stage").loc["nps", "role"] == "cx"
    assert (table["p05"] <= table["mean"] + 1e-9).all()
    assert (table["mean"] <= table["p95"] + 1e-9).all()


def test_a_progress_bar_changes_nothing_in_the_result(exact):
    investments = [
        xl.Investment("a", intervention="coaching", units=["U003"], cost_upfront=1.0),
        xl.Investment("b", intervention="complaint_redesign", units=["U001"], cost_fixed=1.0),
    ]
    quiet = xl.simulate(exact, investments, xl.Finance(horizon=6), random_seed=4)
    shown = xl.simulate(exact, investments, xl.Finance(horizon=6), random_seed=4, progressbar=True)
    np.testing.assert_array_equal(quiet.npv().values, shown.npv().values)

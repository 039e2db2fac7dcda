"""Every figure renders on small results and shows what it should."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr
from matplotlib.patches import FancyArrowPatch

import exlink as xl
from exlink import plotting
from exlink.simulation.finance_sensitivity import npv_sensitivity

pytestmark = pytest.mark.filterwarnings("ignore::exlink.ConvergenceWarning")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def result(exact):
    investments = [
        xl.Investment("rollout", intervention="coaching", cost_upfront=2.0, duration=6),
        xl.Investment("app", lever="technology", effect={"engagement": (0.5, 3.0)}, cost_fixed=5.0),
    ]
    return xl.simulate(exact, investments, xl.Finance(horizon=12, margin=0.4), random_seed=1)


def test_chain_diagram_draws_every_stage_and_edge(sim, exact):
    effects = exact.effects()
    effects.loc[effects["target"] == "retention", ["lower", "covers_zero", "verdict"]] = [
        -1.0,
        True,
        "unclear",
    ]
    fig = plotting.chain_diagram(sim.chain, effects)
    ax = fig.axes[0]
    nodes = [
        t.get_text().replace("\n", "") for t in ax.texts if (t.get_gid() or "").startswith("node:")
    ]
    assert sorted(nodes) == sorted([*sim.chain.stage_names, *sim.chain.intervention_names])
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(arrows) == len(sim.chain.links) + 3
    dashed = [a.get_gid() for a in arrows if a.get_linestyle() not in ("-", "solid")]
    assert dashed == ["edge:link:nps->retention"]
    assert any("[" in t.get_text() for t in ax.texts), "links are labelled with intervals"
    assert "dashed" in ax.get_title()


def test_effects_forest_has_one_row_per_effect(exact):
    effects = exact.effects()
    fig = plotting.effects_forest(effects)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(labels) == len(effects)
    assert "nps -> retention (lag 1)" in labels


def test_standardised_effects_share_one_scale_in_the_forest_and_the_diagram(sim, exact):
    effects = exact.effects(standardised=True)
    fig = plotting.effects_forest(effects)
    ax = fig.axes[0]
    assert "standard deviations" in ax.get_xlabel()
    plotted = np.concatenate([np.asarray(line.get_xdata(), float) for line in ax.get_lines()])
    assert np.isin(np.round(effects["std_mean"].to_numpy(), 9), np.round(plotted, 9)).all()
    diagram = plotting.chain_diagram(sim.chain, effects)
    labels = {
        t.get_gid(): t.get_text()
        for t in diagram.axes[0].texts
        if (t.get_gid() or "").startswith("label:")
    }
    row = effects[(effects["kind"] == "link") & (effects["target"] == "nps")].iloc[0]
    assert labels[f"label:link:{row.source}->nps"].startswith(f"{row.std_mean:.2g}")
    assert "standardised" in diagram.axes[0].get_title()


def test_total_effect_line_is_the_mean(exact):
    effects = exact.total_effects(horizon=8)
    fig = plotting.total_effect(effects, "coaching", "nps")
    line = fig.axes[0].get_lines()[0]
    expected = effects["total"].sel(intervention="coaching", stage="nps").mean(("chain", "draw"))
    np.testing.assert_allclose(line.get_ydata(), expected.values)
    assert fig.axes[0].get_title() == "Total effect of coaching on nps"
    with pytest.raises(KeyError, match="Did you mean 'nps'"):
        plotting.total_effect(effects, "coaching", "nsp")


def test_predictive_check_panels(sim, exact):
    panel = sim.panel()
    rng = np.random.default_rng(0)
    observed = panel.stages.values
    draws = observed[None, None] + rng.normal(size=(1, 20, *observed.shape))
    replicated = xr.DataArray(
        draws,
        dims=("chain", "draw", "stage", "unit", "period"),
        coords={"stage": list(panel.stage_names), "unit": list(panel.units)},
    )
    fig = plotting.predictive_check(replicated, panel, "nps", units=["U001", "U002"])
    assert len(fig.axes) == 3
    assert [ax.get_title() for ax in fig.axes] == ["all units (mean)", "U001", "U002"]
    np.testing.assert_allclose(
        fig.axes[1].get_lines()[0].get_ydata(), panel.stage("nps").sel(unit="U001").values
    )


def test_npv_figures(result):
    fig = plotting.npv_distribution(result)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert [label.split(" (")[0] for label in labels] == ["rollout", "app"]
    ranking = plotting.npv_ranking(result)
    order = [t.get_text() for t in ranking.axes[0].get_yticklabels()]
    assert order == list(result.summary().sort_values("npv_mean").index)


def test_cashflow_fan_median(result):
    fig = plotting.cashflow_fan(result, "rollout")
    median = fig.axes[0].get_lines()[0].get_ydata()
    flows = result.flows.sel(investment="rollout")
    cumulative = (flows["net"] * flows["discount"]).cumsum("horizon")
    np.testing.assert_allclose(median, cumulative.median("sample").values)
    with pytest.raises(KeyError):
        plotting.cashflow_fan(result, "rolout")


def test_frontier_figure(result):
    table = xl.efficient_frontier(result, [5.0, 30.0, 100.0])
    fig = plotting.frontier(table)
    assert len(fig.axes) == 2
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_ydata(), table["expected_npv"])


def test_tornado_from_sensitivity(exact):
    investment = xl.Investment("rollout", intervention="coaching", cost_upfront=2.0, duration=6)
    table = npv_sensitivity(exact, investment, xl.Finance(horizon=12, margin=0.4), draws=None)
    assert list(table.columns) == [
        "assumption",
        "low",
        "high",
        "npv_low",
        "npv_high",
        "npv_base",
        "model_converged",
    ]
    assert table["model_converged"].all()
    assert set(table["assumption"]) == {"discount_rate", "margin", "horizon", "fade"}
    margin = table.set_index("assumption").loc["margin"]
    assert margin["npv_low"] < margin["npv_base"] < margin["npv_high"]
    fade = table.set_index("assumption").loc["fade"]
    assert fade["npv_high"] > fade["npv_low"]
    fig = plotting.tornado(table, "rollout")
    assert len(fig.axes[0].patches) == 2 * len(table)
    assert fig.axes[0].get_title() == "Sensitivity of NPV: rollout"

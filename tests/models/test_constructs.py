"""Constructs measured by several items: spec, data, design, priors and graph (no sampling)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from construct_chain import CHAIN, ITEMS

import exlink as xl
from exlink.models.design import ChainDesign
from exlink.models.graph import build_graph
from exlink.models.prior_set import PriorSet
from exlink.spec import Chain, Construct, Link, Stage


@pytest.fixture(scope="module")
def sim():
    return xl.datasets.make_service_chain(12, 8, seed=1, chain=CHAIN, constructs=ITEMS)


def test_construct_spec_round_trips_and_is_a_stage():
    cx = Construct("cx_quality", ["integrity", "resolution", "empathy"], role="cx")
    chain = Chain([Stage("engagement", "ex"), cx], [Link("engagement", "cx_quality")])
    assert isinstance(cx, Stage) and cx.is_construct
    assert not chain.stage("engagement").is_construct
    back = Chain.from_yaml(chain.to_yaml())
    assert back == chain
    assert isinstance(back.stage("cx_quality"), Construct)
    assert "items" not in chain.to_dict()["stages"][0]
    assert chain.columns == ("engagement", "integrity", "resolution", "empathy")
    assert "construct  cx_quality <- integrity, resolution, empathy" in repr(chain)


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["only"], "at least 2"),
        (["a", "a", "b"], "more than once"),
        (["cx", "b"], "also the name of one of its items"),
        ("abc", "list of column names"),
    ],
)
def test_bad_constructs_are_refused(items, message):
    with pytest.raises((ValueError, TypeError), match=message):
        Construct("cx", items, role="cx")


def test_an_item_measures_one_construct_and_is_no_stage():
    with pytest.raises(ValueError, match="more than once"):
        Chain([Construct("a", ["x", "y"], "ex"), Construct("b", ["y", "z"], "cx")])
    with pytest.raises(ValueError, match="also a stage or an intervention"):
        Chain([Stage("x", "ex"), Construct("b", ["x", "z"], "cx")])


def test_generated_items_follow_their_loadings(sim):
    assert isinstance(sim.chain.stage("cx_quality"), Construct)
    assert "cx_quality" not in sim.data and "integrity" in sim.data
    truth = sim.true_values["cx_quality"]
    fit = np.polyfit(truth, sim.data["integrity"], 1)
    assert fit[0] == pytest.approx(0.7, abs=0.1)
    assert sim.constructs["engagement"]["items"] == [
        "engagement_q1",
        "engagement_q2",
        "engagement_q3",
    ]
    with pytest.raises(ValueError, match="marker"):
        xl.datasets.make_service_chain(
            5, 5, chain=CHAIN, constructs={"engagement": {"loadings": [0.5, 1.0]}}
        )
    with pytest.raises(ValueError, match="stage"):
        xl.datasets.make_service_chain(5, 5, chain=CHAIN, constructs={"nope": {}})


def test_design_puts_a_construct_on_its_marker_scale(sim):
    design = ChainDesign(sim.chain, sim.panel())
    j = design.stage_names.index("cx_quality")
    marker = sim.data["personalisation"]
    assert design.means[j] == pytest.approx(marker.mean())
    assert design.sds[j] == pytest.approx(marker.std())
    assert np.isnan(design.y[j]).all()
    assert design.is_construct(j) and design.is_latent(j) and design.is_sampled(j)
    assert not design.observed_cells(j).size and not design.imputed_cells(j).size
    term = design.constructs["cx_quality"]
    assert term.loading_factor()[1] == pytest.approx(sim.data["integrity"].std() / marker.std())
    assert (design.scored_values()[j] == term.y[0]).all()


def test_panel_must_hold_every_item(sim):
    panel = xl.Panel.from_frame(
        sim.data,
        unit="unit",
        period="period",
        stages=["engagement_q1", "engagement_q2", "engagement_q3", "revenue"],
        interventions=["coaching"],
    )
    with pytest.raises(ValueError, match="item 'personalisation' of construct 'cx_quality'"):
        ChainDesign(sim.chain, panel)


def test_graph_has_every_item_and_the_priors_name_them(sim):
    design = ChainDesign(sim.chain, sim.panel())
    model, _ = build_graph(design, PriorSet(design))
    names = set(model.named_vars)
    for item in ("engagement_q1", "integrity", "empathy"):
        assert f"y[{item}]" in names
    assert {"loading", "item_intercept", "item_sd", "construct_sd[cx_quality]"} <= names
    assert model.named_vars["loading_std"].eval().shape == (5,)  # every item but the markers
    table = PriorSet(design).table()
    loading = table[table.group == "loading"]
    assert set(loading.element) == {
        "engagement_q2",
        "engagement_q3",
        "integrity",
        "resolution",
        "empathy",
    }
    assert set(table[table.group == "item_sd"].element) >= {"personalisation", "engagement_q1"}


def test_cross_section_has_no_unit_or_period_effects():
    rng = np.random.default_rng(0)
    eta = rng.normal(size=60)
    frame = pd.DataFrame(
        {f"q{k}": 2 + (1 + 0.2 * k) * eta + rng.normal(0, 0.5, 60) for k in range(3)}
        | {"loyalty": 0.5 * eta + rng.normal(0, 0.5, 60)}
    )
    before = frame.copy()
    panel = xl.Panel.from_cross_section(frame, stages=["q0", "q1", "q2", "loyalty"])
    pd.testing.assert_frame_equal(frame, before)
    assert (panel.n_units, panel.n_periods) == (60, 1)
    chain = Chain(
        [Construct("quality", ["q0", "q1", "q2"], "cx"), Stage("loyalty", "customer")],
        [Link("quality", "loyalty")],
    )
    design = ChainDesign(chain, panel)
    assert design.cross_sectional
    model, _ = build_graph(design, PriorSet(design))
    assert "unit_sd_std" not in model.named_vars and "period_sd_std" not in model.named_vars
    assert "unit_sd" not in set(PriorSet(design).table().group)
    with pytest.raises(ValueError, match="lag of 1"):
        ChainDesign(Chain(chain.stages, [Link("quality", "loyalty", lag=1)]), panel)


def test_cross_section_entry_refuses_what_it_cannot_use():
    with pytest.raises(TypeError, match="DataFrame"):
        xl.Panel.from_cross_section([1, 2, 3], stages=["a"])
    with pytest.raises(ValueError, match="at least 3 units"):
        xl.Panel.from_cross_section(pd.DataFrame({"a": [1.0, 2.0]}), stages=["a"])
    with pytest.raises(ValueError, match="'b'"):
        xl.Panel.from_cross_section(pd.DataFrame({"a": [1.0, 2.0, 3.0]}), stages=["b"])


def test_measurement_needs_a_construct(stored_model):
    model = stored_model("service_chain")
    with pytest.raises(ValueError, match="no constructs"):
        model.measurement()


def test_standardised_effects_are_in_sds_of_source_and_target(stored_model):
    model = stored_model("service_chain")
    table = model.effects(standardised=True)
    assert {"std_mean", "std_lower", "std_upper"} <= set(table.columns)
    assert "std_mean" not in model.effects().columns
    design, post = model.design, model.fitted.posterior
    link = model.chain.links[0]
    beta = post["beta"].sel(link=link.label).values
    sds = dict(zip(design.stage_names, design.sds, strict=True))
    expected = (beta * sds[link.source] / sds[link.target]).mean()
    row = table[(table.kind == "link")].iloc[0]
    assert row["std_mean"] == pytest.approx(expected)
    assert row["std_lower"] <= row["std_mean"] <= row["std_upper"]
    effect = table[table.kind == "intervention"].iloc[0]
    assert effect["std_mean"] == pytest.approx(effect["mean"] / sds[effect["target"]])


def test_an_item_that_is_a_survey_mean_carries_its_sampling_error():
    sim = xl.datasets.make_service_chain(
        12,
        8,
        seed=2,
        chain=CHAIN,
        constructs=ITEMS,
        surveys={"integrity": {"responses": 20, "sd": 8.0}},
    )
    assert set(sim.panel().surveys) == {"integrity"}
    term = ChainDesign(sim.chain, sim.panel()).constructs["cx_quality"]
    k = term.items.index("integrity")
    # Each unit's pooled response variance (weights n - 1) over n, over the item's variance.
    frame = sim.data.assign(w=sim.data["integrity_n"] - 1)
    frame["wv"] = frame["w"] * frame["integrity_sd"] ** 2
    by_unit = frame.groupby("unit")[["wv", "w"]].transform("sum")
    expected = by_unit["wv"] / by_unit["w"] / frame["integrity_n"] / frame["integrity"].var()
    assert term.sampling[k].ravel() == pytest.approx(expected.to_numpy())
    assert not term.sampling[[i for i in range(4) if i != k]].any()


def test_a_survey_item_needs_its_responses_sd():
    sim = xl.datasets.make_service_chain(
        12,
        8,
        seed=2,
        chain=CHAIN,
        constructs=ITEMS,
        surveys={"integrity": {"responses": 20, "sd": 8.0, "report_sd": False}},
    )
    with pytest.raises(ValueError, match=r"item 'integrity' of construct 'cx_quality'.*SD"):
        ChainDesign(sim.chain, sim.panel())


def test_an_item_without_values_is_refused(sim):
    frame = sim.data.copy()
    frame.loc[frame.index[1:], "integrity"] = np.nan
    chain = sim.chain
    panel = xl.Panel.from_frame(
        frame, unit="unit", period="period", stages=list(chain.columns), interventions=["coaching"]
    )
    with pytest.raises(ValueError, match=r"item 'integrity' .* fewer than two values"):
        ChainDesign(chain, panel)
    assert sim.data["integrity"].notna().all()  # the user's data untouched


def test_a_construct_can_persist_and_feed_a_curved_link(sim):
    chain = Chain(
        stages=sim.chain.stages,
        links=[
            Link("cx_quality", "cx_quality", lag=1),
            Link("engagement", "cx_quality"),
            Link("cx_quality", "revenue", lag=1, form="saturating"),
        ],
        interventions=sim.chain.interventions,
    )
    design = ChainDesign(chain, sim.panel())
    model, mu = build_graph(design, PriorSet(design))
    assert "curvature_std" in model.named_vars and "latent_raw[cx_quality]" in model.named_vars
    point = model.initial_point()
    values = {v: point[v.name] for v in model.value_vars}
    assert mu["revenue"].eval(values, on_unused_input="ignore").shape == (12, 8)

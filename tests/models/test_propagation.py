"""Propagation through the chain, against its period-by-period definition and closed forms."""

import numpy as np
import pytest

from exlink import Chain, Intervention, Link, Stage
from exlink.datasets import make_service_chain
from exlink.models.design import ChainDesign
from exlink.models.propagation import (
    StandardisedDraws,
    intervention_exposure,
    intervention_shock,
    propagate,
    propagate_stages,
)
from exlink.transforms import link_curve, link_curve_change

# A loop closed by a lagged link (engagement -> nps -> engagement), a self-loop
# (retention), a curved and a moderated link, and a stage the loop feeds.
LOOPED = Chain(
    stages=[
        Stage("engagement", "ex"),
        Stage("nps", "cx"),
        Stage("retention", "customer"),
        Stage("revenue", "financial"),
        Stage("cost", "financial"),
    ],
    links=[
        Link("engagement", "nps", moderator="culture"),
        Link("nps", "engagement", lag=1),
        Link("nps", "retention", lag=1, form="threshold"),
        Link("retention", "retention", lag=1),
        Link("retention", "revenue", lag=1),
        Link("engagement", "revenue", form="saturating"),
    ],
    interventions=[Intervention("coaching", ["engagement", "nps"], "people", moderator="culture")],
)


@pytest.fixture(scope="module")
def draws():
    sim = make_service_chain(
        n_units=6,
        n_periods=12,
        seed=3,
        chain=LOOPED,
        links={"nps -> engagement (lag 1)": 0.2, "retention -> retention (lag 1)": 0.5},
    )
    design = ChainDesign(sim.chain, sim.panel())
    rng = np.random.default_rng(0)
    n = 5
    coords = design.coords()

    def random(dim, low=-0.6, high=0.6):
        return rng.uniform(low, high, (n, len(coords[dim])))

    params = {
        "beta": random("link"),
        "reference": random("nonlinear_link"),
        "curvature": random("nonlinear_link", 0.3, 1.5),
        "link_moderation": random("moderated_link"),
        "gamma": random("effect"),
        "effect_moderation": random("moderated_effect"),
        "ramp": rng.uniform(0.2, 0.9, (n, 1)),
        "fade": rng.uniform(0.2, 0.9, (n, 1)),
        "lever_mean": np.zeros((n, 0)),
        "lever_sd": np.zeros((n, 0)),
    }
    return StandardisedDraws(design, params)


def reference_propagation(draws, shock, baseline, z):
    """Every link, every period, every stage in the chain's order: the definition."""
    design, p = draws.design, draws.params
    total = shock.copy()
    nonlinear = [i for i, lk in enumerate(design.links) if lk.form != "linear"]
    moderated = [i for i, lk in enumerate(design.links) if lk.moderator]
    order = [design.stage_names.index(n) for n in design.chain.topological_order()]
    for h in range(shock.shape[-1]):
        for j in order:
            for i, lk in enumerate(design.links):
                if lk.target != j or h < lk.lag:
                    continue
                slope = p["beta"][:, i, None] + np.zeros(shock.shape[2])
                if lk.moderator:
                    slope = slope + p["link_moderation"][:, moderated.index(i), None] * z
                x = total[lk.source, :, :, h - lk.lag] / design.sds[lk.source]
                if lk.form != "linear":
                    k = nonlinear.index(i)
                    ref, curv = p["reference"][:, k, None], p["curvature"][:, k, None]
                    x0 = baseline[lk.source][None, :]
                    low, high = design.central[lk.source]
                    x = link_curve(lk.form, x0 + x, ref, curv, low, high) - link_curve(
                        lk.form, x0, ref, curv, low, high
                    )
                total[j, :, :, h] += slope * x * design.sds[j]
    return total


def test_a_looped_chain_propagates_as_its_period_by_period_definition(draws):
    design = draws.design
    rng = np.random.default_rng(1)
    n_units, horizon = 4, 9
    shock = np.zeros((len(design.stage_names), draws.n_samples, n_units, horizon))
    shock[0] = rng.normal(0, design.sds[0], shock.shape[1:])
    shock[2, :, :, 3] = design.sds[2]
    baseline = rng.normal(0, 1, (len(design.stage_names), n_units))
    z = rng.normal(0, 1, n_units)
    expected = reference_propagation(draws, shock, baseline, z)
    got = propagate(draws, shock, baseline=baseline, moderators={"culture": z})
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12 * np.abs(expected).max())
    assert np.abs(got[design.stage_names.index("revenue")]).max() > 0


def test_only_the_stages_a_shock_reaches_are_computed(draws):
    design = draws.design
    cost = design.stage_names.index("cost")
    retention = design.stage_names.index("retention")
    shape = (draws.n_samples, 3, 6)
    changes = propagate_stages(draws, {retention: np.ones(shape)}, shape)
    assert set(changes) == {retention, design.stage_names.index("revenue")}
    assert cost not in changes


def test_a_self_loop_sums_its_geometric_series(draws):
    """A constant shock ``s`` carried by a stage's own lag-1 link ``b``.

    After ``h`` periods: ``s (1 - b^(h+1)) / (1 - b)``.
    """
    design = draws.design
    j = design.stage_names.index("retention")
    loop = next(i for i, lk in enumerate(design.links) if lk.source == lk.target == j)
    b = draws.params["beta"][:, loop, None]
    horizon = 10
    shape = (draws.n_samples, 1, horizon)
    changes = propagate_stages(draws, {j: np.full(shape, 2.0)}, shape)
    h = np.arange(horizon)
    np.testing.assert_allclose(changes[j][:, 0], 2.0 * (1 - b ** (h + 1)) / (1 - b), rtol=1e-12)


def test_the_shock_of_an_intervention_is_its_exposure_times_its_effects(draws):
    design = draws.design
    rollout = np.array([[0, 1, 1, 1, 0, 0], [0, 0, 0, 1, 1, 1]], dtype=float)
    z = np.array([-1.0, 2.0])
    shock = intervention_shock(draws, "coaching", rollout, moderators={"culture": z})
    exposure = intervention_exposure(draws, "coaching", rollout)
    p = draws.params
    for i, term in enumerate(design.effects):
        slope = p["gamma"][:, i, None] + p["effect_moderation"][:, i, None] * z
        expected = slope[..., None] * exposure * design.sds[term.target]
        np.testing.assert_allclose(shock[term.target], expected, rtol=1e-12)
    untouched = [j for j in range(len(design.stage_names)) if j not in {0, 1}]
    assert not shock[untouched].any()


@pytest.mark.parametrize("form", ["saturating", "threshold"])
def test_the_change_of_a_curve_is_the_difference_of_the_curve(form):
    rng = np.random.default_rng(2)
    x0 = rng.normal(0, 1, (1, 7, 1))
    change = rng.normal(0, 2, (4, 7, 5))
    reference = rng.normal(0, 0.5, (4, 1, 1))
    scale = rng.uniform(0.3, 2.0, (4, 1, 1))
    expected = link_curve(form, x0 + change, reference, scale, -1.2, 1.3) - link_curve(
        form, x0, reference, scale, -1.2, 1.3
    )
    got = link_curve_change(form, x0, change, reference, scale, -1.2, 1.3)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(link_curve_change("linear", x0, change, 0, 1, -1, 1), change)

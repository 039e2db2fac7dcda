"""Curved links mix and recover their truth: one link of each built-in form and a registered one.

The data come from the default generated chain with a saturating, a threshold and a
registered (softsign) link, fitted with the default priors and sampler settings. What
the data measure best, and what the model's coefficient is, is a curved link's average
slope across the central range of its source; :meth:`LinkTruth.average_slope` gives its
truth. The curve's shape is checked too: its rise over the lower and the upper half of
that range.
"""

import numpy as np
import pytensor.tensor as pt
import pytest

import exlink as xl
from exlink.datasets.service_chain import DEFAULT_CHAIN
from exlink.link_forms import unregister_link_form
from exlink.transforms import link_curve, link_form

pytestmark = pytest.mark.slow

FORMS = {
    "engagement -> nps": "saturating",
    "nps -> retention (lag 1)": "threshold",
    "retention -> revenue (lag 1)": "softsign",
}


@pytest.fixture(scope="module")
def curved():
    xl.register_link_form(
        "softsign",
        numpy=lambda u: u / (1 + np.abs(u)),
        tensor=lambda u: u / (1 + pt.abs(u)),
        replace=True,
    )
    spec = DEFAULT_CHAIN.to_dict()
    for link in spec["links"]:
        link["form"] = FORMS[xl.Link(link["source"], link["target"], lag=link["lag"]).label]
    chain = xl.Chain.from_dict(spec)
    sim = xl.datasets.make_service_chain(n_units=60, n_periods=24, seed=1, chain=chain)
    model = xl.ChainModel(chain).fit(sim.panel(), random_seed=1, progressbar=False)
    yield sim, model
    unregister_link_form("softsign")


def central_range(model, stage: str) -> tuple[float, float]:
    design = model.design
    j = design.stage_names.index(stage)
    low, high = design.central[j] * design.sds[j] + design.means[j]
    return float(low), float(high)


def test_curved_links_converge_with_default_priors(curved):
    _, model = curved
    health = model.diagnostics()
    assert health.converged, repr(health)


def test_average_slopes_hold_the_truth(curved):
    """Three truths: each inside its 99% interval (a miss there is bias, about 3% by chance
    for the three together), and at most one outside its 90% interval (all three inside
    happens only 0.9 ** 3 = 73% of the time for a calibrated model; at most one outside,
    97%)."""
    sim, model = curved
    misses = []
    for prob in (0.99, 0.9):
        table = model.effects(hdi_prob=prob).set_index(["kind", "source", "target", "lag"])
        for truth in sim.truth.links:
            row = table.loc[("link", truth.source, truth.target, truth.lag)]
            value = truth.average_slope(*central_range(model, truth.source))
            if not row["lower"] <= value <= row["upper"]:
                misses.append((prob, truth.label, value, row["lower"], row["upper"]))
    assert not [m for m in misses if m[0] == 0.99], misses
    assert len(misses) <= 1, misses
    assert len(sim.truth.links) == 3


def test_the_curves_bend_as_the_truth_does(curved):
    """The rise over the lower and over the upper half of each source's central range:
    six truths, each inside its 99% posterior interval (about 6% chance of a miss for a
    calibrated model, and the halves of one link are strongly correlated, which lowers
    it)."""
    sim, model = curved
    design = model.design
    posterior = model.idata.posterior
    for k, truth in enumerate(sim.truth.links):
        j = design.stage_names.index(truth.source)
        target = design.stage_names.index(truth.target)
        low, high = design.central[j]
        points = np.array([low, 0.0, high])
        beta = posterior["beta_std"].isel(link=k).values.ravel()[:, None]
        reference = posterior["reference_std"].isel(nonlinear_link=k).values.ravel()[:, None]
        scale = posterior["curvature_std"].isel(nonlinear_link=k).values.ravel()[:, None]
        curve = beta * link_curve(truth.form, points, reference, scale, low, high)
        fitted = np.diff(curve, axis=1) * design.sds[target]
        original = points * design.sds[j] + design.means[j]
        expected = np.diff(
            truth.coef * link_form(truth.form, original, truth.reference, truth.scale)
        )
        lower, upper = np.quantile(fitted, [0.005, 0.995], axis=0)
        assert ((lower <= expected) & (expected <= upper)).all(), (
            truth.label,
            expected,
            lower,
            upper,
        )

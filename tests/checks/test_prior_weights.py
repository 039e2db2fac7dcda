"""The posterior under other priors from reweighted draws: the pool marginal, PSIS, the check."""

import numpy as np
import pytest
import xarray as xr
from scipy import integrate, stats

import exlink as xl
from exlink import checks
from exlink.checks import prior_width
from exlink.checks.prior_weights import pool_log_prior, prior_log_ratio, reweight
from exlink.checks.prior_width import EFFECT_GROUPS, scaled_priors
from exlink.dims import standardised
from exlink.models.prior_set import PriorSet

pytestmark = pytest.mark.filterwarnings(
    "ignore::exlink.ConvergenceWarning", "ignore::exlink.IdentificationWarning"
)


@pytest.fixture
def fitted(mock_sample, stored_model):
    """A real posterior read from tests/data; any refit samples with PyMC's mock."""
    return stored_model("service_chain")


@pytest.mark.parametrize(("m0", "s0", "spread"), [(0.0, 0.5, 0.5), (0.2, 1.0, 0.25)])
def test_a_pools_marginal_prior_matches_numerical_integration(m0, s0, spread):
    gamma = np.array([0.4, 0.9, -0.2])
    draws = xr.DataArray(gamma[None, None, :], dims=("chain", "draw", "effect"))
    got = pool_log_prior(
        draws, xl.Prior("Normal", mu=m0, sigma=s0), xl.Prior("HalfNormal", sigma=spread)
    )

    # The double integral over the pool's mean and spread, on a fine grid.
    mean = np.linspace(m0 - 8 * s0, m0 + 8 * s0, 801)[:, None]
    sd = np.linspace(1e-6, 8 * spread, 4001)[None, :]
    members = stats.norm.logpdf(gamma[:, None, None], mean, sd).sum(axis=0)
    joint = np.exp(
        members + stats.norm.logpdf(mean, m0, s0) + stats.halfnorm.logpdf(sd, scale=spread)
    )
    value = integrate.trapezoid(integrate.trapezoid(joint, sd.ravel(), axis=1), mean.ravel())
    assert float(got.values.ravel()[0]) == pytest.approx(np.log(value), abs=1e-5)


def test_reweighted_draws_of_one_prior_are_draws_of_another():
    # Draws of N(0, 1) reweighted by N(0, 0.5) / N(0, 1) are draws of N(0, 0.5).
    x = np.random.default_rng(3).normal(size=(4, 1000))
    posterior = xr.Dataset({"x": (("chain", "draw"), x)})
    ratio = xr.DataArray(
        stats.norm.logpdf(x, 0, 0.5) - stats.norm.logpdf(x, 0, 1), dims=("chain", "draw")
    )
    result = reweight(posterior, ratio, random_seed=1)
    assert result.reliable and result.pareto_k <= result.threshold
    resampled = result.idata.posterior["x"]
    assert resampled.dims == ("chain", "draw") and resampled.shape == (4, 1000)
    assert float(resampled.std()) == pytest.approx(0.5, abs=0.03)
    assert abs(float(resampled.mean())) < 0.05
    assert 0.4 * x.size < result.ess < x.size
    again = reweight(posterior, ratio, random_seed=1).idata.posterior["x"]
    xr.testing.assert_identical(resampled, again)


def test_weights_that_cannot_be_trusted_say_so():
    # The other way round: N(0, 0.5) draws cannot stand for N(0, 3)'s tails.
    x = np.random.default_rng(4).normal(0, 0.5, size=(2, 1000))
    ratio = xr.DataArray(
        stats.norm.logpdf(x, 0, 3) - stats.norm.logpdf(x, 0, 0.5), dims=("chain", "draw")
    )
    result = reweight(xr.Dataset({"x": (("chain", "draw"), x)}), ratio, random_seed=1)
    assert not result.reliable and result.pareto_k > result.threshold


def test_the_log_ratio_sums_the_changed_priors_over_the_draws(fitted):
    old = PriorSet(fitted.design, fitted.priors).group("beta")
    assert old == xl.Prior("Normal", mu=0.0, sigma=1.0)
    wide = {"beta": xl.Prior("Normal", mu=0.0, sigma=2.0)}
    got = prior_log_ratio(fitted, wide, ("beta",))
    beta = fitted.idata.posterior[standardised("beta")].values
    expected = (stats.norm.logpdf(beta, 0, 2) - stats.norm.logpdf(beta, 0, 1)).sum(axis=-1)
    np.testing.assert_allclose(got.transpose("chain", "draw").values, expected, rtol=1e-7)
    # Unchanged priors weigh nothing.
    same = prior_log_ratio(fitted, fitted.priors, EFFECT_GROUPS)
    assert float(abs(same).max()) == 0.0


def test_a_pooled_lever_is_weighted_by_its_members_marginal_prior(fitted):
    design = fitted.design
    priors = scaled_priors(fitted, 0.5)
    got = prior_log_ratio(fitted, priors, ("lever_mean", "lever_sd"))
    gamma = fitted.idata.posterior[standardised("gamma")]
    old, new = PriorSet(design, fitted.priors), PriorSet(design, priors)
    expected = 0.0
    for lever in design.levers:
        members = [e.label for e in design.effects if e.lever == lever]
        draws = gamma.sel(effect=members)
        for sign, prior_set in ((1, new), (-1, old)):
            expected = expected + sign * pool_log_prior(
                draws, prior_set.group("lever_mean"), prior_set.group("lever_sd")
            )
    np.testing.assert_allclose(got.values, expected.values, rtol=1e-7)
    assert float(got.std()) > 0


def test_prior_sensitivity_reweights_the_fitted_draws_without_a_refit(fitted, monkeypatch):
    def no_refit(*args, **kwargs):
        raise AssertionError("the check refitted where reweighting was reliable")

    monkeypatch.setattr(prior_width, "refit", no_refit)
    result = checks.prior_sensitivity(fitted)
    details = result.details
    assert set(details["method"]) == {"as fitted", "reweighted"}
    reweighted = details[details["method"] == "reweighted"]
    assert (reweighted["pareto_k"] <= 0.7).all() and (reweighted["ess"] > 100).all()
    assert set(result.table["status"]) <= {"passed", "failed"}
    # The same seed gives the same table.
    again = checks.prior_sensitivity(fitted)
    np.testing.assert_array_equal(result.details["mean"], again.details["mean"])


def test_prior_sensitivity_refits_when_asked_or_when_the_weights_fail(fitted, monkeypatch):
    refitted = checks.prior_sensitivity(fitted, method="refit", fit={"draws": 20, "tune": 0})
    assert set(refitted.details["method"]) == {"as fitted", "refitted"}
    with pytest.raises(ValueError, match="method"):
        checks.prior_sensitivity(fitted, method="guess")
    # Priors a fiftieth as wide hold the effects near zero, far from the fitted draws.
    narrow = checks.prior_sensitivity(fitted, factors=(0.02,), fit={"draws": 20, "tune": 0})
    assert set(narrow.details["method"]) == {"as fitted", "refitted"}
    assert "reweighting was unreliable" in narrow.table["message"].iloc[0]

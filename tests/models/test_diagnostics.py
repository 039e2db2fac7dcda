"""The health check judges every sampled quantity, on draws whose convergence is known."""

import numpy as np
import pytest
import xarray as xr

from exlink.models.diagnostics import MAX_RHAT, MIN_ESS, diagnose

CHAINS, DRAWS = 4, 1000


def _posterior(shifted: dict[str, float] | None = None, diverging: int = 0) -> xr.DataTree:
    """Independent normal draws (well mixed by construction); ``shifted`` moves chain 0 of some.

    With 4 x 1000 independent draws R-hat is within 1.003 of 1 and ESS is about
    4000, far inside the standard; a chain shifted by 0.5 standard deviations
    gives R-hat of about 1.02, far outside it.
    """
    rng = np.random.default_rng(0)
    data = {
        "beta": (("chain", "draw", "link"), rng.normal(size=(CHAINS, DRAWS, 2))),
        "period_sd_std": (("chain", "draw", "stage"), rng.normal(size=(CHAINS, DRAWS, 3))),
        "period_effect": (
            ("chain", "draw", "stage", "period"),
            rng.normal(size=(CHAINS, DRAWS, 3, 5)),
        ),
        "fixed": (("chain", "draw"), np.ones((CHAINS, DRAWS))),
    }
    coords = {"link": ["a -> b", "b -> c"], "stage": ["a", "b", "c"], "period": list(range(5))}
    posterior = xr.Dataset(data, coords=coords)
    for name, shift in (shifted or {}).items():
        values = posterior[name].values.copy()
        values[0] += shift
        posterior[name] = posterior[name].copy(data=values)
    stats = xr.Dataset(
        {
            "diverging": (
                ("chain", "draw"),
                np.arange(CHAINS * DRAWS).reshape(CHAINS, DRAWS) < diverging,
            )
        }
    )
    return xr.DataTree.from_dict({"posterior": posterior, "sample_stats": stats})


def test_well_mixed_draws_pass_on_every_quantity():
    health = diagnose(_posterior())
    assert health.converged, health.headline()
    assert health.headline().startswith("Converged")
    assert set(health.table["parameter"]) == {"beta", "period_sd_std", "period_effect"}
    assert len(health.table) == 2 + 3 + 15
    assert health.table["r_hat"].max() <= MAX_RHAT
    assert health.table["ess_bulk"].min() >= MIN_ESS


def test_a_spread_that_did_not_mix_fails_although_every_effect_did():
    health = diagnose(_posterior({"period_sd_std": 0.5}))
    assert not health.converged
    worst = health.by_group().iloc[0]
    assert worst["parameter"] == "period_sd_std"
    assert worst["r_hat"] > MAX_RHAT
    assert worst["failing"] == 3
    assert "period_sd_std[" in health.headline()
    assert "R-hat above 1.01 in 3 elements of 1 quantity" in health.headline()


def test_period_effects_are_judged_element_by_element():
    health = diagnose(_posterior({"period_effect": 0.5}))
    groups = health.by_group().set_index("parameter")
    assert groups.loc["period_effect", "elements"] == 15
    assert groups.loc["period_effect", "failing"] == 15
    assert groups.loc["beta", "failing"] == 0
    assert health.table.query("parameter == 'period_effect'")["element"].iloc[0] == "a, 0"


def test_divergences_fail_the_check_and_are_counted():
    health = diagnose(_posterior(diverging=3))
    assert not health.converged
    assert health.divergences == 3
    assert "3 divergent transitions" in health.headline()
    assert "target_accept" in health.advice()


def test_a_quantity_constant_over_draws_is_left_out():
    health = diagnose(_posterior())
    assert "fixed" not in set(health.table["parameter"])


def test_one_chain_cannot_pass():
    tree = _posterior()
    one = xr.DataTree.from_dict({"posterior": tree.posterior.to_dataset().isel(chain=[0])})
    health = diagnose(one)
    assert not health.converged
    assert "one chain" in health.headline()
    assert np.isnan(health.table["r_hat"]).all()


@pytest.mark.parametrize("shift", [0.5, 1.0])
def test_the_verdict_names_the_worst_element(shift):
    health = diagnose(_posterior({"beta": shift}))
    text = repr(health)
    assert text.startswith("Not converged")
    assert "Worst element of each quantity" in text
    assert health.by_group().iloc[0]["parameter"] == "beta"
